"""sitbreak's TOML configuration: load, validate, show.

The shipped file (`sitbreak/data/sitbreak.toml`, also reachable as
`config/sitbreak.toml` in a checkout) is the single source of default values
and documents every key. A user's file
overrides only the keys it sets. Every problem becomes a `ConfigError` naming
the file and the key, what was expected and what was found; all problems of a
file are reported together, one per line, so it can be fixed in one go.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import importlib.resources
import math
import re
import sys
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

import sitbreak
from sitbreak import paths
from sitbreak.core.model import PromptKind
from sitbreak.core.settings import HOUR, MINUTE, EngineSettings, QuietRange
from sitbreak.errors import ConfigError

DAY = 24 * HOUR

#: `Config.sources` value for a key the user's file does not set.
DEFAULT_SOURCE = "default"

DURATION_HINT = 'a duration like "90s", "8m" or "1h30m"'


# ------------------------------------------------------------------ schema

#: Where activity can come from; "auto" picks the best that works, in the
#: order of sitbreak.desktop.activity.AUTO_ORDER (docs/desktops.md).
ACTIVITY_SOURCES = ("auto", "x11", "pynput", "gnome", "freedesktop", "swayidle", "logind")
#: How prompts can be shown.
NOTIFY_BACKENDS = ("auto", "dbus", "plyer", "log")


class _Kind(enum.Enum):
    DURATION = "duration"
    BOOL = "bool"
    QUIET_HOURS = "quiet_hours"  # a list of "HH:MM-HH:MM" ranges (quiet or work hours)
    WEEKDAYS = "weekdays"
    TIMEZONE = "timezone"
    CHOICE = "choice"
    TEXT = "text"  # a short string, one line (a path, a name)
    AUTO_BOOL = "auto_bool"  # "auto", true or false (kept as "auto", "true", "false")
    URL = "url"  # "" (off) or an http(s)://host[:port] address


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: _Kind
    low: float = 0.0
    high: float | None = None  # None: no upper bound
    # The minimum for a value written with a unit ("10s"): a deliberate
    # seconds-scale setting, for trying sitbreak out or testing it. A bare
    # number below `low` is far more often minutes meant as seconds.
    floor: float | None = None
    choices: tuple[str, ...] = ()  # for CHOICE: the allowed strings


def _duration(low: float, high: float | None = None, floor: float | None = None) -> _Spec:
    return _Spec(_Kind.DURATION, low, high, floor)


# Sections in the order `config show` prints them. Duration keys are named like
# the `EngineSettings` fields they set; the bounds keep values that would make
# the engine misbehave (or nag every few seconds) out.
_SCHEMA: dict[str, dict[str, _Spec]] = {
    "general": {"timezone": _Spec(_Kind.TIMEZONE)},
    "activity": {"source": _Spec(_Kind.CHOICE, choices=ACTIVITY_SOURCES)},
    "notify": {"backend": _Spec(_Kind.CHOICE, choices=NOTIFY_BACKENDS)},
    "tray": {"show": _Spec(_Kind.AUTO_BOOL)},
    "session": {
        "break_idle": _duration(1 * MINUTE, 4 * HOUR, floor=5),
        "break_locked": _duration(0, 1 * HOUR),
        "call_idle_max": _duration(1 * MINUTE, 8 * HOUR, floor=5),
        "auto_lock_idle": _duration(0, 1 * HOUR),
    },
    "prompts": {
        "posture_after": _duration(1 * MINUTE, floor=5),
        "posture_guard": _duration(0, 1 * HOUR),
        "move_after": _duration(5 * MINUTE, 4 * HOUR, floor=5),
        "move_repeat": _duration(1 * MINUTE, 4 * HOUR, floor=5),
        "extra_every": _duration(5 * MINUTE, 8 * HOUR, floor=5),
        "hold_after_idle": _duration(0, 30 * MINUTE),
        "quiet_hours": _Spec(_Kind.QUIET_HOURS),
        "work_days": _Spec(_Kind.WEEKDAYS),
        "work_hours": _Spec(_Kind.QUIET_HOURS),
    },
    "prompts.enabled": {kind.value: _Spec(_Kind.BOOL) for kind in PromptKind},
    # high: the longest text allowed
    "sync": {
        "folder": _Spec(_Kind.TEXT, high=4096),
        "name": _Spec(_Kind.TEXT, high=64),
        # How long this computer's own files stay in the folder.
        "keep": _duration(7 * DAY, 3650 * DAY),
    },
    "activitywatch": {"server": _Spec(_Kind.URL)},
    # How long the activity timeline (what replay and tune read) is kept.
    "history": {"keep": _duration(1 * DAY, 3650 * DAY)},
}

_Key = tuple[str, str]  # (section, key), e.g. ("session", "break_idle")
_Value = float | bool | str | tuple[QuietRange, ...] | tuple[str, ...]


def _dotted(key: _Key) -> str:
    return f"{key[0]}.{key[1]}"


def duration_bounds() -> dict[str, tuple[float, float | None]]:
    """Every duration key ("session.break_idle") with the least and the most a
    config file may set it to, in seconds, written with a unit (None: no most)."""
    return {
        f"{section}.{name}": (spec.low if spec.floor is None else spec.floor, spec.high)
        for section, keys in _SCHEMA.items()
        for name, spec in keys.items()
        if spec.kind is _Kind.DURATION
    }


def _all_keys() -> list[_Key]:
    return [(section, name) for section, keys in _SCHEMA.items() for name in keys]


# ------------------------------------------------------------ value parsers

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PLAIN_SECONDS_RE = re.compile(_NUMBER)
_DURATION_RE = re.compile(
    rf"(?:(?P<d>{_NUMBER})\s*d)?\s*(?:(?P<h>{_NUMBER})\s*h)?\s*(?:(?P<m>{_NUMBER})\s*m)?\s*(?:(?P<s>{_NUMBER})\s*s)?"
)


def _duration_seconds(text: str) -> float | None:
    text = text.strip()
    if _PLAIN_SECONDS_RE.fullmatch(text):
        return float(text)
    match = _DURATION_RE.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(part or 0) for part in match.group("d", "h", "m", "s"))
    return days * DAY + hours * HOUR + minutes * MINUTE + seconds


def parse_duration(value: object, where: str) -> float:
    """Seconds from a TOML number of seconds or a string like "90s", "8m", "1h30m", "45".

    `where` starts the error message: the file and key, e.g. "config.toml: [session] break_idle".
    """
    seconds: float | None = None
    if isinstance(value, bool):
        pass  # a bool is an int to Python, but `true` is no duration
    elif isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an integer too large for a float
            seconds = None
    elif isinstance(value, str):
        seconds = _duration_seconds(value)
        unsigned = value.strip().removeprefix("-")
        if (
            seconds is None
            and unsigned != value.strip()
            and _duration_seconds(unsigned) is not None
        ):
            seconds = -1.0  # "-5m": a duration, but a negative one; said as such below
    if seconds is None or not math.isfinite(seconds):
        raise ConfigError(f"{where}: expected {DURATION_HINT}, found {_describe(value)}")
    if seconds < 0:
        raise ConfigError(f"{where}: expected a duration of zero or more, found {_describe(value)}")
    return seconds


def format_duration(seconds: float) -> str:
    """The inverse of `parse_duration`, for people: 480 -> "8m", 5400 -> "1h30m", 0 -> "0s"."""
    # Milliseconds are the finest step anyone sets; rounding keeps float noise out.
    seconds = round(seconds, 3)
    if seconds >= DAY and seconds % DAY == 0:  # a retention time: "90d"
        return f"{int(seconds // DAY)}d"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if minutes:
        parts.append(f"{minutes}m")
    remainder = secs + (seconds - whole)
    if remainder or not parts:
        parts.append(f"{remainder:.3f}".rstrip("0").rstrip(".") + "s")
    return "".join(parts)


_CLOCK_RANGE_RE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def _clock_range(item: object) -> QuietRange:
    """One "HH:MM-HH:MM" range; a ValueError says what is wrong with it."""
    match = _CLOCK_RANGE_RE.fullmatch(item.strip()) if isinstance(item, str) else None
    if match is None:
        raise ValueError(f'expected a range like "12:00-13:30", found {_describe(item)}')
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if not (start_h <= 23 and start_m <= 59):
        raise ValueError(
            f"the start is not a time of day (00:00 to 23:59), found {_describe(item)}"
        )
    # 24:00 lets a range run to midnight without wrapping round to the next day.
    if not ((end_h <= 23 and end_m <= 59) or (end_h, end_m) == (24, 0)):
        raise ValueError(f"the end is not a time of day (00:00 to 24:00), found {_describe(item)}")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start == end:
        raise ValueError(
            "the range is empty, it ends where it starts (for the whole day write "
            f'"00:00-24:00"), found {_describe(item)}'
        )
    return QuietRange(start_min=start, end_min=end)


def parse_quiet_hours(value: object, where: str) -> tuple[QuietRange, ...]:
    """Quiet ranges from a list of "HH:MM-HH:MM" strings; all bad items are reported at once."""
    if not isinstance(value, list):
        hint = f"; write it as a list: [{_toml_string(value)}]" if isinstance(value, str) else ""
        raise ConfigError(
            f'{where}: expected a list of "HH:MM-HH:MM" ranges, found {_describe(value)}{hint}'
        )
    ranges: list[QuietRange] = []
    problems: list[str] = []
    for number, item in enumerate(value, start=1):
        try:
            ranges.append(_clock_range(item))
        except ValueError as exc:
            problems.append(f"{where}: item {number}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    return tuple(ranges)


#: Day names as config files write them, in `date.weekday()` order (Monday = 0).
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekdays(value: object, where: str) -> tuple[str, ...]:
    """Day names ("mon", ..., "sun"; full names too) in week order; all bad items reported."""
    expected = 'a list of days like ["mon", "tue", "wed", "thu", "fri"]'
    if not isinstance(value, list):
        hint = f"; write it as a list: [{_toml_string(value)}]" if isinstance(value, str) else ""
        raise ConfigError(f"{where}: expected {expected}, found {_describe(value)}{hint}")
    if not value:
        raise ConfigError(
            f"{where}: expected at least one day, found []; to have no prompts at all, "
            "switch the kinds off in [prompts.enabled]"
        )
    days: set[int] = set()
    problems: list[str] = []
    for number, item in enumerate(value, start=1):
        name = item.strip().lower() if isinstance(item, str) else None
        if name in WEEKDAY_NAMES:
            days.add(WEEKDAY_NAMES.index(name))
        elif name in _FULL_DAY_NAMES:
            days.add(_FULL_DAY_NAMES.index(name))
        else:
            close = difflib.get_close_matches(name or "", WEEKDAY_NAMES + _FULL_DAY_NAMES, n=1)
            hint = f"; did you mean {_toml_string(close[0][:3])}?" if close else ""
            problems.append(
                f"{where}: item {number}: expected one of {', '.join(WEEKDAY_NAMES)}, "
                f"found {_describe(item)}{hint}"
            )
    if problems:
        raise ConfigError("\n".join(problems))
    return tuple(WEEKDAY_NAMES[d] for d in sorted(days))


def _format_clock_range(quiet: QuietRange) -> str:
    start_h, start_m = divmod(quiet.start_min, 60)
    end_h, end_m = divmod(quiet.end_min, 60)
    return f"{start_h:02d}:{start_m:02d}-{end_h:02d}:{end_m:02d}"


def _parse_timezone(value: object, where: str) -> str:
    expected = 'an IANA time zone name like "Europe/Berlin", or "" for local time'
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected {expected}, found {_describe(value)}")
    if value == "":
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # Only now pay for listing the zones, to suggest the nearest name.
        close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
        hint = f"; did you mean {_toml_string(close[0])}?" if close else ""
        raise ConfigError(
            f"{where}: expected {expected}, found unknown time zone {_describe(value)}{hint}"
        ) from None
    return value


def _convert_one(spec: _Spec, value: object, where: str) -> _Value:
    if spec.kind is _Kind.DURATION:
        seconds = parse_duration(value, where)
        _check_range(spec, seconds, value, where)
        return seconds
    if spec.kind is _Kind.BOOL:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, found {_describe(value)}")
        return value
    if spec.kind is _Kind.QUIET_HOURS:
        return parse_quiet_hours(value, where)
    if spec.kind is _Kind.WEEKDAYS:
        return parse_weekdays(value, where)
    if spec.kind is _Kind.CHOICE:
        return _parse_choice(value, spec.choices, where)
    if spec.kind is _Kind.TEXT:
        return _parse_text(value, int(spec.high or 0), where)
    if spec.kind is _Kind.AUTO_BOOL:
        if isinstance(value, bool):
            return "true" if value else "false"
        if value == "auto":
            return "auto"
        hint = " (write true or false without quotes)" if value in ("true", "false") else ""
        found = _describe(value)
        raise ConfigError(f'{where}: expected "auto", true or false, found {found}{hint}')
    if spec.kind is _Kind.URL:
        return _parse_server_url(value, where)
    return _parse_timezone(value, where)


def _parse_server_url(value: object, where: str) -> str:
    expected = 'a server address like "http://localhost:5600", or "" for none'
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected {expected}, found {_describe(value)}")
    text = value.strip()
    if text == "":
        return text
    m = re.fullmatch(r"(https?)://([^/\s:?#]+|\[[0-9a-fA-F:.]+\])(?::(\d{1,5}))?/?", text)
    if m is None or (m.group(3) is not None and not 0 < int(m.group(3)) < 65536):
        raise ConfigError(f"{where}: expected {expected}, found {_describe(value)}")
    return text.rstrip("/")


def _parse_text(value: object, longest: int, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, found {_describe(value)}")
    if not value.isprintable():
        raise ConfigError(f"{where}: expected one line of printable text, found {_describe(value)}")
    if len(value) > longest:
        raise ConfigError(f"{where}: expected at most {longest} characters, found {len(value)}")
    return value


def _parse_choice(value: object, choices: tuple[str, ...], where: str) -> str:
    if isinstance(value, str) and value in choices:
        return value
    options = ", ".join(_toml_string(c) for c in choices)
    close = difflib.get_close_matches(value, choices, n=1) if isinstance(value, str) else []
    hint = f"; did you mean {_toml_string(close[0])}?" if close else ""
    raise ConfigError(f"{where}: expected one of {options}, found {_describe(value)}{hint}")


def _check_range(spec: _Spec, seconds: float, raw: object, where: str) -> None:
    with_unit = isinstance(raw, str) and not _PLAIN_SECONDS_RE.fullmatch(raw.strip())
    low = spec.floor if with_unit and spec.floor is not None else spec.low
    if low <= seconds and (spec.high is None or seconds <= spec.high):
        return
    if spec.high is None:
        expected = f"a duration of at least {format_duration(low)}"
    else:
        expected = f"a duration between {format_duration(low)} and {format_duration(spec.high)}"
    found = _describe(raw)
    hint = ""
    if not with_unit:  # a bare number of seconds: show what it amounts to
        found += f" ({format_duration(seconds)})" if not isinstance(raw, str) else ""
        if spec.floor is not None and seconds >= spec.floor and seconds < spec.low:
            # Only the minutes are offered: "30s" would contradict the range
            # just stated, though a seconds-scale setting with its unit is allowed.
            hint = (
                f'; plain numbers are seconds: write "{format_duration(seconds * 60)}" '
                f"for {seconds:g} {'minute' if seconds == 1 else 'minutes'} (below "
                f"{format_duration(spec.low)} only a value with its unit, such as "
                f'"{format_duration(seconds)}", is accepted, for trying sitbreak out)'
            )
    raise ConfigError(f"{where}: expected {expected}, found {found}{hint}")


# ------------------------------------------------------------- rendering


def _toml_string(text: str) -> str:
    """`text` as a TOML basic string; json.dumps would leave DEL (U+007F) unescaped."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\t" or (ord(char) >= 0x20 and ord(char) != 0x7F):
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04X}")
    out.append('"')
    return "".join(out)


