"""The activity timeline: what the engine was fed, kept so a day can be replayed.

The daemon's engine is a pure function of the events it is handed. The
timeline keeps exactly those events, compactly, so that `sitbreak replay
--days`, `sitbreak trace export` and `sitbreak tune` can run the person's own
days again, under the config they had or another one, and get the very
figures that were stored (a test holds the two equal).

What is kept, and nothing more:

- **spans of input**: one row per stretch of keyboard or mouse activity,
  its start and its length, at the daemon's heartbeat resolution. Never which
  key, where the pointer was or which window had focus: the engine is never
  told those either.
- **context events**: lock, unlock, suspend, resume, call and watch start
  and end, the desktop asking for quiet, and what the person told sitbreak
  (pause, resume prompts, snooze, "taking a break"), each a time and a kind.
- **markers**: the daemon started, stopped, reloaded its config.

Exactness is by construction. `Recorder.admit` gives every event the time
the engine will see: whole milliseconds, never before the last one, and a
recorded event strictly after the previous recorded one, so rows sort in the
order they were fed. Input is merged into a span only across gaps shorter
than every threshold the engine compares an input gap against
(`merge_gap_s`), so replaying a span as input every few seconds gives the
engine the same decisions as the inputs that really came. While the screen
is locked or the machine asleep, input is kept one row each (typing a
password is judged by its exact rhythm).

Rows belong to a *source*: ``daemon`` for what this machine's daemon saw;
an importer stores what it brings under its own name (``activitywatch:HOST``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from sitbreak.core import (
    Activity,
    BreakNow,
    CallEnd,
    CallStart,
    DesktopBusy,
    EngineSettings,
    Event,
    Lock,
    Pause,
    Resume,
    Snooze,
    Suspend,
    Tick,
    Unlock,
    Unpause,
    WatchEnd,
    WatchStart,
)
from sitbreak.core.run import Started, Stopped
from sitbreak.errors import SitbreakError

DAEMON: Final = "daemon"

#: The longest input gap ever merged into one span: two heartbeats (the
#: daemon asks for the last input every 5 s, so a person at work gives one
#: input per heartbeat, at most two heartbeats apart).
MAX_MERGE_GAP_S: Final = 10.0

#: A daemon started this soon before the last row kept is placed after it.
RESTART_OVERLAP_MS: Final = 1000

# Row kinds, as stored (small integers: SQLite stores 0 and 1 in no bytes at all).
INPUT: Final = 0
LOCK: Final = 1
UNLOCK: Final = 2
SUSPEND: Final = 3
RESUME: Final = 4
CALL_START: Final = 5
CALL_END: Final = 6
WATCH_START: Final = 7
WATCH_END: Final = 8
PAUSE: Final = 9
UNPAUSE: Final = 10
SNOOZE: Final = 11
BREAK_NOW: Final = 12
BUSY_START: Final = 13
BUSY_END: Final = 14
STARTED: Final = 15
STOPPED: Final = 16
RELOADED: Final = 17

#: The kind of each stored row, by name (the names the trace format uses).
KIND_NAMES: Final[dict[int, str]] = {
    INPUT: "input",
    LOCK: "lock",
    UNLOCK: "unlock",
    SUSPEND: "suspend",
    RESUME: "resume",
    CALL_START: "call_start",
    CALL_END: "call_end",
    WATCH_START: "watch_start",
    WATCH_END: "watch_end",
    PAUSE: "pause",
    UNPAUSE: "unpause",
    SNOOZE: "snooze",
    BREAK_NOW: "break_now",
    BUSY_START: "busy_start",
    BUSY_END: "busy_end",
    STARTED: "start",
    STOPPED: "stop",
    RELOADED: "reload",
}

_SIMPLE: Final[dict[type, int]] = {
    Lock: LOCK,
    Unlock: UNLOCK,
    Suspend: SUSPEND,
    Resume: RESUME,
    CallStart: CALL_START,
    CallEnd: CALL_END,
    WatchStart: WATCH_START,
    WatchEnd: WATCH_END,
    Unpause: UNPAUSE,
    BreakNow: BREAK_NOW,
}
_SIMPLE_CLASSES: Final[dict[int, type]] = {code: cls for cls, code in _SIMPLE.items()}


@dataclass(frozen=True, slots=True)
class Row:
    """One timeline row. `t_ms`: milliseconds since the epoch (UTC).

    `arg` is the span's length (input), the pause's length (None: until
    resumed) or the snooze's length, all in milliseconds; None otherwise.
    """

    t_ms: int
    kind: int
    arg: int | None = None


class TimelineStore(Protocol):
    """What the recorder needs of the store."""

    def timeline_write(self, source: str, rows: list[Row]) -> None: ...

    def timeline_extent(self, source: str = DAEMON) -> tuple[int, int] | None: ...


def merge_gap_s(settings: EngineSettings) -> float:
    """The widest input gap a span may hide without changing what the engine decides.

    Inside a session the engine compares the time since the last input with
    `hold_after_idle` (is anyone there for a prompt?), with `break_idle` and,
    in a call, `call_idle_max`; a gap shorter than all of them is never
    noticed, whatever its exact length.
    """
    return min(
        MAX_MERGE_GAP_S, settings.hold_after_idle, settings.break_idle, settings.call_idle_max
    )


def nothing_recorded(db: object) -> str:
    """What a command reading the timeline says when there is no database yet."""
    return f"nothing recorded yet: no database at {db}; `sitbreak run` records your days"


def no_activity_on(first: object, last: object) -> str:
    """What a command reading recorded days says when those days hold nothing."""
    days = f"on {first}" if first == last else f"from {first} to {last}"
    return (
        f"no activity recorded {days}: sitbreak records while `sitbreak run` runs "
        "(`sitbreak status` says whether it does)"
    )


def to_ms(t: float) -> int:
    return round(t * 1000.0)


class Recorder:
    """Gives each event its engine time and keeps it, compactly, for the store.

    Rows are buffered and handed to the store by `flush` (the daemon calls it
    at every checkpoint, at the end of a day and when it stops): one write a
    minute, in the store's pending-write queue, with the same retry on a
    locked database or a full disk as everything else. The open span is
    written as far as it goes, and rewritten longer at the next flush, so a
    crash loses at most the last minute.
    """

    def __init__(
        self, store: TimelineStore, settings: EngineSettings, source: str = DAEMON
    ) -> None:
        self._store = store
        self.source = source
        self._gap_ms = to_ms(merge_gap_s(settings))
        self._last_ms: int | None = None  # the latest time handed to the engine
        self._last_row_ms: int | None = None  # the latest recorded row (or span end)
        #: The last row already kept (a daemon that ran before this one).
        self._kept_ms = self._kept_until(store, source)
        self._span: list[int] | None = None  # [start_ms, end_ms] of the open span
        self._rows: list[Row] = []

    # ------------------------------------------------------------ events

    def admit(self, event: Event, away: bool = False) -> Event:
        """`event` with the time the engine must see; recorded unless it is a Tick.

        `away`: the engine has the screen locked or the machine asleep, so
        input is kept one row each.
        """
        tick = type(event) is Tick
        t_ms = self._time(event.t, recorded=not tick)
        if tick:
            return event if event.t == t_ms / 1000 else Tick(t_ms / 1000)
        if type(event) is Activity:
            self._input(t_ms, away)
            return Activity(t_ms / 1000)
        self._close_span()
        if type(event) is Pause:
            until_ms = None if event.until is None else max(to_ms(event.until), t_ms)
            self._row(Row(t_ms, PAUSE, None if until_ms is None else until_ms - t_ms))
            return Pause(t_ms / 1000, None if until_ms is None else until_ms / 1000)
        if type(event) is Snooze:
            length = max(0, to_ms(event.duration))
            self._row(Row(t_ms, SNOOZE, length))
            return Snooze(t_ms / 1000, length / 1000)
        if type(event) is DesktopBusy:
            self._row(Row(t_ms, BUSY_START if event.busy else BUSY_END))
            return DesktopBusy(t_ms / 1000, event.busy)
        code = _SIMPLE.get(type(event))
        if code is None:
            raise TypeError(f"not an engine event: {event!r}")
        self._row(Row(t_ms, code))
        return dataclasses.replace(event, t=t_ms / 1000)

    def marker(self, kind: int, t: float) -> float:
        """Note that the daemon started, stopped or reloaded its config at `t`."""
        if kind not in (STARTED, STOPPED, RELOADED):
            raise ValueError(f"not a marker kind: {kind}")
        self._close_span()
        t_ms = self._time(t, recorded=True)
        self._row(Row(t_ms, kind))
        return t_ms / 1000

    def settings_changed(self, settings: EngineSettings) -> None:
        """A config reload: spans from here on merge under the new thresholds."""
        self._close_span()
        self._gap_ms = to_ms(merge_gap_s(settings))

    def rebase(self, offset: float) -> None:
        """The daemon's timeline moved by `offset` s (a wall-clock step between sessions)."""
        self._close_span()
        shift = to_ms(offset)
        if self._last_ms is not None:
            self._last_ms += shift
        if self._last_row_ms is not None:
            self._last_row_ms += shift

    def flush(self) -> None:
        """Hand what is recorded (the open span as far as it goes) to the store."""
        rows = self._rows
        if self._span is not None:
            start, end = self._span
            rows = [*rows, Row(start, INPUT, end - start)]
        if rows:
            self._store.timeline_write(self.source, rows)
        self._rows = []

    # ----------------------------------------------------------- details

    @staticmethod
    def _kept_until(store: TimelineStore, source: str) -> int | None:
        try:
            extent = store.timeline_extent(source)
        except SitbreakError:  # unreadable now: the clock has moved on anyway
            return None
        return None if extent is None else extent[1]

    def _time(self, t: float, *, recorded: bool) -> int:
        t_ms = to_ms(t)
        if self._last_ms is not None and t_ms < self._last_ms:
            t_ms = self._last_ms  # the engine treats a late event as happening now
        if recorded and self._last_row_ms is not None and t_ms <= self._last_row_ms:
            t_ms = self._last_row_ms + 1  # one row per millisecond: rows sort as fed
        elif (
            recorded
            and self._last_row_ms is None
            and self._kept_ms is not None
            and 0 <= self._kept_ms - t_ms < RESTART_OVERLAP_MS
        ):
            # Restarted within the second the last daemon stopped: after its rows,
            # not over them. (A clock set back further is followed as it is.)
            t_ms = self._kept_ms + 1
        self._last_ms = t_ms if self._last_ms is None else max(self._last_ms, t_ms)
        return t_ms

    def _input(self, t_ms: int, away: bool) -> None:
        span = self._span
        if span is not None and not away and t_ms - span[1] < self._gap_ms:
            span[1] = t_ms
        else:
            self._close_span()
            if away:
                self._row(Row(t_ms, INPUT, 0))
            else:
                self._span = [t_ms, t_ms]
        self._last_row_ms = t_ms

    def _close_span(self) -> None:
        if self._span is not None:
            start, end = self._span
            self._rows.append(Row(start, INPUT, end - start))
            self._span = None

    def _row(self, row: Row) -> None:
        self._rows.append(row)
        self._last_row_ms = row.t_ms


