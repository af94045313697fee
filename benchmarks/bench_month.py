#!/usr/bin/env python3
"""A month of `sitbreak run`: memory over time, and the database it leaves.

    PYTHONPATH=src python benchmarks/bench_month.py [--days 30] [--seed 8] [--check]

Runs the daemon's real loop (`Daemon.step`: engine, SQLite store, a
checkpoint every minute, the midnight summary) on a hand-moved clock over
30 simulated days of synthetic activity from a seeded RNG:

- weekdays: at the desk from about 08:30 to 18:00, in sittings of 10-80
  minutes with input every few seconds (longer pauses now and then, as when
  reading), breaks of 5-25 minutes between, the screen locked over lunch,
  and a 30-minute call with little input on Tuesdays and Thursdays;
- weekends: nobody; the machine stays on all month.

The clock moves as the real loop wakes: every POLL_S (5 s), sooner when the
engine has a deadline; the activity source hands over the latest input time
since the previous poll, as the X11 idle source does. Only the activity
source and the notifier are doubles (a counting one: a recording double
would grow by itself).

Prints, at each simulated midnight, the process's RSS and live Python
objects; then the RSS slope after a warm-up (least squares) and the
database size at the end. Targets: RSS flat (under 1 MB of growth over the
month after warm-up), database under 5 MB. With --check the exit status is
1 when a target is missed. Takes about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import queue
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil

from sitbreak.clock import ManualClock
from sitbreak.config import load_config
from sitbreak.core import CallEnd, CallStart, Event, Lock, Unlock
from sitbreak.daemon.loop import POLL_S, Daemon, Wiring
from sitbreak.desktop.notify import ResilientNotifier
from sitbreak.prompts import Message, PromptWriter, load_library
from sitbreak.storage.store import Store

TZ = ZoneInfo("Europe/Berlin")
FIRST_DAY = dt.date(2026, 3, 2)  # a Monday; the month crosses the change to summer time
WARMUP_DAYS = 2
TARGET_GROWTH_MB = 1.0
TARGET_DB_MB = 5.0


# --------------------------------------------------------------------------- the month


@dataclass(frozen=True, slots=True)
class Day:
    """One day's input times and desktop events, in time order."""

    inputs: list[float]
    events: list[Event]


def at(day: dt.date, hours: float) -> float:
    midnight = dt.datetime.combine(day, dt.time(0), TZ)
    return (midnight + dt.timedelta(hours=hours)).timestamp()


def typing(rng: random.Random, start: float, end: float, out: list[float]) -> None:
    """Input every few seconds, with reading pauses of up to 7 minutes now and then."""
    t = start
    while t < end:
        out.append(t)
        t += rng.expovariate(1 / 4.0)
        if rng.random() < 0.004:
            t += rng.uniform(60, 420)


def workday(day: dt.date, rng: random.Random) -> Day:
    inputs: list[float] = []
    events: list[Event] = []
    lunch = (at(day, 12.25 + rng.uniform(0, 0.5)), 0.0)
    lunch = (lunch[0], lunch[0] + rng.uniform(30, 55) * 60)
    call = (at(day, 14.0), at(day, 14.5)) if day.weekday() in (1, 3) else None
    t, end = at(day, 8.5 + rng.uniform(0, 0.5)), at(day, 18 + rng.uniform(0, 0.5))
    while t < end:
        sitting_end = min(t + rng.uniform(10, 80) * 60, end)
        if t < lunch[0] < sitting_end:  # off to lunch, screen locked
            typing(rng, t, lunch[0] - 5, inputs)
            events += [Lock(lunch[0]), Unlock(lunch[1])]
            t = lunch[1] + 2
            continue
        if call is not None and t < call[0] < sitting_end:  # a call: quiet, seated
            typing(rng, t, call[0], inputs)
            events += [CallStart(call[0]), CallEnd(call[1])]
            inputs += [call[0] + 600, call[0] + 1300]  # a click or two
            t = call[1]
            continue
        typing(rng, t, sitting_end, inputs)
        t = sitting_end + rng.uniform(5, 25) * 60
    inputs.sort()
    events.sort(key=lambda e: e.t)
    return Day(inputs, events)