def _describe(value: object) -> str:
    """A found value as the person wrote it in TOML, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = _toml_string(value)
    elif isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list):
        text = "[" + ", ".join(_describe(item) for item in value) + "]"
    elif isinstance(value, datetime | date | time):
        return f"{value.isoformat()} (a date or time)"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _comment_safe(text: str) -> str:
    # A newline or other control character would end or break a TOML comment.
    return "".join(char if char.isprintable() else "?" for char in text)


# ----------------------------------------------------------- reading files


def _where(section: str, name: str) -> str:
    return f"[{section}] {name}" if section else f"top-level key {name}"


def _suggest_key(section: str, name: str) -> str:
    own = difflib.get_close_matches(name, list(_SCHEMA.get(section, {})), n=1)
    if own:
        return f'; did you mean "{own[0]}"?'
    # The key may belong in (or be a typo of a key in) another section.
    elsewhere = {key: f"[{sec}] {key}" for sec, key in _all_keys()}
    other = difflib.get_close_matches(name, list(elsewhere), n=1)
    if other:
        return f"; did you mean {elsewhere[other[0]]}?"
    if section in _SCHEMA:
        return f"; the keys of [{section}] are {', '.join(_SCHEMA[section])}"
    return ""


def _suggest_section(dotted: str) -> str:
    close = difflib.get_close_matches(dotted, list(_SCHEMA), n=1)
    if close:
        return f"; did you mean [{close[0]}]?"
    return "; the sections are " + ", ".join(f"[{section}]" for section in _SCHEMA)


@dataclass
class _Parsed:
    """What one file sets: the values that passed, the keys that did not, every problem."""

    label: str
    values: dict[_Key, _Value] = field(default_factory=dict)
    broken: set[_Key] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    #: The line each table and key is on ("prompts", "prompts.move_after"), for messages.
    lines: dict[str, int] = field(default_factory=dict)

    def at(self, dotted: str) -> str:
        """'FILE:12' for the line `dotted` (or the table holding it) is on; 'FILE' if unknown."""
        while dotted:
            line = self.lines.get(dotted)
            if line is not None:
                return f"{self.label}:{line}"
            dotted = dotted.rpartition(".")[0]
        return self.label


_TABLE_LINE_RE = re.compile(r"\s*\[\s*([^\[\]#]+?)\s*\]\s*(?:#.*)?")
_KEY_LINE_RE = re.compile(
    r"\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"))*)\s*="
)


def _line_numbers(text: str) -> dict[str, int]:
    """Where each table header and key is, by dotted name: a plain reading of
    the usual layout (tables and `key = value` lines), which only names lines
    in messages; tomllib has already judged the file valid."""

    def dotted(name: str) -> str:
        return ".".join(part.strip().strip('"') for part in name.split("."))

    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _TABLE_LINE_RE.fullmatch(line):
            table = dotted(match.group(1))
            lines.setdefault(table, number)
        elif match := _KEY_LINE_RE.match(line):
            key = dotted(match.group(1))
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


def _read_table(table: Mapping[str, object], section: str, out: _Parsed) -> None:
    """Walk one TOML table in file order, converting known keys and reporting the rest."""
    for name, value in table.items():
        dotted = f"{section}.{name}" if section else name
        where = f"{out.at(dotted)}: {_where(section, name)}"
        if dotted in _SCHEMA:
            if isinstance(value, dict):
                _read_table(value, dotted, out)
            else:
                out.errors.append(f"{where}: expected a table [{dotted}], found {_describe(value)}")
        elif name in _SCHEMA.get(section, {}):
            try:
                out.values[(section, name)] = _convert_one(_SCHEMA[section][name], value, where)
            except ConfigError as exc:
                out.broken.add((section, name))
                out.errors.extend(str(exc).splitlines())
        elif isinstance(value, dict):
            out.errors.append(
                f"{out.at(dotted)}: [{dotted}]: unknown section{_suggest_section(dotted)}"
            )
        else:
            out.errors.append(f"{where}: unknown key{_suggest_key(section, name)}")


def _parse_file(text: str, label: str) -> _Parsed:
    parsed = _Parsed(label)
    table = _parse_toml(text, label)
    parsed.lines = _line_numbers(text)
    _read_table(table, "", parsed)
    return parsed


def _parse_toml(text: str, label: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_error(text, label, str(exc))) from None


_TOML_AT_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = " (at end of document)"
_TOML_TABLE_RE = re.compile(r"\(((?:'[^']*'(?:, )?)+),?\)")


def toml_error(text: str, label: str, message: str) -> str:
    """tomllib's complaint as the other config errors read: 'FILE:LINE: invalid TOML: ...'.

    tomllib says "Cannot declare ('prompts',) twice (at line 3, column 9)": the
    line goes up front, the table is written as in the file ([prompts]). A file
    that ends inside an unclosed array, table or string is "at end of
    document": the line named is the one where that unclosed thing begins."""
    message = _TOML_TABLE_RE.sub(
        lambda m: "[" + ".".join(re.findall(r"'([^']*)'", m.group(1))) + "]", message
    )
    if at := _TOML_AT_RE.search(message):
        return (
            f"{label}:{at.group(1)}: invalid TOML: {message[: at.start()]} (column {at.group(2)})"
        )
    if message.endswith(_TOML_AT_END):
        lines = text.splitlines(keepends=True)
        start = next(
            (n for n in range(1, len(lines) + 1) if _ends_open("".join(lines[:n]))), len(lines)
        )
        start = max(start, 1)
        return (
            f"{label}:{start}: invalid TOML: {message[: -len(_TOML_AT_END)]} at the end of the "
            f"file; what begins on line {start} is never closed"
        )
    return f"{label}: invalid TOML: {message}"


