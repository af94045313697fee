"""Activity traces: reading and writing the JSON Lines format the engine replays.

A trace is one JSON object a line, optionally gzip-compressed: an optional
header ``{"kind": "meta", "version": 1, "tz": "Europe/Berlin"}`` on line 1,
then events ``{"t": <seconds since the epoch>, "kind": "input"}`` in time
order (see docs/trace-format.md). `open_trace` reads one, `write_trace` writes one.

Reading is on the hot path of ``sitbreak replay`` (a working week is ~100k
lines), so the per-line loop does the least it can: one C-level JSON parse,
two dict lookups and a few comparisons. Anything unusual (a header, a bad line,
an unknown kind, a clock step backwards) drops to a slow path that diagnoses
it properly, so the fast path never has to.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import os
import sys
import weakref
import zlib
import zoneinfo
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from sitbreak.core.model import (
    Activity,
    BreakNow,
    CallEnd,
    CallStart,
    DesktopBusy,
    Event,
    Lock,
    Pause,
    Resume,
    Snooze,
    Suspend,
    Unlock,
    Unpause,
    WatchEnd,
    WatchStart,
)
from sitbreak.core.run import Started, Stopped
from sitbreak.errors import StorageError, TraceError

#: The trace format version this module writes, and the versions it reads.
FORMAT_VERSION: Final = 1
SUPPORTED_VERSIONS: Final = frozenset({1})

#: How far (in seconds) time may step backwards before a line is malformed.
#: Clocks wobble by a little (NTP slews, events from two sources); the engine
#: expects monotonic time, so such small steps are clamped instead.
MAX_BACKWARDS_S: Final = 1.0

HEADER_KIND: Final = "meta"

#: The events a trace can hold, by their `kind`.
TraceEvent = (
    Activity
    | Lock
    | Unlock
    | Suspend
    | Resume
    | CallStart
    | CallEnd
    | WatchStart
    | WatchEnd
    | Unpause
    | BreakNow
    | Pause
    | Snooze
    | DesktopBusy
    | Stopped
)
_Make = Callable[[float], TraceEvent]

EVENT_CLASSES: Final[dict[str, Callable[[float], TraceEvent]]] = {
    "input": Activity,
    "lock": Lock,
    "unlock": Unlock,
    "suspend": Suspend,
    "resume": Resume,
    "call_start": CallStart,
    "call_end": CallEnd,
    "watch_start": WatchStart,
    "watch_end": WatchEnd,
    # What a person's own recorded days hold besides (`sitbreak trace export`):
    "unpause": Unpause,
    "break_now": BreakNow,
    "stop": Stopped,
}
EVENT_KINDS: Final[dict[object, str]] = {cls: kind for kind, cls in EVENT_CLASSES.items()}
#: Kinds with a field besides `t` (read on the slow path).
ARG_KINDS: Final = frozenset({"pause", "snooze", "busy_start", "busy_end"})

Warn = Callable[[str], None]

_GZIP_MAGIC: Final = b"\x1f\x8b"
_SNIPPET_MAX: Final = 80
# The lowest finite float: the first event's `t` is compared against it, and
# unlike -inf it lets the fast path's `prev <= t` reject a `t` of -inf.
_BEFORE_ALL: Final = -sys.float_info.max
# json.loads runs a whitespace regex on both ends of every line and checks the
# argument's type; the decoder's raw_decode skips that and halves the cost of a
# line. The one thing it does not check, text after the object, the fast path
# checks itself (the object must end right before the newline).
_RAW_DECODE: Final = json.JSONDecoder().raw_decode


def warn_stderr(message: str) -> None:
    """The default `warn` callback: one line on standard error."""
    print(f"sitbreak: warning: {message}", file=sys.stderr)


@dataclass(frozen=True)
class TraceHeader:
    """What line 1 says about the trace; `tz` None means "the machine's local zone"."""

    version: int
    tz: str | None


class Trace:
    """An activity trace on disk: its `header`, and its events each time it is iterated.

    Each pass opens the file afresh and closes it at its end, so a Trace holds
    no file open between passes. Used as a context manager (``with
    open_trace(p) as trace: ...``), it also closes a pass that was abandoned
    midway, e.g. by an exception in the caller's loop.
    """

    def __init__(self, path: Path, header: TraceHeader, warn: Warn = warn_stderr) -> None:
        self.path = path
        self.header = header
        self._warn = warn
        # Passes still running, so `close` can end them; weak, so a finished or
        # dropped pass is not kept alive (it closes its file itself).
        self._passes: weakref.WeakSet[Generator[TraceEvent, None, None]] = weakref.WeakSet()
        #: Unknown kinds skipped by the latest pass, with how often each occurred.
        self.skipped: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"Trace({str(self.path)!r}, {self.header!r})"

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """End every pass still running, closing its file."""
        for events in list(self._passes):
            events.close()
        self._passes.clear()

    def __iter__(self) -> Iterator[TraceEvent]:
        events = self._events()
        self._passes.add(events)
        return events

    def _events(self) -> Generator[TraceEvent, None, None]:
        self.skipped = Counter()
        lineno = 0
        with _open_lines(self.path, lambda: lineno) as lines:
            # Locals, not attributes or globals, on the hot path.
            classes = EVENT_CLASSES
            decode = _RAW_DECODE
            inf = math.inf
            prev = _BEFORE_ALL
            cls: _Make | None
            for lineno, line in enumerate(lines, 1):
                try:
                    obj, end = decode(line)
                    t = obj["t"]
                    cls = classes[obj["kind"]]
                except (ValueError, LookupError, TypeError):
                    cls = None
                # Fast path: a known kind, nothing after the object but the
                # newline, a float `t` that is finite and not before the last one.
                if (
                    cls is None
                    or end != len(line) - 1
                    or type(t) is not float
                    or not prev <= t < inf
                ):
                    t, cls = self._check_line(line, lineno, prev)
                    if cls is None:
                        prev = t
                        continue
                prev = t
                yield cls(t)

    # ---------------------------------------------------------- slow path

    def _check_line(self, line: str, lineno: int, prev: float) -> tuple[float, _Make | None]:
        """Validate a line the fast path would not take: return its (clamped) time
        and event class, or (time, None) for a line to skip; raise if malformed."""
        text = line.strip()
        if not text:
            return prev, None  # a blank line, e.g. a trailing one: harmless
        obj = self._parse_object(text, lineno)
        kind = obj.get("kind")
        if kind == HEADER_KIND:
            if lineno == 1:
                return prev, None  # already read by open_trace
            raise self._error(
                lineno,
                f'expected an event, found a "{HEADER_KIND}" header (only allowed on line 1)',
            )
        t = _finite_time(obj.get("t"))
        if t is None:
            raise self._error(
                lineno, f'expected a JSON object with a finite numeric "t", found {_snippet(text)}'
            )
        if not isinstance(kind, str):
            raise self._error(lineno, f'expected a string "kind", found {_snippet(text)}')
        if t < prev:
            if prev - t > MAX_BACKWARDS_S:
                raise self._error(
                    lineno,
                    f"expected events in time order, found time going backwards by "
                    f"{prev - t:.3f} s (t={t!r} after t={prev!r})",
                )
            t = prev  # a small clock wobble: the engine needs monotonic time
        cls: _Make | None = EVENT_CLASSES.get(kind)
        if kind in ARG_KINDS:
            cls = self._with_arg(kind, obj, t, lineno, text)
        elif cls is None:
            self._skip_unknown(kind, lineno)
        return t, cls

    def _with_arg(
        self, kind: str, obj: dict[str, object], t: float, lineno: int, text: str
    ) -> _Make:
        if kind == "busy_start":
            return _busy_start
        if kind == "busy_end":
            return _busy_end
        if kind == "pause":
            if obj.get("until") is None:
                return Pause
            until = _finite_time(obj.get("until"))
            if until is None or until < t:
                raise self._error(
                    lineno, f'expected "until" to be a time at or after "t", found {_snippet(text)}'
                )
            return lambda t: Pause(t, until)
        seconds = _finite_time(obj.get("s"))
        if seconds is None or seconds < 0:
            raise self._error(
                lineno, f'expected "s", the snooze in seconds (0 or more), found {_snippet(text)}'
            )
        return lambda t: Snooze(t, seconds)

    def _parse_object(self, text: str, lineno: int) -> dict[str, object]:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._error(
                lineno,
                f"expected a JSON object, found invalid JSON at column {exc.colno} "
                f"({exc.msg}): {_snippet(text)}",
            ) from None
        if not isinstance(obj, dict):
            raise self._error(lineno, f"expected a JSON object, found {_snippet(text)}")
        return obj

    def _skip_unknown(self, kind: str, lineno: int) -> None:
        # Warn once per kind: a newer recorder may write thousands of them.
        self.skipped[kind] += 1
        if self.skipped[kind] == 1:
            self._warn(
                f"{self.path}:{lineno}: skipping events of unknown kind {kind!r} "
                "(written by a newer sitbreak?)"
            )

    def _error(self, lineno: int, message: str) -> TraceError:
        return TraceError(f"{self.path}:{lineno}: {message}")


def open_trace(path: Path, warn: Warn = warn_stderr) -> Trace:
    """Open the trace at `path` (plain or gzip, told apart by content) and read its header.

    Raises TraceError if the file cannot be read or its header is invalid;
    malformed event lines raise TraceError while iterating. `warn` is called
    once per unknown event kind, which is skipped.
    """
    with _open_lines(path, lambda: 0) as lines:
        first = next(lines, "")
    return Trace(path, _read_header(path, first), warn)


def _read_header(path: Path, line: str) -> TraceHeader:
    """The header on line 1, or the default one when line 1 is not a header."""
    try:
        obj = json.loads(line)
    except ValueError:
        obj = None  # not a header; iteration reports the bad line
    if not isinstance(obj, dict) or obj.get("kind") != HEADER_KIND:
        return TraceHeader(version=FORMAT_VERSION, tz=None)
    version = obj.get("version")
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        supported = " or ".join(str(v) for v in sorted(SUPPORTED_VERSIONS))
        found = f"version {json.dumps(version)}" if "version" in obj else 'no "version"'
        raise TraceError(
            f"{path}:1: expected a header with trace format version {supported}, found {found}"
        )
    tz = obj.get("tz")
    if tz is None:
        return TraceHeader(version=version, tz=None)
    if not isinstance(tz, str) or not _is_time_zone(tz):
        raise TraceError(f'{path}:1: expected an IANA time zone as "tz", found {json.dumps(tz)}')
    return TraceHeader(version=version, tz=tz)


def _is_time_zone(tz: str) -> bool:
    # Checked here rather than at replay so the error can name the file and line.
    try:
        zoneinfo.ZoneInfo(tz)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def _finite_time(value: object) -> float | None:
    """`value` as a finite float, or None (bool is not a number here, nor NaN)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        t = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return t if math.isfinite(t) else None


