#!/usr/bin/env python3
"""Speed of `sitbreak report` on a year of history: a day, a week, a year's CSV.

    PYTHONPATH=src python benchmarks/bench_report.py

Builds about 250 working days (ten sessions a day, breaks between, posture and
move prompts) in a temporary SITBREAK_HOME with one `Store.record_replay`,
then times each report as a subprocess, `python -m sitbreak report ...`:
start-up included, wall time, best of 3. The target is under 0.3 s each.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sitbreak.core import (
    BreakTaken,
    Cause,
    DayLedger,
    EngineSettings,
    PromptDue,
    PromptKind,
    SessionEnded,
)
from sitbreak.core.run import ReplayResult
from sitbreak.storage.store import Store

TZ = ZoneInfo("Europe/Berlin")
SOURCE = "replay:year.jsonl.gz"
FIRST_DAY = dt.date(2025, 1, 6)  # a Monday
SRC = Path(__file__).resolve().parent.parent / "src"
TARGET_S = 0.3


def synthetic_day(day: dt.date, rng: random.Random, result: ReplayResult) -> None:
    """About ten sittings of 10-60 min from 08:30, 9-20 min breaks, prompts as the engine sends."""
    s = EngineSettings()
    t = dt.datetime.combine(day, dt.time(8, 30), TZ).timestamp() + rng.uniform(0, 1800)
    for i in range(rng.randint(8, 12)):
        if i:
            gap = rng.uniform(9, 20) * 60
            result.breaks.append(BreakTaken(t + gap, t, t + gap, Cause.IDLE))
            t += gap
        length = rng.uniform(10, 60) * 60
        if length > s.posture_after:
            result.prompts.append(PromptDue(t + s.posture_after, PromptKind.POSTURE, 1, 1200))
        level, due = 1, s.move_after
        while due < length:
            result.prompts.append(PromptDue(t + due, PromptKind.MOVE, level, due))
            level, due = level + 1, due + s.move_repeat
        result.sessions.append(SessionEnded(t + length + 510, t, t + length, Cause.IDLE))
        t += length


def a_year() -> ReplayResult:
    rng = random.Random(2025)
    result = ReplayResult(TZ)
    day = FIRST_DAY
    while len({s.start // 86400 for s in result.sessions}) < 250:
        if day.weekday() < 5:
            synthetic_day(day, rng, result)
        day += dt.timedelta(days=1)
    ledger = DayLedger(TZ)
    ledger.extend(sorted([*result.sessions, *result.breaks, *result.prompts], key=lambda o: o.t))
    result.days = ledger.days()
    return result


def best_of(n: int, argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(n):
        t0 = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - t0)
        out = done.stdout
    return best, out


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["SITBREAK_HOME"] = home
        t0 = time.perf_counter()
        result = a_year()
        with Store.open() as store:
            store.record_replay(result, SOURCE)
        last = result.days[-1].date
        print(
            f"history: {len(result.days)} days, {len(result.sessions)} sessions, "
            f"{len(result.breaks)} breaks, {len(result.prompts)} prompts "
            f"({FIRST_DAY} to {last}), written in {time.perf_counter() - t0:.1f} s"
        )
        env = {**os.environ, "PYTHONPATH": str(SRC), "SITBREAK_HOME": home}
        cmd = [sys.executable, "-m", "sitbreak"]
        day, first = last.isoformat(), FIRST_DAY.isoformat()

        def report(*args: str) -> list[str]:
            return [*cmd, "report", *args, "--source", SOURCE]

        runs = {
            "start-up only (sitbreak --version)": [*cmd, "--version"],
            "day report (text)": report(day),
            "day report (html)": report(day, "-f", "html"),
            "week report (text)": report("--week", day),
            "year's CSV (a row a day)": report("--from", first, "--to", day, "-f", "csv"),
        }
        for label, argv in runs.items():
            seconds, out = best_of(3, argv, env)
            flag = "" if seconds < TARGET_S or "start-up" in label else "  (over the target)"
            rows = f", {out.count(chr(10)) - 1} rows" if "CSV" in label else ""
            print(f"{label:<36} {seconds * 1000:7.0f} ms{rows}{flag}")
        print(f"target: under {TARGET_S * 1000:.0f} ms each, best of 3, start-up included")


if __name__ == "__main__":
    main()
