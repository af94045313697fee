#!/usr/bin/env python3
"""How long `sitbreak status` takes, start to exit, beside `python -c pass`.

    PYTHONPATH=src python benchmarks/bench_startup.py [--runs 30]

Status bars that poll (i3blocks, polybar) run `sitbreak status` every few
seconds, so its start-up is a cost people pay all day; the target is under
35 ms. Starts Xvfb, a private session bus and `sitbreak run` (tests/desktop.py),
then times, each --runs times, alternating so a busy moment hits all alike:

- `python -c pass`: the interpreter alone, the floor;
- `sitbreak status` and `sitbreak status --format waybar` over the session bus;
- `sitbreak status` over the control socket (no session bus in its environment);
- `sitbreak status` with no daemon at all ("not running").

`sitbreak` is the console script when this Python has one, else `python -m
sitbreak`, with bytecode written and used as an installed sitbreak has it
(PYTHONDONTWRITEBYTECODE is dropped; the first runs write it). Prints the
minimum (what the code costs) and the median (what a busy machine adds) of
each, in milliseconds of wall time and of the CPU time the process used
(user + system; other busy processes disturb it least).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the desktop fixtures live with the tests

from desktop import desktop, wait_for  # noqa: E402

TARGET_MS = 35.0


def sitbreak_command() -> list[str]:
    script = Path(sys.executable).with_name("sitbreak")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sitbreak"]


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall milliseconds, and the CPU milliseconds (user + system) the child used:
    the second is what other busy processes on the machine disturb least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    sitbreak = sitbreak_command()
    base = dict(os.environ)
    # Installed sitbreak has its bytecode compiled (pip does it); a checkout run
    # with PYTHONDONTWRITEBYTECODE would compile every module at every start.
    base["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp_name,
        desktop(with_dunst=False) as d,
    ):
        tmp = Path(tmp_name)
        (tmp / "config.toml").touch()
        env = dict(base, **d.env, SITBREAK_HOME=str(tmp / "home"))
        env.pop("SITBREAK_CONFIG", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        daemon = subprocess.Popen(
            [*sitbreak, "run", "--config", str(tmp / "config.toml"), "--notify", "log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(
                lambda: (
                    subprocess.run(
                        [*sitbreak, "status"], env=env, capture_output=True, check=False
                    ).returncode
                    == 0
                ),
                timeout=30,
                what="the daemon",
            )
            no_bus = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
            nobody = dict(no_bus, SITBREAK_HOME=str(tmp / "nobody"))
            cases = {
                "python -c pass": ([sys.executable, "-c", "pass"], env),
                "sitbreak status (bus)": ([*sitbreak, "status"], env),
                "sitbreak status --format waybar (bus)": (
                    [*sitbreak, "status", "--format", "waybar"],
                    env,
                ),
                "sitbreak status (socket)": ([*sitbreak, "status"], no_bus),
                "sitbreak status (not running)": ([*sitbreak, "status"], nobody),
            }
            times: dict[str, list[float]] = {name: [] for name in cases}
            cpu: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, (cmd, case_env) in cases.items():
                    wall, used = time_once(cmd, case_env)
                    times[name].append(wall)
                    cpu[name].append(used)
        finally:
            daemon.terminate()
            daemon.wait(15)
    print(f"{args.runs} runs each of {' '.join(sitbreak)}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':40} {'wall min':>9} {'median':>7} {'CPU min':>8} {'median':>7}  (ms)")
    floor = min(times["python -c pass"])
    for name, values in times.items():
        print(
            f"{name:40} {min(values):9.1f} {statistics.median(values):7.1f}"
            f" {min(cpu[name]):8.1f} {statistics.median(cpu[name]):7.1f}"
        )
    worst = max(min(v) for n, v in times.items() if n.startswith("sitbreak status"))
    verdict = "ok" if worst < TARGET_MS else "OVER"
    print(
        f"slowest sitbreak status (min): {worst:.1f} ms, target < {TARGET_MS:g} ms: {verdict}; "
        f"the interpreter alone: {floor:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
