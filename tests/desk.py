"""A person at a desk, and what watches them: the harnesses tests share.

`Desk` keeps the clock (`desk.now`) and what came out, and drives the pure
engine the way the daemon does: input as it happens, a Tick at every
deadline the engine asks for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sitbreak.core import (
    Activity,
    DesktopBusy,
    Engine,
    EngineSettings,
    Event,
    Output,
    Pause,
    PromptDue,
    PromptKind,
    Snooze,
    Tick,
)

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
# Monday 2 November 2026, 09:00 in Berlin.
MONDAY_9AM = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp()


def events_from(start: float, steps: list[tuple[Any, ...]], most: int | None = None) -> list[Event]:
    """A day of events from hypothesis' steps, each (what, gap before it, ...):
    ("work", gap, how long, seconds between inputs), ("event", gap, event type),
    ("pause", gap, how long or None), ("snooze", gap, how long), ("busy", gap, on).
    With `most`, no more steps are taken once there are that many events."""
    events: list[Event] = []
    t = start
    for s in steps:
        if most is not None and len(events) >= most:
            break
        t += s[1]
        if s[0] == "work":
            end = t + s[2]
            while t < end:
                events.append(Activity(t))
                t += s[3]
        elif s[0] == "event":
            events.append(s[2](t))
        elif s[0] == "pause":
            events.append(Pause(t, None if s[2] is None else t + s[2]))
        elif s[0] == "snooze":
            events.append(Snooze(t, s[2]))
        else:
            events.append(DesktopBusy(t, s[2]))
    return events


class Desk:
    """A person at a desk, and the engine watching them."""

    def __init__(self, settings: EngineSettings | None = None, start: float = MONDAY_9AM) -> None:
        self.engine = Engine(settings or EngineSettings(), BERLIN)
        self.now = start
        self.out: list[Output] = []

    def send(self, event_type: type, **kw: float) -> None:
        self.out.extend(self.engine.handle(event_type(self.now, **kw)))

    def work(self, seconds: float, every: float = 2.0) -> None:
        """Type and click for `seconds`, an input every `every` seconds."""
        end = self.now + seconds
        while self.now < end:
            self.out.extend(self.engine.activity(self.now))
            self.now += every
        self.now = end

    def wait(self, seconds: float) -> None:
        """Time passes with no input; the daemon wakes at every deadline."""
        end = self.now + seconds
        while True:
            d = self.engine.next_deadline()
            if d is None or d > end:
                break
            self.out.extend(self.engine.handle(Tick(d)))
        self.now = end
        self.out.extend(self.engine.handle(Tick(end)))

    def of(self, kind: type) -> list:
        return [o for o in self.out if isinstance(o, kind)]

    def prompts(self, kind: PromptKind | None = None) -> list[PromptDue]:
        return [p for p in self.of(PromptDue) if kind is None or p.kind is kind]

    def minutes(self, t: float, since: float = MONDAY_9AM) -> float:
        return round((t - since) / MIN, 2)

    def shown(self) -> list[tuple[str, str]]:
        """(kind, local "Mon 09:30") of every prompt, as a person would see them."""
        return [
            (p.kind.value, dt.datetime.fromtimestamp(p.t, BERLIN).strftime("%a %H:%M"))
            for p in self.prompts()
        ]


class ScriptedSource:
    """An activity source the test types into: `last` is the latest input's time."""

    name = "scripted"

    def __init__(self) -> None:
        self.last: float | None = None
        self.stopped = False

    def start(self) -> None:
        pass

    def poll(self) -> float | None:
        t, self.last = self.last, None
        return t

    def stop(self) -> None:
        self.stopped = True
