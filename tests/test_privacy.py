"""Privacy (issue 8): sitbreak records *that* there was input, never what or where.

A real `sitbreak run --log-level DEBUG` watches a real X server (Xvfb) with
each X11 source while xdotool types a secret phrase, presses named keys and
chords, clicks, scrolls and moves the pointer through unusual coordinates.
Then nothing the daemon wrote (the database and its WAL, read while it runs
and after; the summaries; its log) nor anything its commands print or write
(`sitbreak status`, `sitbreak report` in every format) may contain the
phrase, its letters in order with a few separators between, key names or
codes, or the coordinates in any usual notation. The same holds for the
activity timeline exported as a trace (`sitbreak trace export`), which holds
times and kinds of events and nothing else. And every file and directory it
creates is its owner's alone, even under a umask of 000.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_faults import Running, sitbreak_run

from desktop import Desktop, desktop
from sitbreak.cli import main as sitbreak_main
from sitbreak.core import Cause, SessionEnded
from sitbreak.storage.store import Store

SECRET = "correct horse battery staple"
#: Pointer positions nobody would write by accident, visited and clicked.
SPOTS = ((317, 263), (911, 587))
REPORT_FORMATS = ("text", "markdown", "json", "csv", "html")

#: Move prompts only, at the floor of 5 s: prompts reach the log, the
#: database and the reports within the test's few seconds.
CONFIG = """
[prompts]
move_after = "5s"
move_repeat = "5s"
[prompts.enabled]
posture = false
"""

# The phrase's letters in order, with up to three non-word characters
# between (separators, escapes, markup): "c-o-r-r-e-c-t...", "c o r r e...".
LETTERS_RE = re.compile(r"\W{0,3}".join(SECRET.replace(" ", "")), re.IGNORECASE)
WORDS_RE = re.compile(r"\b(?:" + "|".join(SECRET.split()) + r")\b", re.IGNORECASE)
#: What key events look like in Xlib, pynput and xdotool vocabularies. In
#: binary files only the long names: a quoted letter occurs there by chance.
KEY_NAMES_BINARY_RE = re.compile(rb"keysym|keycode|BackSpace|\bKey\.[a-z_]", re.IGNORECASE)
KEY_NAMES_TEXT_RE = re.compile(
    # A quoted letter ('a' as Python shows it, "a" as JSON does), but not an
    # HTML attribute's value (class="k").
    r"keysym|keycode|BackSpace|\bKey\.[a-z_]|'[a-z]'|(?<!=)\"[a-z]\"|\bctrl\+",
    re.IGNORECASE,
)

#: The time field that starts every trace line.
TRACE_TIME_FIELD_RE = re.compile(r'^\{"t": (?=[0-9])', re.MULTILINE)


def coordinates_re(x: int, y: int) -> re.Pattern[str]:
    """x and y as standalone numbers within a few characters, in either order:
    "(317, 263)", "317x263", "x=317 y=263", '"x": 317.0, "y": 263'."""
    number = r"(?<![\d.]){}(?:\.0+)?(?![\d])"
    a, b = number.format(x), number.format(y)
    return re.compile(rf"{a}\D{{1,16}}?{b}|{b}\D{{1,16}}?{a}")


@dataclass
class Written:
    """What one daemon run left behind, for the checks below."""

    source: str
    home: Path
    #: name -> bytes: every file under SITBREAK_HOME (while running and after),
    #: the daemon's log, the reports and the status output.
    blobs: dict[str, bytes] = field(default_factory=dict)
    #: names of the blobs that are text (the rest are SQLite files).
    text: set[str] = field(default_factory=set)
    #: path relative to SITBREAK_HOME -> st_mode, while running and after.
    modes: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    prompts: int = 0
    replayed_sessions: int = 0


def _snapshot(written: Written, when: str) -> None:
    for path in [written.home, *written.home.rglob("*")]:
        mode = path.lstat().st_mode
        written.modes[f"{when}:{path.relative_to(written.home.parent)}"] = mode
        if stat.S_ISREG(mode):
            name = f"{when}:{path.relative_to(written.home)}"
            written.blobs[name] = path.read_bytes()
            if not path.name.startswith("sitbreak.db"):
                written.text.add(name)


def _add_text(written: Written, name: str, text: str) -> None:
    written.blobs[name] = text.encode()
    written.text.add(name)


def _do_things_at_the_desk(run: Running, d: Desktop) -> None:
    for x, y in SPOTS:
        d.xdotool("mousemove", str(x), str(y))
        d.xdotool("click", "1")
    d.xdotool("type", "--delay", "20", SECRET)
    d.xdotool("key", "Return", "ctrl+a", "BackSpace", "shift+F5")
    d.xdotool("click", "4")  # a scroll
    assert run.ask()["state"] == "sitting"  # it saw all that (the request wakes its loop)


@pytest.fixture(scope="module", params=["x11", "pynput"])
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Written:
    source = str(request.param)
    tmp = tmp_path_factory.mktemp(f"privacy-{source}")
    reports = tmp / "reports"
    reports.mkdir()
    with (
        desktop() as d,
        sitbreak_run(
            d.env, tmp, CONFIG, "--source", source, "--log-level", "DEBUG", umask=0o000
        ) as run,
    ):
        result = Written(source, run.home)
        _do_things_at_the_desk(run, d)
        run.wait_log("prompt (move")  # prompts are stored and logged too
        for x, y in reversed(SPOTS):  # and once more inside the session
            d.xdotool("mousemove", str(x), str(y))
        d.xdotool("type", "--delay", "20", SECRET)
        run.ask()
        _add_text(result, "status --json", run.cli("status", "--json").stdout)
        _add_text(result, "status", run.cli("status").stdout)
        _snapshot(result, "running")  # the WAL holds the latest writes
        for fmt in REPORT_FORMATS:
            out = reports / f"today.{fmt}"
            run.cli("report", "--sessions", "--format", fmt, "--output", str(out))
            _add_text(result, f"report {fmt}", out.read_text())
        _add_text(result, "report --week", run.cli("report", "--week").stdout)
        assert run.stop() == 0, run.log()
    _snapshot(result, "stopped")
    _add_text(result, "log", run.log())
    exported = reports / "days.jsonl.gz"
    run.cli("trace", "export", "-o", str(exported))
    _add_text(result, "trace export -o", gzip.decompress(exported.read_bytes()).decode())
    result.modes["exported:trace"] = exported.stat().st_mode
    _add_text(result, "trace export", run.cli("trace", "export").stdout)
    replay = run.cli("replay", str(exported), "--json")
    result.replayed_sessions = len(json.loads(replay.stdout)["sessions"])
    db = run.home / "data" / "sitbreak.db"
    with sqlite3.connect(db) as conn:
        _add_text(result, "database dump", "\n".join(conn.iterdump()))
        result.sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        result.prompts = conn.execute("SELECT count(*) FROM prompts").fetchone()[0]
    return result


@pytest.mark.desktop
def test_the_daemon_saw_the_input_it_must_not_record(written: Written) -> None:
    # Otherwise the checks below would prove nothing.
    assert written.sessions >= 1
    assert written.prompts >= 1
    log = written.blobs["log"].decode()
    assert f"watching activity with {written.source}" in log
    assert "session started" in log
    assert "stopped:data/sitbreak.db" in written.blobs
    assert any(name.endswith("sitbreak.db-wal") for name in written.blobs)


@pytest.mark.desktop
def test_the_exported_trace_holds_times_and_kinds_only(written: Written) -> None:
    lines = written.blobs["trace export"].decode().splitlines()
    assert written.blobs["trace export -o"].decode().splitlines() == lines
    header, *events = (json.loads(line) for line in lines)
    assert set(header) == {"kind", "version", "tz"}
    kinds = {"input", "lock", "unlock", "suspend", "resume", "call_start", "call_end"}
    kinds |= {"watch_start", "watch_end", "pause", "unpause", "snooze", "break_now"}
    kinds |= {"busy_start", "busy_end", "stop"}
    for event in events:
        assert set(event) <= {"t", "kind", "until", "s"}, event
        assert event["kind"] in kinds, event
        assert all(isinstance(v, float) for k, v in event.items() if k != "kind"), event
    assert sum(e["kind"] == "input" for e in events) >= 2
    assert events[-1]["kind"] == "stop"
    # And `sitbreak replay` takes it as it is.
    assert written.replayed_sessions == written.sessions


@pytest.mark.desktop
def test_nothing_written_holds_the_typed_phrase(written: Written) -> None:
    for name, blob in written.blobs.items():
        text = blob.decode("latin-1")
        assert not LETTERS_RE.search(text), f"{name} holds the typed letters"
        found = WORDS_RE.search(text)
        assert not found, f"{name} holds {found.group()!r}"


@pytest.mark.desktop
def test_nothing_written_names_keys(written: Written) -> None:
    for name, blob in written.blobs.items():
        if name in written.text:
            text = blob.decode()
            if name.startswith("trace export"):
                # The format names every line's time "t" (TRACE-FORMAT.md): that
                # one quoted letter is the field, not a key pressed.
                text = TRACE_TIME_FIELD_RE.sub("{", text)
            found_text = KEY_NAMES_TEXT_RE.search(text)
            assert not found_text, f"{name}: {found_text.group()!r}"
        else:
            found = KEY_NAMES_BINARY_RE.search(blob)
            assert not found, f"{name}: {found.group()!r}"


@pytest.mark.desktop
def test_nothing_written_holds_pointer_positions(written: Written) -> None:
    for name in written.text:
        text = written.blobs[name].decode()
        for x, y in SPOTS:
            found = coordinates_re(x, y).search(text)
            assert not found, f"{name} holds {found.group()!r}"


@pytest.mark.desktop
def test_every_file_and_directory_sitbreak_creates_is_private(written: Written) -> None:
    # Made under a umask of 000: nothing may rely on the umask to be private.
    assert any(":home/run/" in p for p in written.modes)  # the lock and socket were seen
    for path, mode in written.modes.items():
        if path.endswith(":home"):
            continue  # SITBREAK_HOME itself: the next test
        if stat.S_ISDIR(mode):
            assert stat.S_IMODE(mode) == 0o700, f"{path} is {stat.S_IMODE(mode):o}"
        else:
            assert stat.S_IMODE(mode) & 0o077 == 0, f"{path} is {stat.S_IMODE(mode):o}"


@pytest.mark.desktop
def test_sitbreak_home_created_by_sitbreak_is_private(written: Written) -> None:
    for when in ("running", "stopped"):
        mode = stat.S_IMODE(written.modes[f"{when}:home"])
        assert mode == 0o700, f"SITBREAK_HOME is {mode:o} while {when}"


def test_the_coordinate_pattern_catches_the_usual_notations() -> None:
    # The checks above are only as good as their patterns.
    for text in ("(317, 263)", "317x263", "x=317 y=263", '{"x": 317.0, "y": 263}', "263/317"):
        assert coordinates_re(317, 263).search(text), text
    for text in ("1764013317.2634", "t=93170263", "3170 2630"):
        assert not coordinates_re(317, 263).search(text), text
    assert LETTERS_RE.search("c-o-r-r-e-c-t h.o.r.s.e b a t t e r y staple")
    assert KEY_NAMES_TEXT_RE.search("pressed 'a'")
    assert KEY_NAMES_TEXT_RE.search("Key.shift")
    assert KEY_NAMES_TEXT_RE.search('{"key": "a"}')
    assert not KEY_NAMES_TEXT_RE.search('<p class="k">Sitting</p>')


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the usual one
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("fmt", ["html", "csv"])
def test_a_report_written_to_a_file_is_private(
    tmp_path: Path, fmt: str, umask_022: None, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    with Store.open() as s:
        s.session_ended(SessionEnded(now - 600, now - 3600, now - 1200, Cause.IDLE))
    out = tmp_path / f"day.{fmt}"
    assert sitbreak_main(["report", "--format", fmt, "--output", str(out)]) == 0
    capsys.readouterr()
    assert stat.S_IMODE(out.stat().st_mode) & 0o077 == 0, f"{stat.S_IMODE(out.stat().st_mode):o}"