def _ends_open(text: str) -> bool:
    """Whether `text` stops inside something unclosed (tomllib: "at end of document")."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return str(exc).endswith(_TOML_AT_END)
    return False


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise ConfigError(
            f"{path}:{line}: the config file is not UTF-8 text: byte "
            f"0x{data[exc.start]:02x} at column {column} is not UTF-8; save the file as UTF-8"
        ) from None


def _default_source() -> tuple[str, str]:
    """(where the shipped defaults were found, their text)."""
    packaged = importlib.resources.files("sitbreak") / "data" / "sitbreak.toml"
    if packaged.is_file():
        return str(packaged), packaged.read_text(encoding="utf-8")
    # A source checkout: src/sitbreak/__init__.py -> <repo>/config/sitbreak.toml.
    checkout = Path(sitbreak.__file__).parents[2] / "config" / "sitbreak.toml"
    try:
        return str(checkout), checkout.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(
            f"the default config is missing: neither {packaged} nor {checkout} exists; "
            "sitbreak is not installed properly"
        ) from None


def default_config_path() -> str:
    """Where the shipped default config is, every key commented: for people to read."""
    return _default_source()[0]


def default_config_text() -> str:
    """The shipped default config file, comments and all."""
    return _default_source()[1]


def _user_file(path: Path | None) -> Path | None:
    """The user's file to overlay: an explicit one must exist, the usual one may not."""
    if path is not None:
        if not path.exists():
            raise ConfigError(f"{path}: no such config file")
        return path
    explicit = paths.explicit_config_path()
    if explicit is not None:
        if not explicit.exists():
            raise ConfigError(f"{explicit}: no such config file (named by ${paths.CONFIG_ENV})")
        return explicit
    usual = paths.user_config_path()
    return usual if usual.exists() else None


