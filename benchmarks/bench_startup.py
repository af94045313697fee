#!/usr/bin/env python3
"""How long `sitbreak status` takes, start to exit, beside `python -c pass`.

    python benchmarks/bench_startup.py [--runs 20]

Status bars that poll (i3blocks, polybar) run `sitbreak status --format ...`
every few seconds, so its start-up is a cost people pay all day; the target
is under 35 ms of wall time. This times the paths people meet, as they meet
them: Xvfb, a private session bus and `sitbreak run` (tests/desktop.py), with
the XDG directories of a login (a private $XDG_RUNTIME_DIR, no SITBREAK_HOME,
so the control socket is found as an installed sitbreak finds it), and each
--runs times, alternating so that a busy moment hits all alike:

- `python -c pass`: the interpreter alone, the floor;
- `sitbreak status` and every `--format` over the session bus (the client's
  runtime directory is empty, so only the bus can answer: a fall-back to the
  socket would fail the check before the timing);
- `sitbreak status` and `--format i3blocks` over the control socket (no
  session bus in the client's environment);
- `sitbreak status --format i3blocks` with no daemon: with a session bus that
  has no sitbreak on it (the bus says so, then the socket is tried), and
  without one.

`sitbreak` is the console script when this Python has one, else `python -m
sitbreak`, with bytecode written and used as an installed sitbreak has it
(PYTHONDONTWRITEBYTECODE is dropped; a first run of each writes it). Prints,
in milliseconds of wall time, the median and the spread (the middle half of
the runs, 25th to 75th percentile; and the fastest), and the median CPU time
the process used (user + system), which other busy processes disturb least.
The verdict is on the slowest median.
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

from desktop import dbus_bus, desktop, wait_for, xdg_login  # noqa: E402

TARGET_MS = 35.0
FORMATS = ("waybar", "i3blocks", "i3status-rs", "polybar")


def sitbreak_command() -> list[str]:
    script = Path(sys.executable).with_name("sitbreak")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sitbreak"]


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall milliseconds, and the CPU milliseconds (user + system) the child used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    sitbreak = sitbreak_command()
    base = dict(os.environ)
    base["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp_name,
        desktop(with_dunst=False) as d,
        dbus_bus() as empty_bus,
    ):
        tmp = Path(tmp_name)
        (tmp / "config.toml").touch()
        env = xdg_login(tmp / "home", dict(base, **d.env))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        daemon = subprocess.Popen(
            [*sitbreak, "run", "--config", str(tmp / "config.toml"), "--notify", "log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # The bus cases find no socket: only the bus can answer them.
            on_bus = xdg_login(tmp / "elsewhere", env)
            no_bus = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
            nobody = xdg_login(
                tmp / "nobody", dict(env, DBUS_SESSION_BUS_ADDRESS=empty_bus.address)
            )
            nobody_no_bus = {k: v for k, v in nobody.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
            for ready_env in (on_bus, no_bus):
                wait_for(
                    lambda e=ready_env: (  # type: ignore[misc]
                        subprocess.run(
                            [*sitbreak, "status"], env=e, capture_output=True, check=False
                        ).returncode
                        == 0
                    ),
                    timeout=30,
                    what="the daemon, on the bus and on its socket",
                )
            cases: dict[str, tuple[list[str], dict[str, str]]] = {
                "python -c pass": ([sys.executable, "-c", "pass"], env),
                "status (bus)": ([*sitbreak, "status"], on_bus),
            }
            for fmt in FORMATS:
                cases[f"status --format {fmt} (bus)"] = (
                    [*sitbreak, "status", "--format", fmt],
                    on_bus,
                )
            cases["status (socket)"] = ([*sitbreak, "status"], no_bus)
            cases["status --format i3blocks (socket)"] = (
                [*sitbreak, "status", "--format", "i3blocks"],
                no_bus,
            )
            cases["--format i3blocks, not running (bus)"] = (
                [*sitbreak, "status", "--format", "i3blocks"],
                nobody,
            )
            cases["--format i3blocks, not running (no bus)"] = (
                [*sitbreak, "status", "--format", "i3blocks"],
                nobody_no_bus,
            )
            for name, (cmd, case_env) in cases.items():  # each works, and its bytecode is written
                res = subprocess.run(cmd, env=case_env, capture_output=True, text=True, check=False)
                if res.returncode != 0 or (name != "python -c pass" and not res.stdout):
                    raise SystemExit(f"{name}: exit {res.returncode}: {res.stderr.strip()}")
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
    print(
        f"{args.runs} runs each of {' '.join(sitbreak)} (Python {sys.version.split()[0]}); "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'wall time, ms':40} {'median':>7} {'middle half':>13} {'fastest':>8} {'CPU median':>11}"
    )
    for name, values in times.items():
        q1, median, q3 = quartiles(values)
        print(
            f"{name:40} {median:7.1f} {q1:6.1f}-{q3:<6.1f} {min(values):8.1f}"
            f" {statistics.median(cpu[name]):11.1f}"
        )
    worst_name = max(
        (n for n in times if n != "python -c pass"), key=lambda n: statistics.median(times[n])
    )
    worst = statistics.median(times[worst_name])
    verdict = "ok" if worst < TARGET_MS else "OVER"
    floor = statistics.median(times["python -c pass"])
    print(
        f"slowest median: {worst_name}, {worst:.1f} ms; target < {TARGET_MS:g} ms: {verdict} "
        f"(the interpreter alone: {floor:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
