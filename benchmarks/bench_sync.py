#!/usr/bin/env python3
"""What sharing a folder between computers costs (issue 18).

    PYTHONPATH=src python benchmarks/bench_sync.py [--traces DIR ...] [--syncthing]

1. Bytes per host per day in the folder: each trace's input, polled every
   5 s as the daemon polls its activity source, through the real SyncWriter
   (spans, progress records, heartbeats while the daemon runs), divided by
   the trace's days. The daemon is taken to run only while the trace has
   events (from the first to the last of each day): a daemon left running
   all night adds a heartbeat a minute (about 35 bytes each).
2. The reader's cost with two peers attached: one poll of a folder holding
   two other hosts' files of a whole day each, with nothing new (what
   every poll costs while they are idle) and with a new line each, in time
   and in files read and directories listed (the reader's own counters).
   With --idle-polls N, only N such polls and nothing else, for a count of
   their system calls: `strace -f -c -o OUT` of N = 0 and of N = 1000.
3. With --syncthing: the delay from a line appended on one machine to the
   other machine's reader seeing it, through two real Syncthing instances on
   127.0.0.1 (tests/syncthing.py), at fsWatcherDelayS 1 (the e2e test's) and
   10 (Syncthing's default), before sitbreak's own read every READ_EVERY_S.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sitbreak.core import Activity
from sitbreak.storage import sync
from sitbreak.storage.sync import READ_EVERY_S, SyncReader, SyncWriter, utc_day
from sitbreak.storage.trace import open_trace

POLL_S = 5.0
#: The reader's second look at a recent change (none before it had a stat cache:
#: --idle-polls runs on such a tree too, for a count before and after).
RACY_S = getattr(sync, "RACY_S", 0.0)


def bytes_per_day(trace: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp, open_trace(trace) as tr:
        times = [ev.t for ev in tr if isinstance(ev, Activity)]
        w = SyncWriter(Path(tmp), "a" * 16, "bench")
        days: dict[str, tuple[float, float]] = {}
        for t in times:
            d = utc_day(t)
            first, last = days.get(d, (t, t))
            days[d] = (min(first, t), max(last, t))
        i = 0
        for first, last in sorted(days.values()):
            now = first
            while now <= last + 60:
                latest = None
                while i < len(times) and times[i] <= now:
                    latest = times[i]
                    i += 1
                if latest is not None:
                    w.activity(latest)
                w.tick(now)
                now += POLL_S
        size = sum(p.stat().st_size for p in Path(tmp, "a" * 16).glob("*.jsonl"))
        return size / max(1, len(days)), len(days)


@dataclass
class ReaderCost:
    idle_us: float  # a poll with nothing new
    busy_us: float  # a poll with a new line from each peer
    idle_opens: float  # files read and directories listed per poll, nothing new
    busy_opens: float  # the same, a new line from each peer


def two_peers(folder: Path) -> tuple[list[SyncWriter], SyncReader, float]:
    """Two other hosts with a working day each (input every 5 s for 8 h),
    and a reader that has read them, looking again more than RACY_S after
    their last write (as between two polls 5 s apart: a change that recent
    is looked at once more)."""
    t0 = dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone.utc).timestamp()
    peers = [SyncWriter(folder, c * 16, f"peer {c}") for c in "bc"]
    for w in peers:
        for k in range(0, 8 * 3600, 5):
            w.activity(t0 + k)
            w.tick(t0 + k)
    r = SyncReader(folder, "a" * 16)
    now = t0 + 8 * 3600 + 60
    r.poll(now)
    time.sleep(RACY_S + 0.5)
    r.poll(now)
    return peers, r, now


def idle_polls(n: int) -> None:
    """Only `n` polls with nothing new, for a system-call count:
    `strace -f -c` of n = 0 and n = 1000, the difference divided by 1000."""
    with tempfile.TemporaryDirectory() as tmp:
        _peers, r, now = two_peers(Path(tmp))
        for _ in range(n):
            r.poll(now)


def reader_cost() -> ReaderCost:
    """Microseconds and opens per poll: nothing new, and a new line from each peer."""
    with tempfile.TemporaryDirectory() as tmp:
        peers, r, now = two_peers(Path(tmp))
        n = 2000
        opens = r.files_read + r.dirs_listed
        start = time.perf_counter()
        for _ in range(n):
            r.poll(now)
        idle = (time.perf_counter() - start) / n * 1e6
        idle_opens = (r.files_read + r.dirs_listed - opens) / n
        opens = r.files_read + r.dirs_listed
        start = time.perf_counter()
        for k in range(n):
            for w in peers:
                w.record("hb", t=now + k)
                w.flush(now)
            r.poll(now + k)
        busy_total = (time.perf_counter() - start) / n * 1e6
        busy_opens = (r.files_read + r.dirs_listed - opens) / n
        # The writers' own share of that loop, measured alone, is taken out.
        start = time.perf_counter()
        for k in range(n):
            for w in peers:
                w.record("hb", t=now + k)
                w.flush(now)
        writers = (time.perf_counter() - start) / n * 1e6
        return ReaderCost(idle, busy_total - writers, idle_opens, busy_opens)


def syncthing_delay(watch_delay: int, trials: int) -> list[float]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import syncthing

    with tempfile.TemporaryDirectory() as tmp:
        a, b = syncthing.pair(Path(tmp), watch_delay=watch_delay)
        try:
            a.start()
            b.start()
            deadline = time.monotonic() + 60
            while not (a.connected_to(b) and b.connected_to(a)):
                if time.monotonic() > deadline:
                    raise SystemExit("syncthing did not connect")
                time.sleep(0.1)
            w = SyncWriter(a.folder, "a" * 16, "desk")
            r = SyncReader(b.folder, "b" * 16)
            delays = []
            for k in range(trials):
                time.sleep(1.5)
                sent = time.time()
                w.record("hb", t=sent + k * 1e-3)
                w.flush(sent)
                while True:
                    got = [p for p in r.poll(time.time()) if p.rec["k"] == "hb"]
                    if got:
                        delays.append(time.time() - sent)
                        break
                    if time.time() - sent > 120:
                        raise SystemExit("a line never arrived")
                    time.sleep(0.02)
            return delays
        finally:
            a.stop()
            b.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--traces", nargs="*", type=Path, default=[Path("/work/shared/traces")])
    p.add_argument("--syncthing", action="store_true")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument(
        "--idle-polls",
        type=int,
        metavar="N",
        help="only N reader polls with nothing new, for strace -c (run N=0 and N=1000)",
    )
    args = p.parse_args()
    if args.idle_polls is not None:
        idle_polls(args.idle_polls)
        return 0
    print("bytes per host per day in the folder (the daemon running while the trace has events)")
    for d in args.traces:
        for trace in sorted(d.glob("*.jsonl.gz")) if d.is_dir() else [d]:
            per_day, days = bytes_per_day(trace)
            print(f"  {trace.name:<24} {per_day / 1024:6.1f} KiB/day over {days} days")
    cost = reader_cost()
    print("reader, two peers with a day's file each:")
    print(
        f"  a poll with nothing new      {cost.idle_us:7.1f} us (every {READ_EVERY_S:.0f} s), "
        f"{cost.idle_opens:.1f} files and directories opened"
    )
    print(
        f"  a poll with a line from each {cost.busy_us:7.1f} us, "
        f"{cost.busy_opens:.1f} files and directories opened"
    )
    per_hour = cost.idle_us * 3600 / READ_EVERY_S / 1e6
    print(f"  idle polling: {per_hour * 1e3:.1f} ms of CPU an hour")
    if args.syncthing:
        for delay in (1, 10):
            ds = syncthing_delay(delay, args.trials)
            print(
                f"syncthing fsWatcherDelayS={delay}: line on one machine -> read on the other: "
                f"median {statistics.median(ds):.2f} s, max {max(ds):.2f} s over {len(ds)} "
                f"(then up to {READ_EVERY_S:.0f} s more for sitbreak's own read)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