# ------------------------------------------------------------- the config


@dataclass(frozen=True)
class Config:
    engine: EngineSettings
    timezone: str  # IANA name; "" means the machine's local zone
    sources: dict[str, str]  # "session.break_idle" -> "default" or the user file's path
    path: Path | None  # the user file overlaid on the defaults, if any
    activity_source: str = "auto"
    notify_backend: str = "auto"
    #: The synced folder shared with the person's other computers ("" : none),
    #: `~` expanded; and the name this computer goes by there ("": its hostname).
    sync_folder: str = ""
    sync_name: str = ""
    #: How long this computer's own files stay in the sync folder ([sync] keep), seconds.
    sync_keep: float = 60 * DAY
    #: Valid, but probably not what was meant (`config check` prints them).
    warnings: tuple[str, ...] = ()
    tray_show: str = "auto"  # "auto", "true" or "false"
    #: Where the daemon posts sessions and breaks ([activitywatch] server); "" for nowhere.
    activitywatch_server: str = ""
    #: How long the activity timeline is kept, in seconds ([history] keep).
    history_keep: float = 90 * DAY


def _set_at(user: _Parsed, sources: Mapping[str, str], *keys: _Key) -> str:
    """'FILE:LINE' of the first of `keys` (in the order the message names them)
    that the user's file sets, for a message about keys that contradict each
    other; 'FILE' if it sets none of them."""
    for key in keys:
        if sources[_dotted(key)] != DEFAULT_SOURCE:
            return user.at(_dotted(key))
    return user.label


