"""Every valid config terminates, whatever happens at the desk.

The whole config space a person can write (every duration from its minimum
to its maximum as `sitbreak.config` bounds it, quiet and work hours with
wraps and one-minute ranges, any work days, any set of prompt kinds, time
zones with odd offsets and clock changes) against arbitrary days: every
`handle()` returns after a bounded number of internal steps, every deadline
the engine asks for is strictly later than now, and a replay of the sample
day finishes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sitbreak.core.run
from desk import BERLIN, MONDAY_9AM, events_from
from sitbreak import config as config_module
from sitbreak.commands.replay import sample_trace_path
from sitbreak.core import (
    Activity,
    BreakNow,
    CallEnd,
    CallStart,
    Engine,
    EngineSettings,
    Event,
    Lock,
    Output,
    Pause,
    PromptDue,
    PromptKind,
    Resume,
    Suspend,
    Tick,
    Unlock,
    Unpause,
    WatchEnd,
    WatchStart,
    replay_events,
)
from sitbreak.core.run import pause_model_for
from sitbreak.storage.trace import open_trace

#: Zones with clock changes, half- and quarter-hour offsets and a 30-minute DST.
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
)
#: Starting points: an ordinary Monday morning, the nights of both clock
#: changes in Europe and North America, and late on a Friday.
STARTS = (
    dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc).timestamp(),
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.timezone.utc).timestamp(),
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.timezone.utc).timestamp(),
    dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.timezone.utc).timestamp(),
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.timezone.utc).timestamp(),
    dt.datetime(2026, 11, 6, 22, 59, tzinfo=dt.timezone.utc).timestamp(),
)

#: More internal steps than this in one `handle()` is a runaway: stop there,
#: so that a failing example fails instead of hanging the suite.
RUNAWAY = 20_000

_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="sitbreak-every-config-"))


class CountingEngine(Engine):
    """The engine, counting the deadlines each call fires and checking that
    each fires later than the one before in the same pass. `most_idle`: the most deadlines one
    call fired beyond the outputs it gave, i.e. the work that came to nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.most_idle = self.steps = 0
        self.fired_at = -math.inf

    def _fire(self, now: float, out: list[Output]) -> None:
        self.steps += 1
        assert self.steps <= RUNAWAY, f"runaway: {self.steps} steps in one call"
        assert now > self.fired_at, f"a deadline fired twice at {now}: no progress"
        self.fired_at = now
        super()._fire(now, out)

    def _advance(self, t: float) -> list[Output]:
        # One pass over the deadlines up to `t`; an event may make one due at
        # the instant of the pass before it (a lock with break_locked = 0).
        self.fired_at = -math.inf
        return super()._advance(t)

    def _count(self, call: Any, arg: Any) -> tuple[Output, ...]:
        self.steps = 0
        out: tuple[Output, ...] = call(arg)
        self.most_idle = max(self.most_idle, self.steps - len(out))
        return out

    def handle(self, event: Event) -> tuple[Output, ...]:
        return self._count(super().handle, event)

    def activity(self, t: float) -> tuple[Output, ...]:
        return self._count(super().activity, t)

    def finish(self, t: float) -> tuple[Output, ...]:
        return self._count(super().finish, t)


# ------------------------------------------------------------------ configs


def _bounds(section: str, key: str) -> tuple[float, float | None]:
    """(lowest, highest) a config file may set `[section] key` to, with a unit."""
    return config_module.duration_bounds()[f"{section}.{key}"]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def clock_range(draw: st.DrawFn) -> str:
    start = draw(st.integers(0, 24 * 60 - 1))
    shape = draw(st.sampled_from(["one minute", "wraps", "any"]))
    if shape == "one minute":
        end = start + 1
    elif shape == "wraps":
        end = draw(st.integers(0, start)) if start > 0 else 24 * 60
    else:
        end = draw(st.integers(0, 24 * 60).filter(lambda m: m != start))
    if end == start:
        end = (start + 1) % (24 * 60)
    return f"{_clock(start)}-{_clock(end) if end < 24 * 60 else '24:00'}"


def duration(section: str, key: str, low: float | None = None, high: float | None = None) -> Any:
    lo, hi = _bounds(section, key)
    lo = max(lo, low) if low is not None else lo
    hi = hi if hi is not None else 24 * 3600.0  # no upper bound: a day is plenty
    hi = min(hi, high) if high is not None else hi
    edges = st.sampled_from([lo, hi])
    return st.one_of(edges, st.floats(lo, hi), st.integers(math.ceil(lo), int(hi)))