def month(days: int, seed: int) -> Iterator[tuple[dt.date, Day]]:
    rng = random.Random(seed)
    for i in range(days):
        day = FIRST_DAY + dt.timedelta(days=i)
        yield day, workday(day, rng) if day.weekday() < 5 else Day([], [])


# --------------------------------------------------------------------------- the daemon


class Feed:
    """The activity source: the latest input since the last poll, like X11IdleSource."""

    name = "bench"

    def __init__(self) -> None:
        self.inputs: list[float] = []
        self.i = 0
        self.now = 0.0

    def start(self) -> None:
        pass

    def poll(self) -> float | None:
        seen = None
        while self.i < len(self.inputs) and self.inputs[self.i] <= self.now:
            seen = self.inputs[self.i]
            self.i += 1
        return seen

    def stop(self) -> None:
        pass


class Counting:
    """A notifier that only counts (a recording double would itself grow)."""

    name = "counting"

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: Message) -> None:
        self.sent += 1

    def close(self) -> None:
        pass


@dataclass
class Row:
    day: int
    date: str
    sessions: int
    sitting_h: float
    prompts: int
    rss_mb: float
    objects: int
    db_kb: float


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def run(days: int, seed: int, home: Path) -> dict[str, Any]:
    logging.getLogger("sitbreak").setLevel(logging.WARNING)  # a month of INFO lines otherwise
    config_file = home / "config.toml"
    config_file.write_text('[general]\ntimezone = "Europe/Berlin"\n')
    clock = ManualClock(at(FIRST_DAY, 0.0))
    feed = Feed()
    notifier = Counting()
    store = Store.open(home / "sitbreak.db")
    summaries = home / "summaries.jsonl"
    wiring = Wiring(
        clock=clock,
        inbox=queue.SimpleQueue(),
        source=feed,
        notifier=ResilientNotifier(notifier, clock=clock.now),
        store=store,
        summaries_path=summaries,
        monitors=(),
        periodic=(),
        sinks=(),
        control_path=None,
        publishers=(),
        service_notify=lambda *_lines: None,
        watchdog_s=None,
        sync=None,
    )
    daemon = Daemon(load_config(config_file), wiring, TZ, PromptWriter(load_library()))
    process = psutil.Process()
    rows: list[Row] = []
    steps = 0
    t0 = time.perf_counter()
    for index, (day, activity) in enumerate(month(days, seed), 1):
        feed.inputs, feed.i = activity.inputs, 0
        pending = list(activity.events)
        midnight = at(day + dt.timedelta(days=1), 0.0)
        while clock.now() < midnight:
            # When the real loop would wake: the next poll, or an engine deadline.
            now = clock.now()
            wake = now + POLL_S
            deadline = daemon.engine.next_deadline()
            if deadline is not None:
                wake = min(wake, max(deadline, now))
            clock.t = min(wake, midnight) if wake > now else now + 1e-3
            feed.now = clock.now()
            while pending and pending[0].t <= clock.now():  # what the D-Bus monitors queue
                daemon.inbox.put(pending.pop(0))
            daemon.step()
            steps += 1
        clock.t = midnight + 0.5
        feed.now = clock.now()
        daemon.step()  # the midnight summary
        steps += 1
        summary = json.loads(summaries.read_text().splitlines()[-1])
        assert summary["date"] == day.isoformat(), summary
        rows.append(
            Row(
                day=index,
                date=day.isoformat(),
                sessions=summary["sessions"],
                sitting_h=summary["sitting_s"] / 3600,
                prompts=summary["prompts"],
                rss_mb=process.memory_info().rss / 2**20,
                objects=len(gc.get_objects()),
                db_kb=db_bytes(store.path) / 1024,
            )
        )
        print_row(rows[-1])
    elapsed = time.perf_counter() - t0
    running_bytes = db_bytes(store.path)
    daemon._shutdown()  # closes the store: the WAL goes into the database file
    closed_bytes = db_bytes(store.path)
    steady = [r for r in rows if r.day > WARMUP_DAYS]
    growth = slope([r.day for r in steady], [r.rss_mb for r in steady]) if len(steady) > 1 else 0.0
    totals = store_totals(home / "sitbreak.db")
    return {
        "days": days,
        "seed": seed,
        "steps": steps,
        "elapsed_s": elapsed,
        "rows": [asdict(r) for r in rows],
        "rss_slope_kb_per_day": growth * 1024,
        "rss_growth_after_warmup_mb": (steady[-1].rss_mb - steady[0].rss_mb) if steady else 0.0,
        "objects_growth_after_warmup": (steady[-1].objects - steady[0].objects) if steady else 0,
        "db_bytes_running": running_bytes,
        "db_bytes_closed": closed_bytes,
        "prompts_sent": notifier.sent,
        **totals,
    }