def _consistency_errors(
    values: Mapping[_Key, _Value], sources: Mapping[str, str], user: _Parsed
) -> list[str]:
    """Values that are each fine but contradict one another."""
    broken = user.broken

    def shown(key: _Key) -> str:
        text = f"{_where(*key)} = {_render(values[key])}"
        return text + " (the default)" if sources[_dotted(key)] == DEFAULT_SOURCE else text

    def usable(*keys: _Key) -> bool:
        # A key whose own value was rejected would be judged by its default: skip it.
        return not broken.intersection(keys)

    errors = []
    posture, move = ("prompts", "posture_after"), ("prompts", "move_after")
    posture_on, move_on = ("prompts.enabled", "posture"), ("prompts.enabled", "move")
    if (
        usable(posture, move, posture_on, move_on)
        and values[posture_on]
        and values[move_on]
        and _seconds(values[posture]) >= _seconds(values[move])
    ):
        errors.append(
            f"{_set_at(user, sources, posture, move, posture_on, move_on)}: "
            f"{shown(posture)} is not shorter than {shown(move)}: with both posture "
            "and move prompts enabled the posture prompt would never come first; lower "
            "posture_after, raise move_after or set [prompts.enabled] posture = false"
        )
    locked, idle = ("session", "break_locked"), ("session", "break_idle")
    if usable(locked, idle) and _seconds(values[locked]) > _seconds(values[idle]):
        errors.append(
            f"{_set_at(user, sources, locked, idle)}: "
            f"{shown(locked)} is longer than {shown(idle)}: a locked screen is a "
            "surer sign of a break than idle input, so it should not take longer to count "
            f"as one; set break_locked to {_render(values[idle])} or less, or raise break_idle"
        )
    call = ("session", "call_idle_max")
    if usable(call, idle) and _seconds(values[call]) < _seconds(values[idle]):
        errors.append(
            f"{_set_at(user, sources, call, idle)}: "
            f"{shown(call)} is shorter than {shown(idle)}: stillness during a call "
            "would then end a session sooner than without one; raise call_idle_max"
        )
    return errors


