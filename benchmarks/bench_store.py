#!/usr/bin/env python3
"""Cost of storage: a day of the daemon's writes, and the database after 30 days.

    PYTHONPATH=src python benchmarks/bench_store.py

Works in a temporary SITBREAK_HOME. Prints figures; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from sitbreak.core import (
    Activity,
    BreakTaken,
    Engine,
    EngineSettings,
    Event,
    PromptDue,
    SessionEnded,
    SessionStarted,
)
from sitbreak.core.run import replay_events
from sitbreak.storage.store import Store

TZ = ZoneInfo("Europe/Berlin")
FIRST_DAY = dt.date(2024, 4, 1)
SETTINGS = EngineSettings()


def synthetic_day(day: dt.date, rng: random.Random) -> list[Event]:
    """08:30 to about 17:30: sittings of 15-75 min with input every few seconds, breaks between."""
    t = dt.datetime.combine(day, dt.time(8, 30), TZ).timestamp() + rng.uniform(0, 1800)
    end_of_day = t + 9 * 3600
    events: list[Event] = []
    while t < end_of_day:
        sitting_end = t + rng.uniform(15, 75) * 60
        while t < sitting_end:
            events.append(Activity(t))
            t += rng.expovariate(1 / 3.0)
        t += rng.uniform(9, 25) * 60  # long enough to count as a break
    return events


def daemon_writes(store: Store, events: list[Event]) -> list[Callable[[], None]]:
    """The store calls the daemon would make for these events, checkpointing every minute."""
    engine = Engine(SETTINGS, TZ)
    calls: list[Callable[[], None]] = []
    next_checkpoint = 0.0
    for ev in events:
        for o in engine.handle(ev):
            if isinstance(o, SessionStarted):
                calls.append(partial(store.session_started, o.t))
            elif isinstance(o, SessionEnded):
                calls.append(partial(store.session_ended, o))
            elif isinstance(o, BreakTaken):
                calls.append(partial(store.break_taken, o))
            elif isinstance(o, PromptDue):
                calls.append(partial(store.prompt_sent, o))
        start = engine.session_start
        if start is not None and ev.t >= next_checkpoint:
            calls.append(partial(store.checkpoint, start, engine.last_seen))
            next_checkpoint = ev.t + 60
    for o in engine.finish(events[-1].t):
        if isinstance(o, SessionEnded):
            calls.append(partial(store.session_ended, o))
    return calls


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    rng = random.Random(7)
    days = [synthetic_day(FIRST_DAY + dt.timedelta(days=i), rng) for i in range(30)]
    with tempfile.TemporaryDirectory() as home:
        os.environ["SITBREAK_HOME"] = home
        store = Store.open()

        calls = daemon_writes(store, days[0])
        t0 = time.perf_counter()
        for call in calls:
            call()
        day_s = time.perf_counter() - t0
        print(
            f"one day of daemon writes: {len(calls)} writes in {day_s * 1e3:.0f} ms "
            f"({day_s / len(calls) * 1e6:.0f} µs per write, one transaction each)"
        )

        events = [ev for day in days for ev in day]
        result = replay_events(events, SETTINGS, TZ)
        t0 = time.perf_counter()
        store.record_replay(result, "replay:bench-30-days")
        record_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(30):
            store.day_figures(FIRST_DAY + dt.timedelta(days=i), TZ, "replay:bench-30-days")
        figures_s = time.perf_counter() - t0
        store.close()  # checkpoints the WAL into the database file
        print(
            f"30 days recorded: {len(events):,} events -> {len(result.sessions)} sessions, "
            f"{len(result.breaks)} breaks, {len(result.prompts)} prompts in "
            f"{record_s * 1e3:.0f} ms; day_figures {figures_s / 30 * 1e3:.1f} ms per day"
        )
        print(f"database after 30 days (+ one daemon day): {db_bytes(store.path) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
