#!/usr/bin/env python3
"""Importing a year of ActivityWatch AFK history, and reporting on it.

    PYTHONPATH=src python benchmarks/bench_activitywatch.py

Generates a year of `aw-watcher-afk` events at a realistic density (the
tests' `afk_year`, tests/activitywatch_server.py: working days of 8-10 h at
the desk, "not-afk" stretches of 2-50 min between "afk" gaps of 3-25 min,
as the watcher's 3-minute timeout writes them; lighter, shorter weekends;
0.5 % exact duplicates and some overlapping events, as real exports have)
into an export file in a
temporary SITBREAK_HOME, then times, as subprocesses (`python -m sitbreak
...`, start-up included, wall time):

- the first import (`sitbreak import activitywatch FILE`), once;
- the same import again (nothing new: idempotent), best of 5;
- reports on the imported source, and the same reports on the same sessions
  stored as sitbreak's own (`daemon`) data: a day, a week, the year as CSV,
  best of 5 each.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
TESTS = SRC.parent / "tests"
sys.path[:0] = [str(SRC), str(TESTS)]

# The tests' own generator, so the figures are of the data the tests check.
from activitywatch_server import DAYS, FIRST_DAY, afk_year  # noqa: E402

HOST = "bench"


def export_file(path: Path, events: list[dict]) -> None:
    bucket = f"aw-watcher-afk_{HOST}"
    doc = {
        "buckets": {
            bucket: {
                "id": bucket,
                "created": events[-1]["timestamp"],
                "name": None,
                "type": "afkstatus",
                "client": "aw-watcher-afk",
                "hostname": HOST,
                "events": events,
            }
        }
    }
    path.write_text(json.dumps(doc))


def timed(env: dict[str, str], *args: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sitbreak", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def best(env: dict[str, str], *args: str, runs: int = 5) -> float:
    return min(timed(env, *args) for _ in range(runs))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        config = Path(tmp) / "config.toml"
        config.write_text('[general]\ntimezone = "UTC"\n')
        env = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "SITBREAK_HOME": str(home),
            "SITBREAK_CONFIG": str(config),
        }
        events = afk_year()
        export = Path(tmp) / "aw-buckets-export.json"
        export_file(export, events)
        size = export.stat().st_size
        not_afk = sum(e["data"]["status"] == "not-afk" for e in events)
        print(
            f"generated: {len(events):,} AFK events ({not_afk:,} not-afk) over {DAYS} days, "
            f"export file {size / 1e6:.1f} MB"
        )
        first = timed(env, "import", "activitywatch", str(export))
        again = best(env, "import", "activitywatch", str(export))
        db = home / "data" / "sitbreak.db"
        conn = sqlite3.connect(db)
        n_sessions = conn.execute(
            "SELECT count(*) FROM sessions WHERE source = ?", (f"activitywatch:{HOST}",)
        ).fetchone()[0]
        # The same sessions, breaks and prompts as sitbreak's own (daemon) data.
        for table, cols in (
            ("sessions", 'start, "end", cause, open, noticed'),
            ("breaks", 'start, "end", cause, noticed'),
            ("prompts", "t, kind, level, seated_s, outcome"),
        ):
            conn.execute(
                f"INSERT INTO {table} ({cols}, source) SELECT {cols}, 'daemon' FROM {table} "
                "WHERE source = ?",
                (f"activitywatch:{HOST}",),
            )
        conn.commit()
        conn.close()
        print(f"first import:            {first:6.2f} s  ({n_sessions:,} sessions stored)")
        print(f"import again (no news):  {again:6.2f} s  (best of 5)")
        last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
        day = (last - dt.timedelta(days=3)).isoformat()
        reports = {
            "a day": [day],
            "a week": ["--week", day],
            "the year as CSV": [
                "--from",
                FIRST_DAY.isoformat(),
                "--to",
                last.isoformat(),
                "--format",
                "csv",
            ],
        }
        print(f"{'report':<18} {'activitywatch:' + HOST:>20} {'daemon (same data)':>20}")
        for name, args in reports.items():
            imported = best(env, "report", *args, "--source", f"activitywatch:{HOST}")
            own = best(env, "report", *args, "--source", "daemon")
            print(f"{name:<18} {imported * 1000:>17.0f} ms {own * 1000:>17.0f} ms")


if __name__ == "__main__":
    main()