def _consistency_warnings(
    values: Mapping[_Key, _Value], sources: Mapping[str, str], user: _Parsed
) -> list[str]:
    """Values that are allowed together but switch a feature off without saying so."""

    def shown(key: _Key) -> str:
        text = f"{_where(*key)} = {_render(values[key])}"
        return text + " (the default)" if sources[_dotted(key)] == DEFAULT_SOURCE else text

    warnings = []
    posture, move, guard = (
        ("prompts", "posture_after"),
        ("prompts", "move_after"),
        (
            "prompts",
            "posture_guard",
        ),
    )
    both = values[("prompts.enabled", "posture")] and values[("prompts.enabled", "move")]
    gap = _seconds(values[move]) - _seconds(values[posture])
    if both and 0 < gap < _seconds(values[guard]):
        # The engine drops a posture prompt that would come this close before
        # the move prompt (sitbreak.core.engine: _start_session).
        latest = _seconds(values[move]) - _seconds(values[guard])
        # Only a posture_after the file could hold: "set it to 0s or less" is no advice.
        lowest = _SCHEMA["prompts"]["posture_after"].floor or 0.0
        lower = (
            f"set posture_after to {format_duration(latest)} or less, " if latest >= lowest else ""
        )
        warnings.append(
            f"{_set_at(user, sources, posture, guard, move)}: warning: "
            f"{shown(posture)} is less than {shown(guard)} before "
            f"{shown(move)}: a posture prompt that close to a move prompt is dropped, so none "
            f"is ever shown; {lower}raise move_after, or lower posture_guard"
        )
    return warnings


