"""Reading and writing activity traces (sitbreak.storage.trace), scenario by scenario.

Each test writes a small hand-made trace to tmp_path, the way a person or a
newer recorder might have written it, and checks what the reader makes of it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import itertools
import json
import zoneinfo
from pathlib import Path
from types import ModuleType

import pytest

import sitbreak
from sitbreak.core.model import (
    Activity,
    CallEnd,
    CallStart,
    Lock,
    Resume,
    Suspend,
    Tick,
    Unlock,
    WatchEnd,
    WatchStart,
)
from sitbreak.errors import TraceError
from sitbreak.storage.trace import TraceEvent, TraceHeader, open_trace, write_trace

HEADER = '{"kind": "meta", "version": 1, "tz": "Europe/Berlin"}'
DATA_DIR = Path(sitbreak.__file__).parent / "data"
SAMPLE = DATA_DIR / "sample.jsonl.gz"
SAMPLE_TRUTH = DATA_DIR / "sample.truth.json"
GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "make_sample_trace.py"


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_gzip_lines(path: Path, *lines: str) -> Path:
    path.write_bytes(gzip.compress("".join(line + "\n" for line in lines).encode()))
    return path


def read(path: Path) -> tuple[TraceHeader, list[TraceEvent], list[str]]:
    """The header, the events and the warnings of one pass over `path`."""
    warnings: list[str] = []
    with open_trace(path, warn=warnings.append) as trace:
        events = list(trace)
    return trace.header, events, warnings


def read_error(path: Path) -> str:
    with pytest.raises(TraceError) as excinfo:
        read(path)
    return str(excinfo.value)


# ------------------------------------------------------------ good traces


def test_plain_trace_with_header_gives_events_in_order(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "day.jsonl",
        HEADER,
        '{"t": 100.0, "kind": "input"}',
        '{"t": 101.5, "kind": "lock"}',
        '{"t": 102.0, "kind": "suspend"}',
        '{"t": 900.25, "kind": "resume"}',
        '{"t": 901.0, "kind": "unlock"}',
        '{"t": 950.0, "kind": "call_start"}',
        '{"t": 960.0, "kind": "call_end"}',
        '{"t": 970.0, "kind": "watch_start"}',
        '{"t": 980.0, "kind": "watch_end"}',
    )

    header, events, warnings = read(path)

    assert header == TraceHeader(version=1, tz="Europe/Berlin")
    assert events == [
        Activity(100.0),
        Lock(101.5),
        Suspend(102.0),
        Resume(900.25),
        Unlock(901.0),
        CallStart(950.0),
        CallEnd(960.0),
        WatchStart(970.0),
        WatchEnd(980.0),
    ]
    assert warnings == []


@pytest.mark.parametrize("name", ["day.jsonl.gz", "day.jsonl"])
def test_gzip_is_recognised_by_content_not_by_name(tmp_path: Path, name: str) -> None:
    path = write_gzip_lines(tmp_path / name, HEADER, '{"t": 5.0, "kind": "input"}')

    header, events, _ = read(path)

    assert header.tz == "Europe/Berlin"
    assert events == [Activity(5.0)]


def test_trace_without_header_uses_local_zone_and_reads_line_one(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "t.jsonl", '{"t": 1.0, "kind": "input"}', '{"t": 2, "kind": "lock"}'
    )

    header, events, _ = read(path)

    assert header == TraceHeader(version=1, tz=None)
    assert events == [Activity(1.0), Lock(2.0)]
    assert all(type(e.t) is float for e in events)  # an integer `t` becomes a float


def test_header_with_null_tz_means_local_zone(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", '{"kind": "meta", "version": 1, "tz": null}')

    header, events, _ = read(path)

    assert header == TraceHeader(version=1, tz=None)
    assert events == []


def test_empty_file_has_no_events(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")

    header, events, warnings = read(path)

    assert header == TraceHeader(version=1, tz=None)
    assert events == []
    assert warnings == []


def test_blank_lines_whitespace_and_crlf_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "edited.jsonl"
    path.write_bytes(
        b'{"t": 1.0, "kind": "input"}\r\n'
        b'  {"t": 2.0, "kind": "input"}  \n'
        b"\n"
        b'{"t": 3.0, "kind": "input"}'  # no newline at the end
    )

    _, events, _ = read(path)

    assert events == [Activity(1.0), Activity(2.0), Activity(3.0)]


def test_a_trace_can_be_read_twice(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", '{"t": 1.0, "kind": "input"}')
    trace = open_trace(path)

    assert list(trace) == list(trace) == [Activity(1.0)]
    assert list(zip(trace, trace, strict=True)) == [(Activity(1.0), Activity(1.0))]


def test_leaving_the_with_block_closes_an_abandoned_pass(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "t.jsonl", '{"t": 1.0, "kind": "input"}', '{"t": 2.0, "kind": "input"}'
    )

    with open_trace(path) as trace:
        events = iter(trace)
        assert next(events) == Activity(1.0)

    with pytest.raises(StopIteration):  # closed, so the second event never comes
        next(events)


# ------------------------------------------------------ malformed lines

MALFORMED = {
    "not JSON": ('{"t": 3.0, "kind": "input"', "invalid JSON at column 27 (Expecting"),
    "text after the object": ('{"t": 3.0, "kind": "input"} {}', "invalid JSON"),
    "an array": ("[3.0, 4.0]", "expected a JSON object, found [3.0, 4.0]"),
    "a number": ("3.0", "expected a JSON object, found 3.0"),
    "no t": ('{"kind": "input"}', 'expected a JSON object with a finite numeric "t"'),
    "t a string": ('{"t": "3.0", "kind": "input"}', 'numeric "t", found {"t": "3.0"'),
    "t a bool": ('{"t": true, "kind": "input"}', 'numeric "t", found {"t": true'),
    "t NaN": ('{"t": NaN, "kind": "input"}', 'finite numeric "t"'),
    "t Infinity": ('{"t": Infinity, "kind": "input"}', 'finite numeric "t"'),
    "t overflows": ('{"t": 1e999, "kind": "input"}', 'finite numeric "t"'),
    "t a huge int": ('{"t": 1' + "0" * 400 + ', "kind": "input"}', 'finite numeric "t"'),
    "no kind": ('{"t": 3.0}', 'expected a string "kind", found {"t": 3.0}'),
    "kind a number": ('{"t": 3.0, "kind": 7}', 'expected a string "kind"'),
    "a second header": (HEADER, 'found a "meta" header (only allowed on line 1)'),
    "time back 1.5 s": ('{"t": 0.5, "kind": "input"}', "time going backwards by 1.500 s"),
}


@pytest.mark.parametrize("bad_line, expected", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_line_is_an_error_naming_its_line(
    tmp_path: Path, bad_line: str, expected: str
) -> None:
    path = write_lines(
        tmp_path / "bad.jsonl",
        HEADER,
        '{"t": 1.0, "kind": "input"}',
        '{"t": 2.0, "kind": "input"}',
        bad_line,  # line 4: the header counts
        '{"t": 9.0, "kind": "input"}',
    )

    message = read_error(path)

    assert message.startswith(f"{path}:4: "), message
    assert expected in message


def test_error_message_shortens_a_long_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "bad.jsonl", '{"kind": "input", "note": "' + "x" * 5000 + '"}')

    message = read_error(path)

    assert message.startswith(f"{path}:1: expected a JSON object with a finite numeric")
    assert message.endswith("…")
    assert len(message) < 250


@pytest.mark.parametrize(
    "header, expected",
    [
        ('{"kind": "meta", "version": 2, "tz": "UTC"}', "format version 1, found version 2"),
        ('{"kind": "meta", "version": "1"}', 'found version "1"'),
        ('{"kind": "meta", "tz": "UTC"}', 'found no "version"'),
        ('{"kind": "meta", "version": 1, "tz": "Mars/Olympus"}', 'found "Mars/Olympus"'),
        ('{"kind": "meta", "version": 1, "tz": 1}', 'IANA time zone as "tz", found 1'),
    ],
    ids=["newer version", "version a string", "no version", "unknown zone", "zone a number"],
)
def test_bad_header_is_an_error_on_line_one(tmp_path: Path, header: str, expected: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", header, '{"t": 1.0, "kind": "input"}')

    with pytest.raises(TraceError) as excinfo:
        open_trace(path)  # before any event is read

    assert str(excinfo.value).startswith(f"{path}:1: ")
    assert expected in str(excinfo.value)


def test_missing_file_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="cannot open trace"):
        open_trace(tmp_path / "nope.jsonl")


def test_truncated_gzip_is_a_trace_error(tmp_path: Path) -> None:
    whole = gzip.compress(b"".join(b'{"t": %d.0, "kind": "input"}\n' % i for i in range(5000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(TraceError, match="cannot read trace after line"):
        read(path)


def test_bytes_that_are_not_utf8_are_an_error_naming_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"t": 1.0, "kind": "input"}\n{"t": 2.0, "kind": "caf\xe9"}\n')

    message = read_error(path)

    assert message == f"{path}:2: expected UTF-8 text, found byte 0xe9"


# ------------------------------------------- unknown kinds and clock wobble


def test_unknown_kind_is_skipped_with_one_warning_per_kind(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "newer.jsonl",
        HEADER,
        '{"t": 1.0, "kind": "input"}',
        '{"t": 2.0, "kind": "gaze", "where": "screen"}',
        '{"t": 3.0, "kind": "input"}',
        '{"t": 4.0, "kind": "gaze"}',
        '{"t": 5.0, "kind": "chair_weight", "kg": 71}',
        '{"t": 6.0, "kind": "gaze"}',
    )

    warnings: list[str] = []
    with open_trace(path, warn=warnings.append) as trace:
        events = list(trace)

    assert events == [Activity(1.0), Activity(3.0)]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{path}:3: ") and "'gaze'" in warnings[0]
    assert warnings[1].startswith(f"{path}:6: ") and "'chair_weight'" in warnings[1]
    assert trace.skipped == {"gaze": 3, "chair_weight": 1}


def test_unknown_kind_must_still_be_well_formed(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", '{"t": 1.0, "kind": "input"}', '{"kind": "gaze"}')

    assert read_error(path).startswith(f"{path}:2: expected a JSON object with a finite numeric")


def test_default_warning_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_lines(tmp_path / "t.jsonl", '{"t": 1.0, "kind": "gaze"}')

    assert list(open_trace(path)) == []

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{path}:1: skipping events of unknown kind 'gaze'" in err


@pytest.mark.parametrize("back", [0.001, 0.5, 1.0])
def test_small_step_backwards_is_clamped_to_the_previous_time(tmp_path: Path, back: float) -> None:
    path = write_lines(
        tmp_path / "wobble.jsonl",
        '{"t": 100.0, "kind": "input"}',
        f'{{"t": {100.0 - back}, "kind": "lock"}}',
        '{"t": 100.2, "kind": "input"}',
    )

    _, events, _ = read(path)

    # The engine sees time stand still, never run backwards.
    assert events == [Activity(100.0), Lock(100.0), Activity(100.2)]


def test_step_backwards_over_a_second_says_by_how_much(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "jump.jsonl",
        '{"t": 100.0, "kind": "input"}',
        '{"t": 99.5, "kind": "input"}',  # clamped to 100.0
        '{"t": 98.75, "kind": "input"}',  # 1.25 s before the last accepted time
    )

    message = read_error(path)

    assert message.startswith(f"{path}:3: expected events in time order")
    assert "backwards by 1.250 s" in message


# --------------------------------------------------------------- writing


ALL_KINDS: list[TraceEvent] = [
    Resume(1_793_600_000.0),
    Unlock(1_793_600_003.125),
    Activity(1_793_600_004.5),
    CallStart(1_793_600_010.0),
    CallEnd(1_793_602_410.999),
    WatchStart(1_793_602_500.0),
    WatchEnd(1_793_603_000.0),
    Lock(1_793_603_001.0),
    Suspend(1_793_603_004.0),
]


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
@pytest.mark.parametrize("tz", ["Europe/Berlin", None])
def test_write_trace_round_trips(tmp_path: Path, name: str, tz: str | None) -> None:
    path = tmp_path / name

    write_trace(path, ALL_KINDS, tz=tz)
    header, events, warnings = read(path)

    assert header == TraceHeader(version=1, tz=tz)
    assert events == ALL_KINDS
    assert warnings == []
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_write_trace_writes_the_documented_line_format(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"

    write_trace(path, [Activity(1793605249.549)], tz="Europe/Berlin")

    assert path.read_text().splitlines() == [HEADER, '{"t": 1793605249.549, "kind": "input"}']


def test_write_trace_gzip_is_reproducible(tmp_path: Path) -> None:
    write_trace(tmp_path / "a.jsonl.gz", ALL_KINDS, tz="UTC")
    write_trace(tmp_path / "b.jsonl.gz", ALL_KINDS, tz="UTC")

    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()


def test_write_trace_refuses_events_a_trace_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot hold Tick"):
        write_trace(tmp_path / "out.jsonl", [Activity(1.0), Tick(2.0)], tz=None)


# --------------------------------------------------------- the sample


def test_shipped_sample_reads_cleanly_and_shows_two_working_days() -> None:
    header, events, warnings = read(SAMPLE)

    assert warnings == []
    assert header == TraceHeader(version=1, tz="Europe/Berlin")
    assert SAMPLE.stat().st_size < 150_000
    times = [e.t for e in events]
    assert times == sorted(times)
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    days = {dt.datetime.fromtimestamp(t, zone).date() for t in times}
    assert [d.strftime("%a") for d in sorted(days)] == ["Mon", "Tue"]
    kinds = {type(e) for e in events}
    assert {Activity, Lock, Unlock, Suspend, Resume, CallStart, CallEnd} <= kinds


def test_shipped_truth_matches_the_sample() -> None:
    truth = json.loads(SAMPLE_TRUTH.read_text())
    _, events, _ = read(SAMPLE)

    assert truth["tz"] == "Europe/Berlin"
    sitting = truth["sitting"]
    assert all(start < end for start, end in sitting)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(sitting))
    assert events[0].t - 60 < sitting[0][0] <= events[0].t
    assert max(end - start for start, end in sitting) >= 70 * 60  # the long stretch


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sample_trace", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    # Catches a generator edited without re-running it (or a non-deterministic one).
    trace_path, truth_path = load_generator().write_sample(tmp_path)

    assert trace_path.read_bytes() == SAMPLE.read_bytes()
    assert truth_path.read_bytes() == SAMPLE_TRUTH.read_bytes()