def _toml_duration(seconds: float) -> str:
    return f'"{seconds:.3f}s"'


@st.composite
def valid_config(draw: st.DrawFn) -> tuple[EngineSettings, str]:
    """A config file a person could write, loaded the way sitbreak loads it."""
    enabled = {kind: draw(st.booleans()) for kind in PromptKind}
    # Unset, break_idle is learned from the person's own pauses (core/pauses.py).
    learned = draw(st.booleans())
    break_idle = EngineSettings().break_idle if learned else draw(duration("session", "break_idle"))
    values: dict[tuple[str, str], float] = {
        ("session", "break_idle"): break_idle,
        ("session", "break_locked"): draw(duration("session", "break_locked", high=break_idle)),
        ("session", "call_idle_max"): draw(duration("session", "call_idle_max", low=break_idle)),
        ("session", "auto_lock_idle"): draw(duration("session", "auto_lock_idle")),
        ("prompts", "posture_guard"): draw(duration("prompts", "posture_guard")),
        ("prompts", "move_repeat"): draw(duration("prompts", "move_repeat")),
        ("prompts", "extra_every"): draw(duration("prompts", "extra_every")),
        ("prompts", "hold_after_idle"): draw(duration("prompts", "hold_after_idle")),
    }
    move_after = draw(duration("prompts", "move_after"))
    values[("prompts", "move_after")] = move_after
    both = enabled[PromptKind.POSTURE] and enabled[PromptKind.MOVE]
    posture_low = _bounds("prompts", "posture_after")[0]
    if both and move_after - 1 > posture_low:
        posture = draw(duration("prompts", "posture_after", high=move_after - 1))
    elif both:
        enabled[PromptKind.POSTURE] = False
        posture = draw(duration("prompts", "posture_after"))
    else:
        posture = draw(duration("prompts", "posture_after"))
    values[("prompts", "posture_after")] = posture
    zone = draw(st.sampled_from(ZONES))
    quiet = draw(st.lists(clock_range(), max_size=3))
    work = draw(st.lists(clock_range(), max_size=3))
    days = draw(st.sets(st.sampled_from(config_module.WEEKDAY_NAMES), min_size=1))

    lines = ["[general]", f'timezone = "{zone}"']
    for section in ("session", "prompts"):
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml_duration(v)}" for (s, k), v in values.items() if s == section]
    lines.append("quiet_hours = [" + ", ".join(f'"{q}"' for q in quiet) + "]")
    lines.append("work_hours = [" + ", ".join(f'"{w}"' for w in work) + "]")
    lines.append("work_days = [" + ", ".join(f'"{d}"' for d in sorted(days)) + "]")
    lines.append("[prompts.enabled]")
    lines += [f"{kind.value} = {'true' if on else 'false'}" for kind, on in enabled.items()]
    drawn = {f"{section}.{key}" for section, key in values}
    engine_keys = {
        key
        for key in config_module.duration_bounds()
        if key.split(".")[-1] in EngineSettings.__dataclass_fields__
    }
    assert drawn == engine_keys, "a duration key of the engine is not drawn here"
    if learned:
        del values[("session", "break_idle")]
    path = _CONFIG_DIR / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config_module.load_config(path).engine, zone


# ------------------------------------------------------------------- events

KINDS = [
    Lock,
    Unlock,
    Suspend,
    Resume,
    CallStart,
    CallEnd,
    WatchStart,
    WatchEnd,
    Unpause,
    BreakNow,
    Tick,
]
GAPS = st.one_of(
    st.sampled_from([0.0, 0.001, 1.0, 59.999, 60.0]),
    st.floats(0, 120),
    st.floats(0, 3 * 3600),
    st.floats(0, 30 * 3600),
)
step = st.one_of(
    st.tuples(st.just("work"), GAPS, st.floats(1, 3 * 3600), st.floats(0.5, 120)),
    st.tuples(st.just("event"), GAPS, st.sampled_from(KINDS)),
    st.tuples(st.just("pause"), GAPS, st.one_of(st.none(), st.floats(0, 8 * 3600))),
    st.tuples(st.just("snooze"), GAPS, st.floats(0, 4 * 3600)),
    st.tuples(st.just("busy"), GAPS, st.booleans()),
)


#: Enough events for a long day; more only makes an example slow.
MOST_EVENTS = 4000


def build(start: float, steps: list[tuple[Any, ...]]) -> list[Event]:
    return events_from(start, steps, most=MOST_EVENTS)