def _ranges(value: _Value) -> tuple[QuietRange, ...]:
    assert isinstance(value, tuple)  # only ever called on quiet_hours and work_hours
    return tuple(r for r in value if isinstance(r, QuietRange))


def _seconds(value: _Value) -> float:
    assert isinstance(value, float), value  # only ever called on duration keys
    return value


def load_config(path: Path | None = None) -> Config:
    """The shipped defaults overlaid with the user's file (`path`, else the usual one if any)."""
    default_label, default_text = _default_source()
    defaults = _parse_file(default_text, default_label)
    defaults.errors.extend(
        f"{default_label}: {_where(*key)}: missing from the shipped defaults"
        for key in _all_keys()
        if key not in defaults.values
    )
    if defaults.errors:  # a broken installation, not the user's doing: say so first
        raise ConfigError("\n".join(defaults.errors))

    values = dict(defaults.values)
    sources = {_dotted(key): DEFAULT_SOURCE for key in _all_keys()}
    user_path = _user_file(path)
    user = _Parsed(default_label)  # nothing to overlay unless there is a user file
    if user_path is not None:
        user = _parse_file(_read_text(user_path), str(user_path))
        values.update(user.values)
        sources.update((_dotted(key), user.label) for key in user.values)
    errors = user.errors + _consistency_errors(values, sources, user)
    if errors:
        raise ConfigError("\n".join(errors))

    timezone = values[("general", "timezone")]
    work_days = values[("prompts", "work_days")]
    assert isinstance(timezone, str) and isinstance(work_days, tuple)
    engine = dataclasses.replace(
        EngineSettings(),
        **{
            name: value
            for (section, name), value in values.items()
            if isinstance(value, float) and section not in ("history", "sync")
        },
        # Only a break_idle the person wrote down wins over the learned one.
        break_idle_set=sources[_dotted(("session", "break_idle"))] != DEFAULT_SOURCE,
        quiet_hours=_ranges(values[("prompts", "quiet_hours")]),
        work_hours=_ranges(values[("prompts", "work_hours")]),
        work_days=frozenset(WEEKDAY_NAMES.index(str(day)) for day in work_days),
        enabled=frozenset(
            PromptKind(name)
            for (section, name), on in values.items()
            if section == "prompts.enabled" and on is True
        ),
    )
    return Config(
        engine=engine,
        timezone=timezone,
        sources=sources,
        path=user_path,
        activity_source=str(values[("activity", "source")]),
        notify_backend=str(values[("notify", "backend")]),
        sync_folder=str(values[("sync", "folder")]),
        sync_name=str(values[("sync", "name")]),
        sync_keep=_seconds(values[("sync", "keep")]),
        warnings=tuple(_consistency_warnings(values, sources, user)),
        tray_show=str(values[("tray", "show")]),
        activitywatch_server=str(values[("activitywatch", "server")]),
        history_keep=_seconds(values[("history", "keep")]),
    )


