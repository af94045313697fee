"""The D-Bus API against the real `sitbreak run`: busctl and gdbus on a private bus.

The daemon is a subprocess on Xvfb and a private dbus-daemon, as the user
service runs it; the calls come from the desktop's own tools (busctl, gdbus,
dbus-monitor), not from sitbreak's client, so what is tested is what other
programs meet. docs/dbus-api.md is the contract.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop import FAST_DAEMON_CONFIG, Desktop, desktop, require_tool, wait_for
from sitbreak.desktop.dbus_api import INTROSPECTION_XML
from sitbreak.desktop.dbus_client import BUS_NAME, INTERFACE, OBJECT_PATH

pytestmark = pytest.mark.desktop

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    desk: Desktop
    proc: subprocess.Popen[str]
    home: Path
    env: dict[str, str]

    def busctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["busctl", "--user", "--json=short", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=check,
        )

    def call(self, member: str, *sig_and_args: str, check: bool = True) -> str:
        res = self.busctl(
            "call", BUS_NAME, OBJECT_PATH, INTERFACE, member, *sig_and_args, check=False
        )
        if check:
            assert res.returncode == 0, res.stderr
        return res.stdout if res.returncode == 0 else res.stderr

    def prop(self, name: str) -> object:
        out = self.busctl("get-property", BUS_NAME, OBJECT_PATH, INTERFACE, name).stdout
        return json.loads(out)["data"]

    def sitbreak(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sitbreak", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )


def start_daemon(d: Desktop, home: Path, config: Path) -> subprocess.Popen[str]:
    env = dict(d.env, SITBREAK_HOME=str(home))
    env.pop("SITBREAK_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "sitbreak", "run", "--config", str(config), "--notify", "log"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def owns_name(env: dict[str, str]) -> bool:
    res = subprocess.run(
        ["busctl", "--user", "status", BUS_NAME],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return res.returncode == 0


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    require_tool("busctl", "gdbus", "dbus-monitor")
    home = tmp_path / "home"
    config = tmp_path / "config.toml"
    config.write_text(FAST_DAEMON_CONFIG)
    with desktop(with_dunst=False) as d:
        env = dict(d.env, SITBREAK_HOME=str(home))
        env.pop("SITBREAK_CONFIG", None)
        # busctl --user finds the bus through this variable, as gdbus does.
        proc = start_daemon(d, home, config)
        try:
            wait_for(
                lambda: owns_name(env) or proc.poll() is not None,
                timeout=20,
                what=f"the daemon to own {BUS_NAME}",
            )
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            yield Running(d, proc, home, env)
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def test_the_introspection_in_docs_is_what_the_daemon_serves(running: Running) -> None:
    served = subprocess.run(
        [
            "gdbus",
            "call",
            "--session",
            "--dest",
            BUS_NAME,
            "--object-path",
            OBJECT_PATH,
            "--method",
            "org.freedesktop.DBus.Introspectable.Introspect",
        ],
        env=running.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "io.github.sitbreak.Monitor1" in served and "PropertiesChanged" in served
    assert (ROOT / "docs" / "io.github.sitbreak.Monitor1.xml").read_text() == INTROSPECTION_XML
    # busctl reads the same XML and lists every member the docs promise.
    listed = running.busctl("introspect", BUS_NAME, OBJECT_PATH, INTERFACE).stdout
    members = {row["name"] for row in json.loads(listed)} if listed.startswith("[") else set()
    if not members:  # busctl's --json is ignored by introspect on some versions
        members = {line.split()[0].lstrip(".") for line in listed.splitlines()[1:] if line}
    for name in ("Pause", "Resume", "Snooze", "TakingABreak", "GetStatus", "State", "Today"):
        assert name in members, listed
    # Tools walking the tree from / find the object.
    root = running.busctl("tree", BUS_NAME).stdout
    assert OBJECT_PATH in root


def test_properties_say_where_things_stand(running: Running) -> None:
    d = running.desk
    for i in range(4):
        d.xdotool("mousemove", str(100 + 30 * i), str(200 + 10 * i))
        time.sleep(1.2)
    wait_for(lambda: running.prop("State") == "sitting", timeout=15, what="State to be sitting")
    start = running.prop("SessionStart")
    assert isinstance(start, float) and abs(start - time.time()) < 60
    assert running.prop("SittingLimit") == 8.0  # move_after in the fast config
    assert running.prop("Paused") is False
    assert running.prop("NextPromptKind") in ("posture", "move")
    today = running.prop("Today")
    assert isinstance(today, dict) and today["sessions"]["data"] == 1
    # The same figures as `sitbreak status --json`, which now goes over the bus.
    status = json.loads(running.sitbreak("status", "--json").stdout)
    assert status["state"] == "sitting"
    assert status["session"]["start"] == pytest.approx(start)


def test_pause_resume_snooze_and_a_break_are_seen_as_property_changes(running: Running) -> None:
    monitor = subprocess.Popen(
        [
            "dbus-monitor",
            "--session",
            f"type='signal',sender='{BUS_NAME}',path='{OBJECT_PATH}'",
        ],
        env=running.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        time.sleep(0.5)  # dbus-monitor registers its match
        running.call("Pause", "d", "1800")
        wait_for(lambda: running.prop("Paused") is True, what="Paused to be true")
        until = running.prop("PausedUntil")
        assert isinstance(until, float) and until == pytest.approx(time.time() + 1800, abs=30)
        # The CLI sees it too, over the bus.
        assert "Paused until" in running.sitbreak("status").stdout
        running.call("Resume")
        wait_for(lambda: running.prop("Paused") is False, what="Paused to be false")
        running.call("Snooze", "u", "600")  # any number type is taken
        snoozed = running.prop("SnoozedUntil")
        assert isinstance(snoozed, float) and snoozed == pytest.approx(time.time() + 600, abs=30)
        running.call("Pause", "d", "0")  # 0: until Resume
        assert running.prop("Paused") is True and running.prop("PausedUntil") == 0.0
        running.call("Resume")
        running.call("TakingABreak")
    finally:
        time.sleep(1.0)
        monitor.terminate()
        out, _ = monitor.communicate(timeout=10)
        seen = out.splitlines()
    text = "\n".join(seen)
    changes = text.count("member=PropertiesChanged")
    assert changes >= 4, text  # paused, resumed, snoozed, paused again, resumed
    assert 'string "Paused"' in text and 'string "PausedUntil"' in text
    assert 'string "SnoozedUntil"' in text


def raw_call(env: dict[str, str], member: str, signature: str | None, *body: object) -> str:
    """Call with any signature and body (busctl refuses to send some); the error name or ""."""
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(env["DBUS_SESSION_BUS_ADDRESS"]) as conn:
        msg = new_method_call(
            DBusAddress(OBJECT_PATH, BUS_NAME, INTERFACE), member, signature, tuple(body)
        )
        reply = conn.send_and_get_reply(msg, timeout=10)
    if reply.header.message_type == MessageType.error:
        return f"{reply.header.fields[4]}: {reply.body[0] if reply.body else ''}"
    return ""


INVALID = "org.freedesktop.DBus.Error.InvalidArgs"


def test_a_bad_call_is_refused_with_invalid_args_and_the_daemon_carries_on(
    running: Running,
) -> None:
    bad: list[tuple[str, str | None, tuple[object, ...]]] = [
        ("Pause", "d", (-5.0,)),
        ("Pause", "d", (math.nan,)),
        ("Pause", "d", (math.inf,)),
        ("Pause", "d", (-math.inf,)),
        ("Pause", "d", (1e300,)),
        ("Pause", "t", (2**64 - 1,)),
        ("Pause", "x", (-(2**63),)),
        ("Pause", "s", ("1800",)),
        ("Pause", "b", (True,)),
        ("Pause", "dd", (1.0, 2.0)),
        ("Pause", "v", (("d", 60.0),)),
        ("Pause", "ad", ([60.0],)),
        ("Pause", None, ()),
        ("Snooze", "d", (0.0,)),
        ("Snooze", "d", (-0.0,)),
        ("Snooze", "d", (7 * 24 * 3600 + 1.0,)),
        ("Snooze", "as", (["a", "b"],)),
        ("Resume", "d", (5.0,)),
        ("TakingABreak", "s", ("now",)),
        ("GetStatus", "i", (1,)),
    ]
    for member, signature, body in bad:
        answer = raw_call(running.env, member, signature, *body)
        assert answer.startswith(INVALID), (member, signature, body, answer)
    # The message says what was wrong, for people reading busctl's output.
    assert "at most 604800" in raw_call(running.env, "Pause", "d", 1e300)
    assert "positive" in raw_call(running.env, "Snooze", "d", -5.0)
    assert "UnknownMethod" in raw_call(running.env, "NoSuchMethod", None)
    set_ = running.busctl(
        "set-property", BUS_NAME, OBJECT_PATH, INTERFACE, "Paused", "b", "true", check=False
    )
    assert set_.returncode != 0 and "read-only" in set_.stderr
    # Nothing was paused or snoozed by any of it, and the daemon still answers.
    assert running.prop("Paused") is False
    assert running.prop("SnoozedUntil") == 0.0
    assert running.proc.poll() is None
    assert json.loads(running.sitbreak("status", "--json").stdout)["ok"] is True


def test_fuzzed_durations_never_pause_for_nonsense(running: Running) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    numbers = st.one_of(
        st.tuples(st.just("d"), st.floats(allow_nan=True, allow_infinity=True)),
        st.tuples(st.just("x"), st.integers(-(2**63), 2**63 - 1)),
        st.tuples(st.just("t"), st.integers(0, 2**64 - 1)),
        st.tuples(st.just("i"), st.integers(-(2**31), 2**31 - 1)),
        st.tuples(st.just("n"), st.integers(-(2**15), 2**15 - 1)),
        st.tuples(st.just("y"), st.integers(0, 255)),
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(numbers)
    def snooze(sig_value: tuple[str, float]) -> None:
        sig, value = sig_value
        answer = raw_call(running.env, "Snooze", sig, value)
        valid = math.isfinite(value) and 0 < value <= 7 * 24 * 3600
        assert (answer == "") == valid, (sig, value, answer)
        if not valid:
            assert answer.startswith(INVALID), answer

    snooze()
    assert running.proc.poll() is None
    assert running.prop("Paused") is False


def test_sitbreak_resume_and_pause_from_the_cli_go_over_the_bus(running: Running) -> None:
    running.sitbreak("pause", "20m")
    assert running.prop("Paused") is True
    # With the socket gone, the CLI still reaches the daemon: over the bus.
    (running.home / "run" / "control.sock").unlink()
    running.sitbreak("resume")
    assert running.prop("Paused") is False
    assert json.loads(running.sitbreak("status", "--json").stdout)["paused"] is False


def test_the_socket_is_the_fallback_without_a_session_bus(running: Running) -> None:
    running.sitbreak("pause", "20m")
    no_bus = dict(running.env)
    no_bus.pop("DBUS_SESSION_BUS_ADDRESS")
    res = subprocess.run(
        [sys.executable, "-m", "sitbreak", "status", "--json"],
        env=no_bus,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(res.stdout)["paused"] is True


def test_a_call_starts_sitbreak_through_the_activation_file(tmp_path: Path) -> None:
    """`sitbreak service install` writes the activation file; the bus starts sitbreak on a call."""
    import os
    import signal

    from desktop import _stop, xvfb

    require_tool("busctl", "dbus-daemon")
    home, data = tmp_path / "home", tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(FAST_DAEMON_CONFIG)
    env = dict(
        os.environ,
        SITBREAK_HOME=str(home),
        SITBREAK_CONFIG=str(config),
        XDG_DATA_HOME=str(data),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
    )
    installed = subprocess.run(
        [sys.executable, "-m", "sitbreak", "service", "install", "--autostart"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    service_file = data / "dbus-1" / "services" / f"{BUS_NAME}.service"
    assert str(service_file) in installed.stdout
    text = service_file.read_text()
    assert f"Name={BUS_NAME}" in text and "SystemdService=sitbreak.service" in text
    assert f"SITBREAK_HOME={home}" in text  # the bus starts the same installation, same files
    with xvfb() as display:
        env["DISPLAY"] = display
        env.pop("WAYLAND_DISPLAY", None)
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile"],
            env=env,  # its XDG_DATA_HOME: the activation file is in its service directories
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        lock = home / "run" / "sitbreak.lock"
        try:
            assert bus.stdout is not None
            env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
            assert not owns_name(env)
            get_status = ["call", BUS_NAME, OBJECT_PATH, INTERFACE, "GetStatus"]
            reply = subprocess.run(
                ["busctl", "--user", "--json=short", *get_status],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            status = json.loads(json.loads(reply.stdout)["data"][0])
            assert status["ok"] is True and status["state"] in ("away", "sitting")
            assert owns_name(env)
        finally:
            pid = lock.read_text().strip() if lock.exists() else ""
            if pid.isdigit():
                os.kill(int(pid), signal.SIGTERM)  # the daemon the bus started for us
                wait_for(lambda: not owns_name(env), what="the activated sitbreak to stop")
            _stop(bus)
    removed = subprocess.run(
        [sys.executable, "-m", "sitbreak", "service", "uninstall"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"removed {service_file}" in removed.stdout and not service_file.exists()


def test_the_activation_file_names_the_api_the_daemon_serves() -> None:
    from sitbreak import autostart

    assert autostart.DBUS_NAME == BUS_NAME


def read_line(proc: subprocess.Popen[str], timeout: float = 20.0) -> str:
    """The follower's next line, or fail after `timeout` (never hang the suite)."""
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"no line from the follower in {timeout} s")
    return proc.stdout.readline()


