"""The store tests' scenes: local times, typing, two days at a desk fed through the
engine into a real Store as the daemon does, the core ledger's figures for the same
outputs, and the database file read as another process would."""

from __future__ import annotations

import datetime as dt
import logging
import math
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sitbreak.core import (
    Activity,
    BreakTaken,
    DayLedger,
    Engine,
    EngineSettings,
    Event,
    Lock,
    Output,
    PromptDue,
    SessionEnded,
    SessionStarted,
    Unlock,
)
from sitbreak.storage.store import Store

TZ = ZoneInfo("Europe/Berlin")
DAY = dt.date(2024, 3, 5)  # a Tuesday, far from DST changes
SRC = Path(__file__).resolve().parents[1] / "src"
SETTINGS = EngineSettings()


def at(day: dt.date, hhmm: str, tz: dt.tzinfo = TZ) -> float:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tz).timestamp()


def typing(start: float, end: float, every: float = 20.0) -> list[Event]:
    n = int((end - start) // every)
    return [Activity(start + i * every) for i in range(n + 1)]


def scenario() -> list[Event]:
    """Two days of desk work: heeded and ignored prompts, a lock, and a session across midnight."""
    d1 = DAY + dt.timedelta(days=1)
    events: list[Event] = []
    events += typing(at(DAY, "09:00"), at(DAY, "09:32"))  # move at 09:30, gets up at 09:32
    events += typing(at(DAY, "10:00"), at(DAY, "11:05"))  # moves 10:30 ... 11:00, leaves 11:05
    events += typing(at(DAY, "23:40"), at(d1, "00:12"))  # across midnight, move at 00:10
    events += typing(at(d1, "08:00"), at(d1, "08:20"))
    events += [Lock(at(d1, "08:20") + 5), Unlock(at(d1, "08:40"))]  # a locked break
    events += typing(at(d1, "08:41"), at(d1, "09:00"))  # still sitting when the trace ends
    return events


def drive_daemon(s: Store, events: list[Event], tz: dt.tzinfo = TZ) -> list[Output]:
    """What the daemon does: feed the engine, store each output, checkpoint every minute."""
    engine = Engine(SETTINGS, tz)
    outputs: list[Output] = []
    last_checkpoint = -math.inf

    def store_outputs(outs: tuple[Output, ...] | list[Output]) -> None:
        for o in outs:
            outputs.append(o)
            if isinstance(o, SessionStarted):
                s.session_started(o.t)
            elif isinstance(o, SessionEnded):
                s.session_ended(o)
            elif isinstance(o, BreakTaken):
                s.break_taken(o)
            elif isinstance(o, PromptDue):
                s.prompt_sent(o)

    for ev in events:
        store_outputs(engine.handle(ev))
        start = engine.session_start
        if start is not None and ev.t - last_checkpoint >= 60:
            s.checkpoint(start, engine.last_seen)
            last_checkpoint = ev.t
    store_outputs(engine.finish(events[-1].t))
    return outputs


def ledger_days(outputs: list[Output], tz: dt.tzinfo = TZ) -> dict[dt.date, dict[str, object]]:
    ledger = DayLedger(tz, limit_s=SETTINGS.move_after, heeded_within=SETTINGS.heeded_within)
    ledger.extend(outputs)
    return {d.date: d.as_dict() for d in ledger.days()}


def raw(s: Store, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(s.path) as conn:
        return conn.execute(sql, params).fetchall()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "sitbreak.store" and r.levelno == logging.WARNING
    ]
