"""What if: your own recorded days replayed under another config, beside what happened.

`sitbreak replay --days` and `sitbreak tune` read the activity timeline
(storage/timeline.py), run it through the engine under a config, and set the
figures beside the ones stored while the days happened: sessions, the
longest, breaks, prompts by kind, long sittings that got no movement prompt,
and prompts that came within 10 minutes of a break (a person about to get up,
or just back, is nagged for nothing).

Replaying under the config the days were recorded with gives the stored
figures exactly (tests/test_timeline.py), so a difference is the config's,
never the replay's. A day whose config was reloaded part-way, or whose daemon
did not stop cleanly, can differ; `Comparison.reloads` names the reloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sitbreak.core import (
    BreakTaken,
    DayFigures,
    EngineSettings,
    PromptDue,
    PromptKind,
    SessionEnded,
    replay_events,
)
from sitbreak.core.pauses import PauseModel
from sitbreak.storage.store import Store
from sitbreak.storage.timeline import (
    RELOADED,
    Row,
    day_bounds_ms,
    events_from_rows,
    recorded_rows,
    recorded_state,
    recorded_states,
    replay_step_ms,
)
from sitbreak.text import duration, signed_duration

#: A prompt this close to a break (before it began, or after it ended) came for nothing.
NEAR_BREAK_S = 10 * 60.0


@dataclass
class Figures:
    """What one config gave over some days (or one day)."""

    sitting_s: float = 0.0
    sessions: int = 0
    longest_session_s: float = 0.0
    breaks: int = 0
    prompts: int = 0
    prompts_by_kind: dict[str, int] = field(default_factory=dict)
    #: Sessions at least `long_s` long (today's move_after) with no movement prompt in them.
    long_unprompted: int = 0
    #: Prompts within NEAR_BREAK_S before a break began or after it ended.
    near_break: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "sitting_s": round(self.sitting_s, 1),
            "sessions": self.sessions,
            "longest_session_s": round(self.longest_session_s, 1),
            "breaks": self.breaks,
            "prompts": self.prompts,
            "prompts_by_kind": dict(sorted(self.prompts_by_kind.items())),
            "long_sittings_without_move_prompt": self.long_unprompted,
            "prompts_near_a_break": self.near_break,
        }


@dataclass
class Outcome:
    """A config's figures: over the whole period, and day by day."""

    total: Figures
    days: dict[dt.date, Figures]


@dataclass
class Comparison:
    first: dt.date
    last: dt.date
    tz: dt.tzinfo
    recorded: Outcome
    replayed: Outcome
    #: When the daemon's config was reloaded in the period (epoch seconds).
    reloads: list[float]
    #: True when the replay under the recorded config would give the stored figures.
    recorded_days: int


def outcome(
    days: Sequence[DayFigures],
    sessions: Sequence[SessionEnded],
    breaks: Sequence[BreakTaken],
    prompts: Sequence[PromptDue],
    *,
    first: dt.date,
    last: dt.date,
    tz: dt.tzinfo,
    long_s: float,
) -> Outcome:
    """The figures of one run of days: the ledger's, and the ones counted here."""
    per_day = {first + dt.timedelta(days=i): Figures() for i in range((last - first).days + 1)}
    for d in days:
        f = per_day.get(d.date)
        if f is None:
            continue
        f.sitting_s, f.sessions, f.breaks, f.prompts = d.sitting_s, d.sessions, d.breaks, d.prompts
        f.longest_session_s = d.longest_session_s
    lo_ms, hi_ms = day_bounds_ms(first, last, tz)
    lo, hi = lo_ms / 1000, hi_ms / 1000

    def day_of(t: float) -> Figures | None:
        return per_day.get(dt.datetime.fromtimestamp(t, tz).date()) if lo <= t < hi else None

    inside = [p for p in prompts if lo <= p.t < hi]
    for p in inside:
        f = day_of(p.t)
        if f is not None:
            f.prompts_by_kind[p.kind.value] = f.prompts_by_kind.get(p.kind.value, 0) + 1
    moves = sorted(p.t for p in prompts if p.kind is PromptKind.MOVE)
    for s in sessions:
        f = day_of(s.start)
        if f is None or s.end - s.start < long_s:
            continue
        if not any(s.start <= t <= s.end for t in moves):
            f.long_unprompted += 1
    for p in inside:
        if any(
            b.start - NEAR_BREAK_S <= p.t <= b.start or b.end <= p.t <= b.end + NEAR_BREAK_S
            for b in breaks
        ):
            f = day_of(p.t)
            if f is not None:
                f.near_break += 1
    total = Figures()
    for f in per_day.values():
        total.sitting_s += f.sitting_s
        total.sessions += f.sessions
        total.longest_session_s = max(total.longest_session_s, f.longest_session_s)
        total.breaks += f.breaks
        total.prompts += f.prompts
        total.long_unprompted += f.long_unprompted
        total.near_break += f.near_break
        for kind, n in f.prompts_by_kind.items():
            total.prompts_by_kind[kind] = total.prompts_by_kind.get(kind, 0) + n
    return Outcome(total, per_day)