# ------------------------------------------------------------ reading back


def replay_step_ms(settings: EngineSettings) -> int:
    """How far apart a span's inputs are replayed: just closer than any gap it may hide.

    As far apart as that allows, since every replayed input costs time: one
    every 10 s with the default thresholds."""
    return max(1, to_ms(merge_gap_s(settings)) - 1)


def events_from_rows(
    rows: Iterable[Row], step_ms: int, states: Mapping[int, Mapping[str, Any]] | None = None
) -> Iterator[Event | Stopped | Started]:
    """The engine's events again, from stored rows in time order.

    A span becomes input at its start, every `step_ms` inside and at its
    end. A stop marker ends a run of the engine (`Stopped`); a start marker
    with no stop before it (the daemon did not stop cleanly) ends the run at
    the last time recorded before it. With `states` (what the pause model
    knew at each start, by time), a start marker also says that (`Started`).
    Reload markers change nothing here.
    """
    last_ms: int | None = None
    running = False
    for row in rows:
        kind, t_ms = row.kind, row.t_ms
        if kind == INPUT:
            end = t_ms + (row.arg or 0)
            yield Activity(t_ms / 1000)
            inner = t_ms + step_ms
            while inner < end:
                yield Activity(inner / 1000)
                inner += step_ms
            if end > t_ms:
                yield Activity(end / 1000)
            last_ms, running = end, True
            continue
        if kind == STOPPED:
            if running:
                yield Stopped(t_ms / 1000)
            running = False
        elif kind == STARTED:
            if running and last_ms is not None:
                yield Stopped(last_ms / 1000)
            running = False
            if states is not None and t_ms in states:
                yield Started(t_ms / 1000, states[t_ms])
        elif kind == RELOADED:
            pass
        else:
            yield _event(row)
            running = True
        last_ms = t_ms