def drive(engine: CountingEngine, events: list[Event], wake_at_deadlines: bool) -> None:
    """Feed `events` as the daemon would (waking at every deadline) or as replay
    does (events only), checking the deadline after every call."""
    now = -math.inf

    def call(fn: Any, arg: Any) -> None:
        nonlocal now
        fn(arg)
        now = max(now, arg if isinstance(arg, float) else arg.t)
        deadline = engine.next_deadline()
        assert deadline is None or deadline > now, f"deadline {deadline} is not after {now}"

    for i, ev in enumerate(events):
        if wake_at_deadlines:
            deadline = engine.next_deadline()
            while deadline is not None and deadline < ev.t:
                call(engine.handle, Tick(deadline))
                deadline = engine.next_deadline()
        if type(ev) is Activity:
            call(engine.activity, ev.t)
        else:
            call(engine.handle, ev)
        if type(ev) is not Activity or i + 1 == len(events) or type(events[i + 1]) is not Activity:
            next_prompt = engine.next_prompt()  # as `status` shows it
            assert next_prompt is None or next_prompt[0] >= now
    if events:
        call(engine.finish, events[-1].t + 3600)


#: The most deadlines one call may fire that give nothing: a few per kind of
#: deadline (session end, move, posture, the optional kinds, the end of what
#: holds a prompt), however long the gap before the event. Every other step
#: gives an output (a prompt that fell due in the gap, the session's end).
MOST_IDLE_STEPS = 12


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    valid_config(),
    st.sampled_from(STARTS),
    st.lists(step, max_size=30),
    st.booleans(),
)
def test_every_valid_config_answers_every_event_in_bounded_steps(
    config: tuple[EngineSettings, str],
    start: float,
    steps: list[tuple[Any, ...]],
    wake_at_deadlines: bool,
) -> None:
    engine_settings, zone = config
    engine = CountingEngine(engine_settings, ZoneInfo(zone), pause_model_for(engine_settings))
    drive(engine, build(start, steps), wake_at_deadlines)
    assert engine.most_idle <= MOST_IDLE_STEPS


_SAMPLE: list[Event] = []


def sample_day() -> list[Event]:
    if not _SAMPLE:
        with open_trace(sample_trace_path()) as trace:
            _SAMPLE.extend(trace)
    return _SAMPLE


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_config())
def test_a_replay_of_the_sample_day_finishes_on_every_valid_config(
    config: tuple[EngineSettings, str],
) -> None:
    engine_settings, zone = config
    engines: list[CountingEngine] = []

    def counting(*args: Any) -> CountingEngine:
        engines.append(CountingEngine(*args))
        return engines[-1]

    with mock.patch.object(sitbreak.core.run, "Engine", counting):
        result = replay_events(sample_day(), engine_settings, ZoneInfo(zone))
    assert result.events == len(sample_day())
    assert result.sessions  # the sample day has sitting in it, whatever the config
    for a, b in itertools.pairwise(result.sessions):
        assert a.end <= b.start
    assert engines[0].most_idle <= MOST_IDLE_STEPS


# --------------------------------------------------- the configs that hung


def _hold(path: str, text: str) -> EngineSettings:
    file = _CONFIG_DIR / path
    file.write_text(text, encoding="utf-8")
    return config_module.load_config(file).engine


def test_no_posture_guard_with_a_prompt_held_gives_each_prompt_its_turn() -> None:
    # posture_guard = "0s" used to spin for ever once an optional prompt gave
    # way to a held one: its new time was "now", again and again.
    engine = CountingEngine(_hold("guard.toml", '[prompts]\nposture_guard = "0s"\n'), BERLIN)
    t = MONDAY_9AM
    engine.handle(Pause(t, t + 50 * 60))
    shown = []
    for second in range(0, 70 * 60, 2):
        shown += [(o.kind, o.t - t) for o in engine.activity(t + second) if type(o) is PromptDue]
    assert shown[:2] == [
        (PromptKind.MOVE, 50 * 60.0),
        (PromptKind.STRETCH, 50 * 60.0 + 1),
    ]  # a second after
    assert engine.most_idle <= MOST_IDLE_STEPS


def test_work_hours_inside_quiet_hours_replay_the_sample_day_without_a_prompt() -> None:
    engine_settings = _hold(
        "never.toml",
        '[prompts]\nhold_after_idle = "30m"\nquiet_hours = ["22:00-06:00", "09:00-09:01"]\n'
        'work_hours = ["23:00-01:00"]\n',
    )
    result = replay_events(sample_day(), engine_settings, BERLIN)
    assert result.sessions
    assert result.prompts == []  # the only work hours are quiet