def recorded(
    store: Store, first: dt.date, last: dt.date, tz: dt.tzinfo, settings: EngineSettings
) -> Outcome:
    """What the daemon stored while the days happened."""
    lo_ms, hi_ms = day_bounds_ms(first, last, tz)
    # Breaks and sessions just outside the days still tell whether a prompt was near one.
    lo, hi = lo_ms / 1000 - NEAR_BREAK_S, hi_ms / 1000 + NEAR_BREAK_S
    return outcome(
        store.figures_between(first, last, tz, settings=settings),
        store.sessions_between(lo, hi),
        store.breaks_between(lo, hi),
        store.prompts_between(lo, hi),
        first=first,
        last=last,
        tz=tz,
        long_s=settings.move_after,
    )


def replayed(
    store: Store,
    *,
    first: dt.date,
    last: dt.date,
    tz: dt.tzinfo,
    settings: EngineSettings,
    long_s: float,
) -> Outcome:
    """The recorded days run again through the engine under `settings`."""
    rows = recorded_rows(store, first, last, tz)
    return replayed_rows(
        rows,
        first=first,
        last=last,
        tz=tz,
        settings=settings,
        long_s=long_s,
        state=recorded_state(store, rows),
        states=recorded_states(store, rows),
    )


def pause_model(state: Mapping[str, Any] | None, settings: EngineSettings) -> PauseModel | None:
    """A fresh pause model from a kept `state` (None: none kept, or unusable)."""
    if state is None:
        return None
    try:
        return PauseModel.from_dict(state, settings.break_idle)
    except ValueError:
        return None


def replayed_rows(
    rows: Sequence[Row],
    *,
    first: dt.date,
    last: dt.date,
    tz: dt.tzinfo,
    settings: EngineSettings,
    long_s: float,
    state: Mapping[str, Any] | None = None,
    states: Mapping[int, Mapping[str, Any]] | None = None,
) -> Outcome:
    """`rows` (from `recorded_rows`) run through the engine under `settings`,
    the pause model starting from `state` (what it had learned where the rows
    begin) and from `states` at each start of the daemon (`recorded_states`)."""
    result = replay_events(
        events_from_rows(rows, replay_step_ms(settings), states),
        settings,
        tz,
        pause_model(state, settings),
    )
    return outcome(
        result.days,
        result.sessions,
        result.breaks,
        result.prompts,
        first=first,
        last=last,
        tz=tz,
        long_s=long_s,
    )


def compare(
    store: Store,
    *,
    first: dt.date,
    last: dt.date,
    tz: dt.tzinfo,
    current: EngineSettings,
    trial: EngineSettings,
) -> Comparison:
    """The days as they were recorded beside the same days replayed under `trial`."""
    lo_ms, hi_ms = day_bounds_ms(first, last, tz)
    rows = store.timeline_rows(lo_ms, hi_ms)
    return Comparison(
        first=first,
        last=last,
        tz=tz,
        recorded=recorded(store, first, last, tz, current),
        replayed=replayed(
            store, first=first, last=last, tz=tz, settings=trial, long_s=current.move_after
        ),
        reloads=[r.t_ms / 1000 for r in rows if r.kind == RELOADED],
        recorded_days=len({dt.datetime.fromtimestamp(r.t_ms / 1000, tz).date() for r in rows}),
    )


def reloads_on(store: Store, date: dt.date, tz: dt.tzinfo) -> list[float]:
    """When the daemon's config was reloaded on the local day `date` (epoch seconds)."""
    lo_ms, hi_ms = day_bounds_ms(date, date, tz)
    return [r.t_ms / 1000 for r in store.timeline_rows(lo_ms, hi_ms) if r.kind == RELOADED]


def table(a: Figures, b: Figures, name: str, first: str = "happened") -> list[str]:
    """Two configs' figures side by side, with the change, one line a figure."""
    lines = [f"{'':<38} {first:>12} {name:>12} {'change':>12}"]

    def count(what: str, x: int, y: int) -> None:
        d = y - x
        change = f"{d:+d}" if d else "±0"
        lines.append(f"{what:<38} {x:>12} {y:>12} {change:>12}")

    def length(what: str, x: float, y: float) -> None:
        lines.append(f"{what:<38} {duration(x):>12} {duration(y):>12} {signed_duration(y - x):>12}")

    length("sitting", a.sitting_s, b.sitting_s)
    count("sessions", a.sessions, b.sessions)
    length("longest session", a.longest_session_s, b.longest_session_s)
    count("breaks", a.breaks, b.breaks)
    count("prompts", a.prompts, b.prompts)
    for kind in sorted(set(a.prompts_by_kind) | set(b.prompts_by_kind)):
        count(f"  {kind}", a.prompts_by_kind.get(kind, 0), b.prompts_by_kind.get(kind, 0))
    count("long sittings with no move prompt", a.long_unprompted, b.long_unprompted)
    near = round(NEAR_BREAK_S / 60)
    count(f"prompts within {near} minutes of a break", a.near_break, b.near_break)
    return lines
