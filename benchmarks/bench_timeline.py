#!/usr/bin/env python3
"""Cost of the activity timeline: bytes per working day, and replaying one's own week.

    PYTHONPATH=src python benchmarks/bench_timeline.py [TRACE_DIR]

TRACE_DIR (default ../shared/traces/v2) holds sample traces of people unlike
one another. Each is fed to the engine the way the daemon feeds it (the
last input of each 5 s heartbeat, context events as they come, ticks at the
engine's deadlines), through the daemon's `Recorder`, into a real store,
flushed once a minute as the daemon does. Then:

- bytes: the timeline's pages (SQLite's dbstat: the rows, and the pause
  model's state kept at the start and each midnight), per working day (a
  local day with at least an hour of sitting);
- `sitbreak replay --week` of one of those recorded weeks, and the same with
  `--config try.toml`, as a subprocess: wall time including start-up (with
  bytecode cached, as an installed sitbreak has it), best of 3;
- `sitbreak tune --days 90` over the traces' days laid one after another, a
  fortnight apart, up to today: wall time including start-up, best of 3.

Works in a temporary SITBREAK_HOME. Prints figures; asserts nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from sitbreak.core import Activity, Engine, EngineSettings, Event, State, Tick
from sitbreak.core.days import DayLedger, next_midnight
from sitbreak.core.run import pause_model_for
from sitbreak.storage.store import Store
from sitbreak.storage.timeline import STARTED, STOPPED, Recorder
from sitbreak.storage.trace import open_trace

HEARTBEAT_S = 5.0
FLUSH_S = 60.0
SETTINGS = EngineSettings()
ROOT = Path(__file__).resolve().parents[1]


def heartbeats(events: Iterable[Event]) -> Iterator[Event]:
    """What the daemon's loop hands the engine: at most one input a heartbeat (the last)."""
    beat: float | None = None
    last_input: float | None = None
    for ev in events:
        if beat is None:
            beat = ev.t
        while ev.t > beat:
            if last_input is not None:
                yield Activity(last_input)
                last_input = None
            yield Tick(beat)
            beat += HEARTBEAT_S
        if type(ev) is Activity:
            last_input = ev.t
        else:
            yield ev
    if last_input is not None:
        yield Activity(last_input)


def shifted(events: Iterable[Event], by: float) -> Iterator[Event]:
    for ev in events:
        yield dataclasses.replace(ev, t=ev.t + by)  # type: ignore[type-var]


def record(store: Store, events: Iterable[Event], tz: dt.tzinfo) -> DayLedger:
    """Run `events` through the engine and the daemon's recorder into `store`."""
    model = pause_model_for(SETTINGS)  # the daemon learns break_idle by default
    engine = Engine(SETTINGS, tz, model)
    rec = Recorder(store, SETTINGS)
    midnight = 0.0
    ledger = DayLedger(tz, limit_s=SETTINGS.move_after, heeded_within=SETTINGS.heeded_within)
    first = True
    next_flush = 0.0
    last_t = 0.0
    for ev in heartbeats(events):
        if first:
            t0 = rec.marker(STARTED, ev.t)
            first = False
            next_flush = ev.t + FLUSH_S
            midnight = next_midnight(ev.t, tz)
            if model is not None:  # what the daemon keeps at its start and each midnight
                store.timeline_state("daemon", round(t0 * 1000), model.to_dict())
        if ev.t >= midnight:
            midnight = next_midnight(ev.t, tz)
            if model is not None:
                store.timeline_state("daemon", round(ev.t * 1000), model.to_dict())
        if type(ev) is Tick:
            deadline = engine.next_deadline()
            if deadline is None or deadline > ev.t:
                if ev.t >= next_flush:
                    rec.flush()
                    next_flush = ev.t + FLUSH_S
                continue
        away = type(ev) is Activity and engine.state in (State.LOCKED, State.SUSPENDED)
        for o in engine.handle(rec.admit(ev, away)):
            ledger.add(o)
        last_t = ev.t
    t = rec.marker(STOPPED, last_t)
    for o in engine.finish(t):
        ledger.add(o)
    rec.flush()
    store.flush()
    return ledger


