"""Generate the sample activity trace shipped with sitbreak, and its ground truth.

    python scripts/make_sample_trace.py [--out DIR]

writes ``sample.jsonl.gz`` and ``sample.truth.json`` (default: into
``src/sitbreak/data``), for ``sitbreak replay --sample``. The output is
deterministic: a seeded `random.Random` simulates the person and the gzip
header carries no timestamp, so re-running it changes no byte unless this
script changed.

The trace is two working days (Monday and Tuesday, Europe/Berlin) of a person
at a desk, written to show what sitbreak infers from input alone and what it
must not be fooled by:

- typing and mouse bursts at ~1 event/s (as the daemon coalesces them), with
  thinking pauses of seconds and reading pauses of 1-6 minutes that stay
  inside a session;
- stand-up breaks of ~10 minutes with the screen left unlocked (only the idle
  timeout can see these);
- coffee breaks with the screen locked, and a lunch break locked and suspended;
- a 40-minute call with long stretches of no input, in which the person
  nevertheless sits;
- one 70+ minute stretch that should earn repeated movement prompts.

The ground truth lists when the person really sat, in the format of the
sample traces' ``*.truth.json``; it is known here because we simulate them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Runnable from a checkout without installing the package.
sys.path.insert(0, str(ROOT / "src"))

from sitbreak.core.model import (  # noqa: E402
    Activity,
    CallEnd,
    CallStart,
    Lock,
    Resume,
    Suspend,
    Unlock,
)
from sitbreak.storage.trace import TraceEvent, write_trace  # noqa: E402

SEED = 20261116
TZ = "Europe/Berlin"
MONDAY = dt.date(2026, 11, 16)
TUESDAY = MONDAY + dt.timedelta(days=1)
DEFAULT_OUT = ROOT / "src" / "sitbreak" / "data"
TRACE_NAME = "sample.jsonl.gz"
TRUTH_NAME = "sample.truth.json"

MINUTE = 60.0
#: Chance that a pause between two bursts is a reading pause rather than a
#: few seconds of thought; ~2-3 reading pauses in a 45-minute session.
READING_CHANCE = 0.06


class Desk:
    """A simulated person at a desk: the actions they take become trace events.

    `now` is the simulation clock (seconds since the epoch). Every action
    moves it forward, so events come out in time order. `sitting` collects the
    ground truth: [sat down, stood up] for every time the person was seated.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = 0.0
        self.events: list[TraceEvent] = []
        self.sitting: list[tuple[float, float]] = []
        self._sat_down: float | None = None

    # ------------------------------------------------------- primitives

    def _emit(self, cls: type[TraceEvent], after: float = 0.0) -> None:
        self.now += after
        # Milliseconds are plenty, and keep the shipped file small.
        self.events.append(cls(round(self.now, 3)))

    def _wait(self, seconds: float) -> None:
        self.now += seconds

    def _sit_down(self, at: float | None = None) -> None:
        if at is not None:
            self.now = at
        self._sat_down = self.now

    def _stand_up(self, after: float) -> None:
        assert self._sat_down is not None, "standing up without having sat down"
        self._wait(after)
        self.sitting.append((round(self._sat_down, 3), round(self.now, 3)))
        self._sat_down = None

    def _burst(self, seconds: float) -> None:
        """Typing or mousing for about `seconds`: ~1 coalesced event a second, jittered."""
        end = self.now + seconds
        self._emit(Activity)
        while self.now < end:
            self._emit(Activity, after=min(3.0, 0.5 + self.rng.expovariate(2.0)))

    def _type_password(self) -> None:
        # Input on the lock screen: how the engine tells the person came back
        # some seconds before the unlock.
        for _ in range(self.rng.randint(3, 6)):
            self._emit(Activity, after=self.rng.uniform(0.6, 1.4))
        self._emit(Unlock, after=self.rng.uniform(0.4, 1.2))

    # ---------------------------------------------------------- arrivals

    def arrive_from_sleep(self, at: float | None = None) -> None:
        """Sit down, wake the suspended machine with a key, unlock it."""
        self._sit_down(at)
        self._emit(Activity, after=self.rng.uniform(1.0, 4.0))
        self._emit(Resume, after=self.rng.uniform(1.0, 2.5))
        self._type_password()

    def arrive_locked(self) -> None:
        self._sit_down()
        self._wait(self.rng.uniform(0.5, 3.0))
        self._type_password()

    def arrive_unlocked(self) -> None:
        self._sit_down()
        self._wait(self.rng.uniform(1.5, 6.0))

    # -------------------------------------------------------- departures

    def leave_idle(self) -> None:
        """Get up without locking: nothing in the trace says so but the silence."""
        self._stand_up(after=self.rng.uniform(1.0, 5.0))

    def leave_locked(self) -> None:
        self._emit(Activity, after=self.rng.uniform(0.5, 2.0))  # the Super+L key press
        self._emit(Lock, after=self.rng.uniform(0.2, 0.6))
        self._stand_up(after=self.rng.uniform(0.8, 3.0))

    def leave_suspended(self) -> None:
        """Lock, and put the machine to sleep on the way out."""
        self._emit(Activity, after=self.rng.uniform(0.5, 2.0))
        self._emit(Lock, after=self.rng.uniform(0.2, 0.6))
        self._stand_up(after=self.rng.uniform(0.8, 2.0))
        self._emit(Suspend, after=self.rng.uniform(1.5, 4.0))

    def away(self, minutes: float) -> None:
        self._wait(minutes * MINUTE * self.rng.uniform(0.97, 1.03))

    # ----------------------------------------------------------- seated

    def work(self, minutes: float) -> None:
        """Sit and work for at least `minutes`: bursts, thinking and reading pauses.

        Ends with a burst, so the last input is close to when the person stands up.
        """
        end = self.now + minutes * MINUTE
        while True:
            self._burst(self.rng.uniform(5.0, 60.0))
            if self.now >= end:
                return
            if self.rng.random() < READING_CHANCE:
                self._wait(self.rng.uniform(1.0, 6.0) * MINUTE)
            else:
                self._wait(self.rng.uniform(3.0, 45.0))

    def call(self, minutes: float) -> None:
        """A call: joined and left with a click, little input in between.

        One silence of 9-11 minutes is longer than the engine's idle limit for
        a break, so only the call tells it the person is still there.
        """
        end = self.now + minutes * MINUTE
        self._burst(self.rng.uniform(2.0, 5.0))  # finding the link, clicking "join"
        self._emit(CallStart, after=self.rng.uniform(0.3, 1.0))
        long_silence_at: float | None = self.now + minutes * MINUTE * self.rng.uniform(0.3, 0.6)
        while True:
            gap = self.rng.uniform(2.0, 7.0) * MINUTE
            if long_silence_at is not None and self.now + gap > long_silence_at:
                gap = self.rng.uniform(9.0, 11.0) * MINUTE
                long_silence_at = None
            if self.now + gap > end - MINUTE:
                break
            self._wait(gap)
            self._burst(self.rng.uniform(2.0, 10.0))  # a slide, a chat line, a scroll
        self.now = max(self.now, end)
        self._emit(Activity)  # "leave call"
        self._emit(CallEnd, after=self.rng.uniform(0.3, 1.0))


