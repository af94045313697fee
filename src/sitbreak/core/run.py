"""Running the engine over a whole stream of events: what `sitbreak replay` does.

Pure like the rest of the core: the events in, what was inferred out
(sessions, breaks, prompts and each day's figures).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sitbreak.core.days import DayFigures, DayLedger
from sitbreak.core.engine import Engine
from sitbreak.core.model import Activity, BreakTaken, Event, PromptDue, SessionEnded
from sitbreak.core.pauses import PauseModel
from sitbreak.core.settings import EngineSettings


@dataclass(frozen=True, slots=True)
class Stopped:
    """Not an engine event: the recording stopped at `t` (the daemon stopped).

    The engine watching until then is finished at `t`, as the daemon's was,
    and a fresh one takes whatever comes next, as a restarted daemon does.
    """

    t: float


@dataclass(frozen=True, slots=True)
class Started:
    """Not an engine event: the daemon started at `t`, its pause model as it had
    loaded it (`pauses`, a `PauseModel.to_dict()`; None: not known). The
    engine that follows learns on from there, as the daemon's did."""

    t: float
    pauses: Mapping[str, object] | None = None


@dataclass
class ReplayResult:
    tz: dt.tzinfo
    sessions: list[SessionEnded] = field(default_factory=list)
    breaks: list[BreakTaken] = field(default_factory=list)
    prompts: list[PromptDue] = field(default_factory=list)
    days: list[DayFigures] = field(default_factory=list)
    events: int = 0
    pauses: PauseModel | None = None  # what was learned over the trace
    break_idle: float = 0.0  # the configured break_idle (used as is when pauses is None)


def pause_model_for(settings: EngineSettings, saved: PauseModel | None = None) -> PauseModel | None:
    """The pause model an engine with `settings` learns with: None when the
    person set `break_idle` (it wins), else `saved` or a new one."""
    if settings.break_idle_set:
        return None
    if saved is not None:
        saved.default = settings.break_idle
        return saved
    return PauseModel(settings.break_idle)


def replay_events(
    events: Iterable[Event | Stopped | Started],
    settings: EngineSettings,
    tz: dt.tzinfo,
    pauses: PauseModel | None = None,
) -> ReplayResult:
    """Feed every event to a fresh engine and collect what it inferred. The
    break threshold is learned over the events as the daemon learns it (from
    `pauses`, or from the defaults), unless the settings fix it.

    A `Stopped` marker finishes the engine there and starts a fresh one, as a
    restarted daemon does; it learns on with the same pause model (the daemon
    saves it when it stops and loads it when it starts)."""
    model = pause_model_for(settings, pauses)
    engine = Engine(settings, tz, model)
    ledger = DayLedger(tz, limit_s=settings.move_after, heeded_within=settings.heeded_within)
    result = ReplayResult(tz, pauses=model, break_idle=settings.break_idle)
    sessions, breaks, prompts = result.sessions, result.breaks, result.prompts
    handle, activity = engine.handle, engine.activity
    n = 0
    last_t: float | None = None
    for ev in events:
        if isinstance(ev, Started):
            if ev.pauses is not None and model is not None:
                # An unusable kept state: learn on with the one we have.
                with contextlib.suppress(ValueError):
                    model = pause_model_for(
                        settings, PauseModel.from_dict(ev.pauses, settings.break_idle)
                    )
                engine = Engine(settings, tz, model)
                handle, activity = engine.handle, engine.activity
                result.pauses = model
            continue
        if isinstance(ev, Stopped):
            if last_t is not None:
                for o in engine.finish(max(ev.t, last_t)):
                    ledger.add(o)
                    if type(o) is SessionEnded:
                        sessions.append(o)
                    elif type(o) is PromptDue:
                        prompts.append(o)
            engine = Engine(settings, tz, model)
            handle, activity = engine.handle, engine.activity
            last_t = None
            continue
        n += 1
        last_t = ev.t
        # Input is nearly every event: give it the engine's fast path directly.
        outs = activity(ev.t) if type(ev) is Activity else handle(ev)
        if outs:
            for o in outs:
                ledger.add(o)
                if type(o) is SessionEnded:
                    sessions.append(o)
                elif type(o) is BreakTaken:
                    breaks.append(o)
                elif type(o) is PromptDue:
                    prompts.append(o)
    if last_t is not None:
        for o in engine.finish(last_t):
            ledger.add(o)
            if type(o) is SessionEnded:
                sessions.append(o)
    result.events = n
    result.days = ledger.days()
    return result