def _event(row: Row) -> Event:
    t = row.t_ms / 1000
    if row.kind == PAUSE:
        return Pause(t, None if row.arg is None else (row.t_ms + row.arg) / 1000)
    if row.kind == SNOOZE:
        return Snooze(t, (row.arg or 0) / 1000)
    if row.kind in (BUSY_START, BUSY_END):
        return DesktopBusy(t, row.kind == BUSY_START)
    cls = _SIMPLE_CLASSES.get(row.kind)
    if cls is None:
        raise ValueError(f"unknown timeline row kind {row.kind} at t={t}")
    event: Event = cls(t)
    return event


def day_bounds_ms(first: dt.date, last: dt.date, tz: dt.tzinfo) -> tuple[int, int]:
    """[start, end) of the local days `first` to `last`, in epoch milliseconds."""
    lo = dt.datetime.combine(first, dt.time(0), tz).timestamp()
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz).timestamp()
    return to_ms(lo), to_ms(hi)


class TimelineReader(Protocol):
    def timeline_rows(
        self, lo_ms: int | None = None, hi_ms: int | None = None, source: str = DAEMON
    ) -> list[Row]: ...

    def timeline_last_before(self, kind: int, t_ms: int, source: str = DAEMON) -> int | None: ...

    def timeline_state_at(self, t_ms: int, source: str = DAEMON) -> dict[str, Any] | None: ...

    def timeline_states_between(
        self, lo_ms: int, hi_ms: int, source: str = DAEMON
    ) -> dict[int, dict[str, Any]]: ...


