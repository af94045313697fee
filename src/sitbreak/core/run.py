"""Running the engine over a whole stream of events: what `sitbreak replay` does.

Pure like the rest of the core: the events in, what was inferred out
(sessions, breaks, prompts and each day's figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sitbreak.core.days import DayFigures, DayLedger
from sitbreak.core.engine import Engine
from sitbreak.core.model import Activity, BreakTaken, Event, PromptDue, SessionEnded
from sitbreak.core.settings import EngineSettings


@dataclass(frozen=True, slots=True)
class Stopped:
    """Not an engine event: the recording stopped at `t` (the daemon stopped).

    The engine watching until then is finished at `t`, as the daemon's was,
    and a fresh one takes whatever comes next, as a restarted daemon does.
    """

    t: float


@dataclass
class ReplayResult:
    tz: dt.tzinfo
    sessions: list[SessionEnded] = field(default_factory=list)
    breaks: list[BreakTaken] = field(default_factory=list)
    prompts: list[PromptDue] = field(default_factory=list)
    days: list[DayFigures] = field(default_factory=list)
    events: int = 0


def replay_events(
    events: Iterable[Event | Stopped], settings: EngineSettings, tz: dt.tzinfo
) -> ReplayResult:
    """Feed every event to a fresh engine and collect what it inferred.

    A `Stopped` marker finishes the engine there and starts a fresh one."""
    engine = Engine(settings, tz)
    ledger = DayLedger(tz, limit_s=settings.move_after, heeded_within=settings.heeded_within)
    result = ReplayResult(tz)
    sessions, breaks, prompts = result.sessions, result.breaks, result.prompts
    handle, activity = engine.handle, engine.activity
    n = 0
    last_t: float | None = None
    for ev in events:
        if isinstance(ev, Stopped):
            if last_t is not None:
                for o in engine.finish(max(ev.t, last_t)):
                    ledger.add(o)
                    if type(o) is SessionEnded:
                        sessions.append(o)
                    elif type(o) is PromptDue:
                        prompts.append(o)
            engine = Engine(settings, tz)
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