def store_totals(db: Path) -> dict[str, int]:
    with Store.open(db, recover=False) as s:
        conn = s._ensure_conn()  # read-only counts, for the report
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("sessions", "breaks", "prompts", "days")
        }
    counts["days_saved"] = counts.pop("days")
    return counts


# --------------------------------------------------------------------------- report


def print_row(r: Row) -> None:
    if r.day == 1:
        print(
            f"{'day':>3} {'date':<10} {'sessions':>8} {'sat h':>6} {'prompts':>7} "
            f"{'RSS MB':>7} {'objects':>8} {'db KB':>7}"
        )
    print(
        f"{r.day:>3} {r.date:<10} {r.sessions:>8} {r.sitting_h:>6.2f} {r.prompts:>7} "
        f"{r.rss_mb:>7.2f} {r.objects:>8} {r.db_kb:>7.0f}",
        flush=True,
    )


def report(result: dict[str, Any]) -> bool:
    rows = result["rows"]
    growth = result["rss_growth_after_warmup_mb"]
    db_mb = max(result["db_bytes_running"], result["db_bytes_closed"]) / 2**20
    print(
        f"\n{result['days']} simulated days, {result['steps']:,} loop turns in "
        f"{result['elapsed_s']:.1f} s ({result['steps'] / result['elapsed_s']:,.0f} turns/s); "
        f"{result['sessions']} sessions, {result['breaks']} breaks, "
        f"{result['prompts']} prompts stored ({result['prompts_sent']} sent), "
        f"{result['days_saved']} days summarised"
    )
    print(
        f"RSS: {rows[0]['rss_mb']:.2f} MB after day 1, {rows[-1]['rss_mb']:.2f} MB after day "
        f"{rows[-1]['day']}; after {WARMUP_DAYS} days of warm-up: slope "
        f"{result['rss_slope_kb_per_day']:+.1f} KB/day, growth {growth:+.2f} MB; "
        f"live objects {result['objects_growth_after_warmup']:+d}"
    )
    print(
        f"database: {result['db_bytes_running'] / 1024:.0f} KiB with its WAL while running, "
        f"{result['db_bytes_closed'] / 1024:.0f} KiB after close"
    )
    flat = growth < TARGET_GROWTH_MB
    small = db_mb < TARGET_DB_MB
    print(
        f"targets: RSS flat (< {TARGET_GROWTH_MB:g} MB growth after warm-up): "
        f"{'ok' if flat else 'MISSED'}; database < {TARGET_DB_MB:g} MB: "
        f"{'ok' if small else 'MISSED'}"
    )
    return bool(flat and small)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30, help="simulated days (default 30)")
    parser.add_argument("--seed", type=int, default=8, help="the RNG seed of the activity")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.days < WARMUP_DAYS + 2:
        parser.error(f"--days must be at least {WARMUP_DAYS + 2}")
    with tempfile.TemporaryDirectory(prefix="bench-month-") as home:
        result = run(args.days, args.seed, Path(home))
    ok = report(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