def test_follow_prints_a_line_per_change_and_survives_a_restart(
    running: Running, tmp_path: Path
) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "sitbreak", "status", "--follow", "--format", "waybar"],
        env=running.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    try:
        first = json.loads(read_line(follower))
        assert set(first) == {"text", "tooltip", "class", "percentage"}
        assert first["class"] in ("away", "sitting", "idle")
        running.call("Pause", "d", "1800")
        paused = json.loads(read_line(follower))
        while paused["class"] != "paused":  # a seated minute may come first
            paused = json.loads(read_line(follower))
        assert "Paused until" in paused["text"]
        # The daemon stops: the module says so, and keeps listening.
        running.proc.terminate()
        running.proc.wait(15)
        line = json.loads(read_line(follower))
        while line["class"] != "not-running":
            line = json.loads(read_line(follower))
        assert line["text"] == "sitbreak off"
        # It starts again (as the service manager restarts it): the module follows.
        config = tmp_path / "config.toml"
        running.proc = start_daemon(running.desk, running.home, config)
        back = json.loads(read_line(follower, timeout=30))
        assert back["class"] in ("away", "sitting", "idle")
        assert follower.poll() is None
    finally:
        follower.terminate()
        follower.wait(10)


def test_status_for_a_bar_without_a_daemon_shows_it_is_off(running: Running) -> None:
    running.proc.terminate()
    running.proc.wait(15)
    for fmt in ("waybar", "i3blocks", "i3status-rs", "polybar"):
        res = running.sitbreak("status", "--format", fmt)  # exit 0: the bar keeps its module
        assert "off" in res.stdout, (fmt, res.stdout)
    assert json.loads(running.sitbreak("status", "--format", "waybar").stdout)["class"] == (
        "not-running"
    )


