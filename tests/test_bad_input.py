"""Whatever comes in from outside gives a result or sitbreak's own error.

Property-based (hypothesis) over every parser of outside input: durations,
config files, activity traces and control-socket requests. A traceback, a
hang or a bare ValueError/KeyError would fail these.
"""

from __future__ import annotations

import json
import math
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitbreak.config import load_config, parse_duration
from sitbreak.daemon.control import ProtocolError, parse_request
from sitbreak.errors import ConfigError, SitbreakError, TraceError
from sitbreak.storage.trace import open_trace

FAST = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# --------------------------------------------------------------- durations

duration_like = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789.hms ", max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)


@FAST
@given(duration_like)
def test_a_duration_is_a_finite_non_negative_number_or_a_config_error(value: object) -> None:
    try:
        seconds = parse_duration(value, "[session] break_idle")
    except ConfigError as exc:
        assert "[session] break_idle" in str(exc)
        return
    assert isinstance(seconds, float)
    assert math.isfinite(seconds)
    assert seconds >= 0


# ------------------------------------------------------------ config files

KEYS = {
    "general": ["timezone"],
    "activity": ["source"],
    "notify": ["backend"],
    "session": ["break_idle", "break_locked", "call_idle_max", "auto_lock_idle"],
    "prompts": ["posture_after", "move_after", "move_repeat", "quiet_hours", "extra_every"],
    "prompts.enabled": ["posture", "move", "stretch"],
}
toml_scalar = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + " :-/._", max_size=16),
    st.sampled_from(['"8m"', '"30s"', '"1h30m"', '"x11"', '"Europe/Berlin"', '"12:00-13:00"']),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value.startswith('"') else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


@st.composite
def config_files(draw: st.DrawFn) -> str:
    lines = []
    sections = draw(st.lists(st.sampled_from([*KEYS, "sesion", "extra"]), max_size=4, unique=True))
    for section in sections:
        lines.append(f"[{section}]")
        names = [*KEYS.get(section, ["whatever"]), "brake_idle"]
        for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
            value = draw(st.one_of(toml_scalar, st.lists(toml_scalar, max_size=3)))
            lines.append(f"{name} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


@FAST
@given(st.one_of(config_files(), st.text(max_size=200)))
def test_any_config_file_loads_or_fails_with_a_config_error_naming_it(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)
        return
    assert config.engine.break_idle > 0


# ------------------------------------------------------------------ traces

trace_line = st.one_of(
    st.builds(
        lambda t, kind: json.dumps({"t": t, "kind": kind}),
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(max_size=3)
        ),
        st.sampled_from(["input", "lock", "unlock", "suspend", "resume", "call_start", "gaze", ""]),
    ),
    st.text(max_size=40),
    st.just('{"kind": "meta", "version": 1, "tz": "Europe/Berlin"}'),
    st.just('{"kind": "meta", "version": 2}'),
    st.just("[1, 2]"),
)


@FAST
@given(st.lists(trace_line, max_size=20))
def test_any_trace_reads_as_events_or_fails_with_a_trace_error_naming_the_line(
    tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warnings: list[str] = []
    try:
        with open_trace(path, warn=warnings.append) as trace:
            events = list(trace)
    except TraceError as exc:
        assert str(path) in str(exc)
        return
    times = [e.t for e in events]
    assert times == sorted(times)
    assert all(math.isfinite(t) for t in times)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_as_a_trace_never_escape_as_anything_but_a_trace_error(
    tmp_path: Path, blob: bytes
) -> None:
    path = tmp_path / "trace.jsonl.gz" if blob[:2] == b"\x1f\x8b" else tmp_path / "trace.jsonl"
    path.write_bytes(blob)
    try:
        with open_trace(path, warn=lambda _m: None) as trace:
            list(trace)
    except SitbreakError:
        pass


# -------------------------------------------------------- control requests

request_objects = st.dictionaries(
    st.sampled_from(["cmd", "seconds", "secs", "extra"]),
    st.one_of(
        st.sampled_from(["status", "pause", "resume", "snooze", "halt", ""]),
        st.floats(allow_nan=False),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    ),
    max_size=3,
)


@FAST
@given(st.one_of(request_objects.map(lambda d: json.dumps(d).encode()), st.binary(max_size=200)))
def test_any_control_request_parses_or_is_a_protocol_error(raw: bytes) -> None:
    try:
        request = parse_request(raw)
    except ProtocolError as exc:
        assert str(exc)
        return
    assert request.cmd in {"status", "pause", "resume", "snooze"}
    if request.seconds is not None:
        assert 0 < request.seconds <= 7 * 86400
