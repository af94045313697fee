#!/usr/bin/env python3
"""Throughput of the sitting-session engine and of `sitbreak replay` end to end.

    python benchmarks/bench_engine.py [TRACE]

TRACE defaults to the 5-day sample week ../shared/traces/coder.jsonl.gz beside
the project (BENCHMARKS.md's figures); where that is not there, to the two-day
sample trace shipped with sitbreak, and it says so. Prints figures; asserts
nothing (targets live in the issue and the README: engine >= 1,000,000
events/s, replay >= 200,000 events/s).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sitbreak.commands.replay import sample_trace_path
from sitbreak.core import Engine, EngineSettings
from sitbreak.core.pauses import PauseModel
from sitbreak.errors import TraceError
from sitbreak.storage.trace import open_trace
from sitbreak.timezones import resolve_tz

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRACE = ROOT.parent / "shared" / "traces" / "coder.jsonl.gz"


def choose_trace(argv: list[str]) -> Path:
    """The trace named on the command line; else the shared sample week, else
    (a checkout without ../shared) the sample trace shipped with sitbreak."""
    if argv:
        return Path(argv[0])
    if DEFAULT_TRACE.exists():
        return DEFAULT_TRACE
    sample = sample_trace_path()
    print(
        f"note: {DEFAULT_TRACE} is not there (the project's shared traces), so this is the "
        f"sample trace shipped with sitbreak (two working days), {sample}; BENCHMARKS.md's "
        "figures are of the shared week: name it, or another trace, as TRACE",
        file=sys.stderr,
    )
    return sample


def best_of(n: int, fn: object) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    trace = choose_trace(sys.argv[1:])
    try:
        with open_trace(trace) as tr:
            tz = resolve_tz(tr.header.tz)
            events = list(tr)
    except TraceError as exc:
        print(f"bench_engine.py: {exc}", file=sys.stderr)
        return 2
    if not events:
        print(f"bench_engine.py: {trace}: the trace has no events to replay", file=sys.stderr)
        return 2
    n = len(events)
    opener = gzip.open if trace.suffix == ".gz" else open
    with opener(trace, "rt") as f:
        first = json.loads(f.readline())
    days = (events[-1].t - events[0].t) / 86400 if events else 0

    def engine_only(learning: bool = False) -> None:
        engine = Engine(EngineSettings(), tz, PauseModel() if learning else None)
        handle, activity = engine.handle, engine.activity
        from sitbreak.core import Activity

        for ev in events:
            if type(ev) is Activity:
                activity(ev.t)
            else:
                handle(ev)
        engine.finish(events[-1].t)

    engine_s = best_of(5, engine_only)
    learning_s = best_of(5, lambda: engine_only(learning=True))

    cmd = [sys.executable, "-m", "sitbreak", "replay", str(trace), "--json"]
    # An empty config of its own: not the user's, and every value the
    # default (so replay learns the break threshold, as a new user's daemon).
    empty = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)  # noqa: SIM115
    empty.close()
    env = dict(os.environ, SITBREAK_CONFIG=empty.name)

    def end_to_end() -> None:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)

    try:
        replay_s = best_of(3, end_to_end)
    finally:
        os.unlink(empty.name)

    print(f"trace: {trace} ({n} events, {days:.1f} days, tz {first.get('tz')})")
    rate = n / engine_s
    print(f"engine alone:        {rate:>12,.0f} events/s  ({engine_s * 1e3:.1f} ms, best of 5)")
    print(
        f"engine, learning:    {n / learning_s:>12,.0f} events/s  ({learning_s * 1e3:.1f} ms, "
        "with the pause model, best of 5)"
    )
    print(
        f"replay end to end:   {n / replay_s:>12,.0f} events/s  ({replay_s * 1e3:.1f} ms wall, "
        "start-up included, best of 3)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
