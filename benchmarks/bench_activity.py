#!/usr/bin/env python3
"""CPU cost of the activity sources, under a private Xvfb.

    PYTHONPATH=src python benchmarks/bench_activity.py

- X11IdleSource: CPU per poll() over 2000 polls (the daemon polls once a second).
- PynputSource: CPU of this process (pynput's threads included) while xdotool
  moves the pointer about 100 times a second for 5 s, then presses keys for
  3 s; per 1000 events. xdotool's own CPU is another process's and not counted.

Needs Xvfb and xdotool. Prints figures; asserts nothing. Takes about 15 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sitbreak.clock import SystemClock
from sitbreak.desktop.x11 import PynputSource, X11IdleSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the desktop fixtures
from desktop import xvfb

POLLS = 2000
MOVE_SECONDS = 5.0
KEY_SECONDS = 3.0
RATE_HZ = 100  # a brisk human pointer; xdotool's sleep sets the pace


class CountingSource(PynputSource):
    """Counts the callbacks, to turn CPU time into a cost per event (adds ~0.1 µs each)."""

    events = 0

    def _touch(self, *_ignored: object) -> None:
        self.events += 1
        super()._touch()


def bench_idle_poll(clock: SystemClock, display: str) -> None:
    source = X11IdleSource(clock, display)
    source.start()
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(POLLS):
            source.poll()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        source.stop()
    print(f"X11IdleSource.poll: {cpu / POLLS * 1e6:6.1f} µs CPU, {wall / POLLS * 1e6:6.1f} µs wall")
    print(f"  at one poll a second: {cpu / POLLS * 1e6:.0f} µs of CPU per second")


def xdotool_chain(display: str, seconds: float, step: list[str]) -> list[str]:
    """One xdotool process doing `step` RATE_HZ times a second (no per-event start-up)."""
    args = ["xdotool"]
    for i in range(int(seconds * RATE_HZ)):
        args += [arg.format(x=100 + i % 800, y=100 + (i * 7) % 700) for arg in step]
        args += ["sleep", f"{1 / RATE_HZ:g}"]
    return args


def bench_pynput(clock: SystemClock, display: str, what: str, step: list[str], secs: float) -> None:
    source = CountingSource(clock)
    source.start()
    try:
        cmd = xdotool_chain(display, secs, step)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        subprocess.run(cmd, env=dict(os.environ, DISPLAY=display), check=True)
        time.sleep(0.2)  # let the listener threads drain the last events
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        source.stop()
    n = source.events
    if n == 0:
        sys.exit(f"pynput saw no {what} events")
    print(
        f"PynputSource, {what}: {n} events in {wall:.1f} s ({n / wall:.0f}/s): "
        f"{cpu / n * 1000:.3f} CPU s per 1000 events ({cpu / n * 1e6:.0f} µs each), "
        f"{cpu / wall * 100:.1f} % of a core"
    )


def main() -> None:
    os.environ.pop("WAYLAND_DISPLAY", None)
    clock = SystemClock()
    with xvfb() as display:
        os.environ["DISPLAY"] = display  # pynput connects to the process's own DISPLAY
        bench_idle_poll(clock, display)
        bench_pynput(clock, display, "pointer motion", ["mousemove", "{x}", "{y}"], MOVE_SECONDS)
        bench_pynput(clock, display, "key presses", ["key", "--delay", "0", "a"], KEY_SECONDS)


if __name__ == "__main__":
    main()