def test_serving_the_api_costs_no_wake_up_while_nothing_happens(running: Running) -> None:
    """Only the loop's own heartbeat wakes the daemon: the bus threads sleep in the kernel."""
    import os

    pid = running.proc.pid

    def switches() -> dict[int, int]:
        counts = {}
        for tid in os.listdir(f"/proc/{pid}/task"):
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
            (line,) = [x for x in status.splitlines() if x.startswith("voluntary_ctxt_switches")]
            counts[int(tid)] = int(line.split()[1])
        return counts

    running.prop("State")  # every thread is up and has answered once
    time.sleep(1.0)
    before = switches()
    time.sleep(20.0)
    after = switches()
    others = sum(after[t] - before.get(t, 0) for t in after if t != pid)
    loop = after[pid] - before[pid]
    assert others <= 2, (others, before, after)  # threads blocked on their sockets
    # A turn every 5 s: 4 or 5 in 20 s. Each blocks on its timer, and on the X server's
    # reply and the store's write when they are not there at once, which on a busy machine
    # they often are not (11 were seen under load). A loop the API woke would make dozens.
    assert loop <= (20 / 5 + 1) * 3, loop


def _bar_colours(env: dict[str, str]) -> set[tuple[int, int, int]]:
    """The colours in the top 30 rows of sway's output, from grim's PPM."""
    shot = subprocess.run(
        ["grim", "-t", "ppm", "-"], env=env, capture_output=True, timeout=20, check=True
    ).stdout
    magic, width, _height, _maxval = shot.split(maxsplit=4)[:4]
    assert magic == b"P6"
    # The header is four whitespace-separated fields, then one byte of whitespace.
    offset = len(b" ".join(shot.split(maxsplit=4)[:4])) + 1
    pixels = shot[offset : offset + int(width) * 30 * 3]
    return {tuple(pixels[i : i + 3]) for i in range(0, len(pixels), 3)}  # type: ignore[misc]