def local(day: dt.date, hour: int, minute: int) -> float:
    return dt.datetime.combine(day, dt.time(hour, minute), zoneinfo.ZoneInfo(TZ)).timestamp()


def monday(desk: Desk) -> None:
    desk.arrive_from_sleep(local(MONDAY, 8, 52))
    desk.work(72)  # the long morning stretch: several movement prompts are due
    desk.leave_idle()
    desk.away(11)  # stand-up meeting at the team board, screen left unlocked
    desk.arrive_unlocked()
    desk.work(40)
    desk.leave_locked()
    desk.away(13)  # coffee
    desk.arrive_locked()
    desk.work(38)
    desk.leave_suspended()
    desk.away(48)  # lunch
    desk.arrive_from_sleep()
    desk.work(14)
    desk.call(40)
    desk.leave_locked()
    desk.away(10)  # coffee after the call
    desk.arrive_locked()
    desk.work(44)
    desk.leave_idle()
    desk.away(10)  # a word with a colleague
    desk.arrive_unlocked()
    desk.work(46)
    desk.leave_locked()
    desk.away(9)  # a glass of water
    desk.arrive_locked()
    desk.work(48)
    desk.leave_suspended()  # home time


def tuesday(desk: Desk) -> None:
    desk.arrive_from_sleep(local(TUESDAY, 8, 41))
    desk.work(47)
    desk.leave_locked()
    desk.away(11)  # coffee
    desk.arrive_locked()
    desk.work(52)
    desk.leave_idle()
    desk.away(10.5)  # fetching a parcel, screen left unlocked
    desk.arrive_unlocked()
    desk.work(35)
    desk.leave_suspended()
    desk.away(53)  # lunch
    desk.arrive_from_sleep()
    desk.work(50)
    desk.leave_locked()
    desk.away(14)  # coffee
    desk.arrive_locked()
    desk.work(44)
    desk.leave_idle()
    desk.away(11)  # the printer
    desk.arrive_unlocked()
    desk.work(37)
    desk.leave_suspended()  # home time


def simulate(seed: int = SEED) -> Desk:
    desk = Desk(random.Random(seed))
    monday(desk)
    tuesday(desk)
    return desk


def write_sample(out_dir: Path, seed: int = SEED) -> tuple[Path, Path]:
    """Simulate and write the trace and its truth into `out_dir`; return their paths."""
    desk = simulate(seed)
    trace_path = out_dir / TRACE_NAME
    truth_path = out_dir / TRUTH_NAME
    write_trace(trace_path, desk.events, tz=TZ)
    truth = {"persona": "sample", "seed": seed, "tz": TZ, "sitting": desk.sitting}
    truth_path.write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return trace_path, truth_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the sample trace and its ground truth.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    trace_path, truth_path = write_sample(args.out, args.seed)
    size_kb = trace_path.stat().st_size / 1000
    print(f"wrote {trace_path} ({size_kb:.0f} kB) and {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