#: How far before the first day a replay looks for the daemon's start, so the
#: engine begins where the daemon's did (its state carries over from day to day).
LOOKBACK_S: Final = 7 * 86400.0
#: Without a start in that time, the replay begins this long before the first day.
FALLBACK_S: Final = 86400.0
#: Read past the last day, so a session running over midnight ends as it did.
AFTER_S: Final = 12 * 3600.0


def recorded_rows(
    store: TimelineReader, first: dt.date, last: dt.date, tz: dt.tzinfo, source: str = DAEMON
) -> list[Row]:
    """The rows a replay of the local days `first` to `last` needs.

    The engine's state carries over from one day to the next (which optional
    prompt comes next, a pause until resumed), so the replay begins where the
    daemon started, if that was in the week before; otherwise a day early.
    `recorded_state` says what the pause model knew at that beginning.
    """
    lo, hi = day_bounds_ms(first, last, tz)
    started = store.timeline_last_before(STARTED, lo + 1, source)
    begin = started if started is not None and started >= lo - to_ms(LOOKBACK_S) else None
    if begin is None:
        begin = lo - to_ms(FALLBACK_S)
    return store.timeline_rows(begin, hi + to_ms(AFTER_S), source)


def recorded_state(
    store: TimelineReader, rows: Sequence[Row], source: str = DAEMON
) -> dict[str, Any] | None:
    """What the daemon's pause model had learned where `rows` begin (None: nothing kept)."""
    if not rows:
        return None
    return store.timeline_state_at(rows[0].t_ms, source)


def recorded_states(
    store: TimelineReader, rows: Sequence[Row], source: str = DAEMON
) -> dict[int, dict[str, Any]]:
    """What the pause model knew at each start in `rows`, by time (see `events_from_rows`)."""
    if not rows:
        return {}
    return store.timeline_states_between(rows[0].t_ms, rows[-1].t_ms, source)
