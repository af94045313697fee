"""Invariants of the engine over arbitrary days, found by hypothesis.

Whatever happens at the desk, in whatever order: sessions never overlap and
never run backwards, prompts only reach someone who is there and not locked,
and the result does not depend on when the daemon happens to wake.
"""

from __future__ import annotations

import dataclasses
import itertools
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from desk import events_from
from sitbreak.core import (
    Activity,
    BreakNow,
    BreakTaken,
    CallEnd,
    CallStart,
    Engine,
    EngineSettings,
    Event,
    Lock,
    Output,
    PromptDue,
    Resume,
    SessionEnded,
    SessionStarted,
    Suspend,
    Tick,
    Unlock,
    Unpause,
    WatchEnd,
    WatchStart,
)
from sitbreak.core.pauses import PauseModel

BERLIN = ZoneInfo("Europe/Berlin")
T0 = 1793606400.0  # Monday 2 November 2026, 09:00 in Berlin

KINDS = [Lock, Unlock, Suspend, Resume, CallStart, CallEnd, WatchStart, WatchEnd, Unpause, BreakNow]

step = st.one_of(
    # A burst of typing: (gap before it, how long, how dense).
    st.tuples(st.just("work"), st.floats(0, 3600), st.floats(1, 3600), st.floats(0.2, 30)),
    st.tuples(st.just("event"), st.floats(0, 1200), st.sampled_from(KINDS)),
    st.tuples(st.just("pause"), st.floats(0, 600), st.floats(0, 7200)),
    st.tuples(st.just("snooze"), st.floats(0, 600), st.floats(60, 1800)),
)


def build(steps: list[tuple]) -> list[Event]:
    return events_from(T0, steps)


def run(
    events: list[Event], tick_every: float | None = None, learning: bool = False
) -> list[Output]:
    engine = Engine(EngineSettings(), BERLIN, PauseModel() if learning else None)
    out: list[Output] = []
    last = T0
    for ev in events:
        if tick_every:
            t = last + tick_every
            while t < ev.t:
                out.extend(engine.handle(Tick(t)))
                t += tick_every
        out.extend(engine.handle(ev))
        last = ev.t
    if events:
        out.extend(engine.finish(events[-1].t + 3600))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=40), st.booleans())
def test_sessions_are_ordered_and_prompts_reach_only_someone_there(
    steps: list[tuple], learning: bool
) -> None:
    events = build(steps)
    out = run(events, learning=learning)
    sessions = [o for o in out if isinstance(o, SessionEnded)]
    starts = [o for o in out if isinstance(o, SessionStarted)]
    assert len(starts) == len(sessions)
    for s in sessions:
        assert s.start <= s.end <= s.t
    for a, b in itertools.pairwise(sessions):
        assert a.end <= b.start
    for b in (o for o in out if isinstance(o, BreakTaken)):
        assert b.start < b.end
    for p in (o for o in out if isinstance(o, PromptDue)):
        # Inside a session that was open at the time, to someone who was there.
        assert any(s.start <= p.t <= s.t for s in sessions)
        assert p.seated_s >= 0
        assert someone_there(events, p.t)


def someone_there(events: list[Event], t: float) -> bool:
    """Input within hold_after_idle before `t`, or a call or video going on."""
    hold = EngineSettings().hold_after_idle
    calls = watching = 0
    last_sign = -1.0
    for ev in events:
        if ev.t > t:
            break
        if isinstance(ev, Activity | Unlock | CallStart | CallEnd | WatchEnd):
            last_sign = ev.t
        if isinstance(ev, CallStart):
            calls += 1
        elif isinstance(ev, CallEnd):
            calls = max(0, calls - 1)
        elif isinstance(ev, WatchStart):
            watching += 1
        elif isinstance(ev, WatchEnd):
            watching = max(0, watching - 1)
    return t - last_sign <= hold or calls > 0 or watching > 0


@settings(max_examples=100, deadline=None)
@given(st.lists(step, max_size=30), st.sampled_from([1.0, 17.0, 240.0]), st.booleans())
def test_when_the_daemon_wakes_does_not_change_what_is_inferred(
    steps: list[tuple], tick: float, learning: bool
) -> None:
    events = build(steps)

    def key(out: list[Output]) -> list[Output]:
        # When an ending was *noticed* may differ by a tick; what ended must not.
        return [dataclasses.replace(o, t=0.0) if isinstance(o, SessionEnded) else o for o in out]

    assert key(run(events, tick, learning)) == key(run(events, learning=learning))