def _snippet(text: str) -> str:
    """The line for an error message, shortened so a huge line stays readable."""
    return text if len(text) <= _SNIPPET_MAX else text[: _SNIPPET_MAX - 1] + "…"


@contextlib.contextmanager
def _open_lines(path: Path, lineno: Callable[[], int]) -> Iterator[Iterator[str]]:
    """The lines of `path` as text, gunzipped if its content is gzip.

    I/O, gzip and UTF-8 failures become TraceError; `lineno` tells how far
    reading got, for the message.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed by the `with` below)
    except OSError as exc:
        raise TraceError(f"{path}: cannot open trace: {exc.strerror or exc}") from exc
    with raw:
        try:
            with io.TextIOWrapper(_decompressed(raw), encoding="utf-8") as text:
                yield text
        except UnicodeDecodeError as exc:
            # Text is decoded a block at a time, so the error cannot say which line.
            bad = _first_non_utf8_line(path)
            where = f":{bad}" if bad else ""
            found = exc.object[exc.start : exc.start + 1].hex()
            raise TraceError(f"{path}{where}: expected UTF-8 text, found byte 0x{found}") from exc
        except (OSError, EOFError, zlib.error) as exc:
            where = f" after line {lineno()}" if lineno() else ""
            raise TraceError(f"{path}: cannot read trace{where}: {exc}") from exc


def _decompressed(raw: io.BufferedReader) -> gzip.GzipFile | io.BufferedReader:
    # By magic bytes, not by name: a renamed or piped-through file still reads.
    return gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == _GZIP_MAGIC else raw


def _first_non_utf8_line(path: Path) -> int | None:
    """The number of the first line of `path` that is not UTF-8 (a slow second pass)."""
    try:
        with open(path, "rb") as raw, _decompressed(raw) as binary:
            for lineno, line in enumerate(binary, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return lineno
    except (OSError, EOFError, zlib.error):
        pass  # the caller's error is the one worth reporting
    return None


# ------------------------------------------------------------------ writing


def write_trace(path: Path, events: Iterable[Event | Stopped | Started], tz: str | None) -> None:
    """Write a header and `events` to `path`, gzip-compressed if its name ends in .gz.

    Only events a trace can hold are accepted (TypeError otherwise): a Tick
    carries no information and is never written. What a person told sitbreak
    (pause, snooze, "taking a break") and the desktop asking for quiet are
    kept, so that a person's own recorded days replay exactly. The gzip output is
    byte-for-byte reproducible (no timestamp or name in its header), so
    generated fixtures do not change on every run.
    """
    try:
        with _open_for_writing(path) as out:
            out.writelines(trace_lines(events, tz))
    except OSError as exc:
        raise StorageError(f"{path}: cannot write trace: {exc.strerror or exc}") from exc


def trace_lines(events: Iterable[Event | Stopped | Started], tz: str | None) -> Iterator[str]:
    """The header line, then a line for each event (each ending in a newline)."""
    yield json.dumps({"kind": HEADER_KIND, "version": FORMAT_VERSION, "tz": tz}) + "\n"
    for event in events:
        yield _event_line(event)


def _busy_start(t: float) -> DesktopBusy:
    return DesktopBusy(t, True)


def _busy_end(t: float) -> DesktopBusy:
    return DesktopBusy(t, False)


def _event_line(event: Event | Stopped | Started) -> str:
    kind = EVENT_KINDS.get(type(event))
    extra = ""
    if isinstance(event, DesktopBusy):
        kind = "busy_start" if event.busy else "busy_end"
    elif isinstance(event, Pause):
        kind = "pause"
        if event.until is not None:
            extra = f', "until": {float(event.until)!r}'
    elif isinstance(event, Snooze):
        kind, extra = "snooze", f', "s": {float(event.duration)!r}'
    if kind is None:
        known = ", ".join(
            [*(getattr(c, "__name__", "?") for c in EVENT_KINDS), "Pause, Snooze, DesktopBusy"]
        )
        raise TypeError(f"a trace cannot hold {type(event).__name__} events, only {known}")
    t = float(event.t)
    if not math.isfinite(t):
        raise ValueError(f"event time must be finite, got {event!r}")
    # repr of a float is the shortest text that reads back as the same float.
    return f'{{"t": {t!r}, "kind": "{kind}"{extra}}}\n'


@contextlib.contextmanager
def _open_for_writing(path: Path) -> Iterator[IO[str]]:
    # 0600: a trace of someone's days is theirs alone, like the rest of sitbreak.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        binary: gzip.GzipFile | io.BufferedWriter = raw
        if path.name.endswith(".gz"):
            binary = gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0)
        with io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as text:
            yield text