def test_a_real_waybar_shows_the_session_and_follows_a_pause(
    running: Running, tmp_path: Path
) -> None:
    """waybar on headless sway runs `status --follow --format waybar` as its module;
    the module's class colours it (style.css), so a screenshot says what it shows."""
    from test_idle_sources import headless_sway

    require_tool("waybar", "grim", "sway")
    conf = tmp_path / "waybar"
    conf.mkdir()
    follow = f"{sys.executable} -m sitbreak status --follow --format waybar"
    (conf / "config").write_text(
        json.dumps(
            {
                "layer": "top",
                "position": "top",
                "height": 30,
                "modules-left": ["custom/sitbreak"],
                "custom/sitbreak": {"exec": follow, "return-type": "json"},
            }
        )
    )
    (conf / "style.css").write_text(
        "* { font-size: 12px; min-height: 0; border: none; }\n"
        "window#waybar { background: #000000; }\n"
        "#custom-sitbreak { padding: 0 40px; color: #000000; background: #000000; }\n"
        "#custom-sitbreak.away, #custom-sitbreak.idle { background: #0000ff; }\n"
        "#custom-sitbreak.sitting, #custom-sitbreak.over-limit { background: #00ff00; }\n"
        "#custom-sitbreak.paused { background: #ff00ff; }\n"
    )
    with headless_sway(tmp_path) as wayland:
        env = dict(running.env, **wayland)
        env.pop("DISPLAY", None)
        bar = subprocess.Popen(
            ["waybar", "-c", str(conf / "config"), "-s", str(conf / "style.css")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "waybar.log").open("wb"),
        )
        try:
            blue, green, magenta = (0, 0, 255), (0, 255, 0), (255, 0, 255)
            wait_for(
                lambda: bool(_bar_colours(env) & {blue, green}) or bar.poll() is not None,
                timeout=30,
                what="waybar to show the module",
            )
            assert bar.poll() is None, (tmp_path / "waybar.log").read_text()[-2000:]
            assert magenta not in _bar_colours(env)
            running.call("Pause", "d", "1800")
            wait_for(lambda: magenta in _bar_colours(env), timeout=20, what="the pause shown")
            running.call("Resume")
            wait_for(lambda: magenta not in _bar_colours(env), timeout=20, what="the resume shown")
        finally:
            bar.terminate()
            bar.wait(10)