def timeline_bytes(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        pages = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('timeline', 'timeline_states')"
        ).fetchone()
        rows = conn.execute("SELECT count(*) FROM timeline").fetchone()
    return int(pages[0] or 0), int(rows[0])


def working_days(ledger: DayLedger) -> list[dt.date]:
    return [d.date for d in ledger.days() if d.sitting_s >= 3600]


def best_wall(cmd: list[str], env: dict[str, str], runs: int = 3) -> float:
    """Best wall time of `runs` runs, after one to warm the caches (and write bytecode)."""
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    trace_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/traces/v2"
    traces = sorted(trace_dir.glob("*.jsonl.gz"))
    if not traces:  # a fresh clone has no ../shared: say so, not a StatisticsError
        print(
            f"bench_timeline.py: no traces (*.jsonl.gz) in {trace_dir}; name a folder of "
            "traces as TRACE_DIR (BENCHMARKS.md's figures are of the project's shared/traces/v2)",
            file=sys.stderr,
        )
        return 2
    print(f"traces: {trace_dir} ({len(traces)})")
    per_day: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in traces:
            home = Path(tmp) / path.name
            db = home / "data" / "sitbreak.db"
            with open_trace(path) as tr, Store.open(db) as store:
                tz = ZoneInfo(tr.header.tz or "UTC")
                ledger = record(store, tr, tz)
            size, rows = timeline_bytes(db)
            days = working_days(ledger)
            per_day.append(size / len(days))
            print(
                f"  {path.name:<20} {len(days):>2} working days, {rows:>6} rows, "
                f"{size / 1024:7.1f} KiB: {size / len(days) / 1024:5.1f} KiB a working day"
            )
        print(
            f"timeline per working day: mean {statistics.mean(per_day) / 1024:.1f} KiB, "
            f"max {max(per_day) / 1024:.1f} KiB"
        )

        # Replaying one's own week, as a person runs it.
        path = traces[0]
        home = Path(tmp) / path.name
        with open_trace(path) as tr:
            tz_name = tr.header.tz or "UTC"
            first = dt.datetime.fromtimestamp(next(iter(tr)).t, ZoneInfo(tz_name)).date()
        config = home / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[general]\ntimezone = "{tz_name}"\n')
        trial = Path(tmp) / "try.toml"
        trial.write_text(f'[general]\ntimezone = "{tz_name}"\n[prompts]\nmove_after = "45m"\n')
        env = dict(os.environ, SITBREAK_HOME=str(home), PYTHONPATH=str(ROOT / "src"))
        env.pop("SITBREAK_CONFIG", None)
        # As installed: with bytecode (a dev shell may have turned writing it off).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        week = [sys.executable, "-m", "sitbreak", "replay", "--week", first.isoformat()]
        print(f"replay --week ({path.name}, week of {first}):")
        print(f"  own config:        {best_wall([*week, '--json'], env) * 1000:6.0f} ms wall")
        wall = best_wall([*week, "--config", str(trial)], env)
        print(f"  --config try.toml: {wall * 1000:6.0f} ms wall")

        # Ninety days for tune: the traces' days one after another, a fortnight apart.
        home = Path(tmp) / "ninety"
        db = home / "data" / "sitbreak.db"
        # The last fortnight ends today, as `tune --days 90` reads back from today.
        origin = time.time() - 7 * 14 * 86400
        with Store.open(db) as store:
            for k, path in enumerate((traces * 2)[:7]):
                with open_trace(path) as tr:
                    start = next(iter(tr)).t
                    # Whole days, so each working day stays in working hours.
                    by = round((origin + k * 14 * 86400 - start) / 86400) * 86400
                    record(store, shifted(tr, by), ZoneInfo(tr.header.tz or "UTC"))
            extent = store.timeline_extent()
        assert extent is not None
        span_days = (extent[1] - extent[0]) / 86_400_000
        config = home / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[general]\ntimezone = "{tz_name}"\n')
        env = dict(env, SITBREAK_HOME=str(home))
        tune = [sys.executable, "-m", "sitbreak", "tune", "--days", "90"]
        wall = best_wall(tune, env)
        print(f"tune over {span_days:.0f} recorded days: {wall * 1000:.0f} ms wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