def _effective(config: Config, key: _Key) -> _Value:
    section, name = key
    if section == "general":
        return config.timezone
    if section == "activity":
        return config.activity_source
    if section == "notify":
        return config.notify_backend
    if key == ("sync", "folder"):
        return config.sync_folder
    if key == ("sync", "name"):
        return config.sync_name
    if key == ("sync", "keep"):
        return config.sync_keep
    if section == "tray":
        return {"true": True, "false": False}.get(config.tray_show, config.tray_show)
    if section == "activitywatch":
        return config.activitywatch_server
    if section == "history":
        return config.history_keep
    if section == "prompts.enabled":
        return PromptKind(name) in config.engine.enabled
    if key == ("prompts", "work_days"):
        return tuple(WEEKDAY_NAMES[day] for day in sorted(config.engine.work_days))
    value: float | tuple[QuietRange, ...] = getattr(config.engine, name)  # duration or hours
    return value


def _render(value: _Value) -> str:
    """`value` as TOML, durations, hours and days written the way people write them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # only durations are floats
        return _toml_string(format_duration(value))
    if isinstance(value, tuple):
        items = (q if isinstance(q, str) else _format_clock_range(q) for q in value)
        return "[" + ", ".join(_toml_string(item) for item in items) + "]"
    return _toml_string(str(value))


#: The key whose default is only where learning starts (core/pauses.py).
_LEARNED_KEY: _Key = ("session", "break_idle")


def render_config(config: Config) -> str:
    """The effective config as valid TOML, each key commented with where it came from."""
    header = [
        "# sitbreak: the effective configuration",
        f"# user file: {_comment_safe(str(config.path))}"
        if config.path is not None
        else "# no user file: every value is the default",
    ]
    body: list[tuple[str, str]] = []  # (TOML line, comment); "" comment for headers
    for section, keys in _SCHEMA.items():
        body.append(("", ""))
        body.append((f"[{section}]", ""))
        for name in keys:
            key = (section, name)
            source = config.sources[_dotted(key)]
            origin = "default" if source == DEFAULT_SOURCE else f"from {_comment_safe(source)}"
            line = f"{name} = {_render(_effective(config, key))}"
            if key == _LEARNED_KEY and source == DEFAULT_SOURCE:
                # Written down it would be the person's own and stop the
                # learning: shown as a comment, so the output means the same.
                line, origin = f"# {line}", "default, where learning starts (see sitbreak status)"
            body.append((line, origin))
    width = max(len(line) for line, comment in body if comment)
    lines = header + [
        f"{line:<{width}}  # {comment}" if comment else line for line, comment in body
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------- writing


def write_durations(path: Path, values: Mapping[tuple[str, str], float]) -> None:
    """Set duration keys (section, key) in the TOML file at `path`, creating it if need be.

    Everything else in the file stays as it was, comments and layout too
    (tomlkit edits the document, no string surgery). The result is checked
    like any config before it replaces the file, atomically, keeping the
    file's permissions (a new file is 0600). ConfigError names what is wrong.
    """
    import os
    import tempfile

    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    for section, name in values:
        spec = _SCHEMA.get(section, {}).get(name)
        if spec is None or spec.kind is not _Kind.DURATION:
            raise ConfigError(f"{path}: {_where(section, name)}: not a duration key")
    text = _read_text(path) if path.exists() else ""
    _parse_toml(text, str(path))  # a broken file is named as `config check` names it
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    for (section, name), seconds in values.items():
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        elif not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] is not a table")
        table[name] = format_duration(seconds)
    new_text = tomlkit.dumps(doc)
    parsed = _parse_file(new_text, str(path))
    if parsed.errors:
        raise ConfigError("\n".join(parsed.errors))
    mode = (path.stat().st_mode & 0o777) if path.exists() else 0o600
    paths.ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new_text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write the config file: {exc.strerror or exc}") from None
