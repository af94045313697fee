"""One clock for the daemon: wall time that is steady across suspend and NTP steps.

The engine wants epoch seconds (days are cut in local time, results are
stored as UTC), but the wall clock jumps (NTP steps, a person fixing the time)
and `time.monotonic()` stops while the machine sleeps. So durations come from
`CLOCK_BOOTTIME`, which keeps counting through suspend, anchored once to the
wall clock: now() = wall_at_anchor + (boottime - boottime_at_anchor).

The gap between CLOCK_BOOTTIME and CLOCK_MONOTONIC grows exactly by the time
spent asleep, which is how `poll_suspend` sees a suspend even with no D-Bus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", None)

#: Less than this between the two clocks' drift is jitter, not a sleep.
MIN_SUSPEND_S = 2.0


def _boottime() -> float:
    if _BOOTTIME is not None:
        return time.clock_gettime(_BOOTTIME)
    return time.monotonic()  # macOS/Windows: monotonic already counts sleep there


@dataclass(frozen=True, slots=True)
class Slept:
    """The machine was asleep from `start` to `end` (epoch seconds on the daemon's timeline)."""

    start: float
    end: float


class Clock(Protocol):
    def now(self) -> float: ...

    def poll_suspend(self) -> Slept | None: ...

    def wall_offset(self) -> float: ...


class SystemClock:
    """The real clock: boottime-based wall time, and suspend detection."""

    def __init__(self) -> None:
        self._anchor_wall = time.time()
        self._anchor_boot = _boottime()
        self._last_boot = self._anchor_boot
        self._last_gap = self._anchor_boot - time.monotonic()

    def now(self) -> float:
        return self._anchor_wall + (_boottime() - self._anchor_boot)

    def wall_offset(self) -> float:
        """How far the real wall clock has moved from ours (NTP steps, manual changes)."""
        return time.time() - self.now()

    def reanchor(self) -> None:
        """Follow the wall clock again; call only while no session is open."""
        self._anchor_wall = time.time()
        self._anchor_boot = _boottime()

    def poll_suspend(self) -> Slept | None:
        """Call regularly (every loop turn): reports a sleep since the last call, once."""
        boot = _boottime()
        gap = boot - time.monotonic()
        slept = gap - self._last_gap
        prev_boot = self._last_boot
        self._last_boot = boot
        self._last_gap = gap
        if slept < MIN_SUSPEND_S:
            return None
        # We were awake for (elapsed - slept) of the interval; the loop sleeps
        # at most a second between polls, so the sleep began right after the
        # previous poll's awake part and ended just now.
        end = self._anchor_wall + (boot - self._anchor_boot)
        start = end - slept
        start = max(start, self._anchor_wall + (prev_boot - self._anchor_boot))
        return Slept(start, end)


class ManualClock:
    """A clock tests move by hand; `sleep_for` simulates a suspend."""

    def __init__(self, start: float = 1_793_606_400.0) -> None:
        self.t = start
        self._slept: Slept | None = None

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def sleep_for(self, seconds: float) -> None:
        self._slept = Slept(self.t, self.t + seconds)
        self.t += seconds

    def poll_suspend(self) -> Slept | None:
        slept, self._slept = self._slept, None
        return slept

    def wall_offset(self) -> float:
        return 0.0
