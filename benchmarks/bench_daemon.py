#!/usr/bin/env python3
"""What the running daemon costs: CPU, wake-ups and memory, under a private desktop.

    PYTHONPATH=src python benchmarks/bench_daemon.py [--seconds 60] [--sync-peers N] [--json FILE]

Starts Xvfb, a private D-Bus session bus and dunst (tests/desktop.py), then,
side by side in the same run and under the same input:

- `sitbreak run --source x11`    (polls the X server's idle counter once a second),
- `sitbreak run --source pynput` (pynput mouse and keyboard listeners),
- a bare pynput listener process with no-op callbacks (what pynput alone costs),
- `sitbreak status --follow --format waybar` (a status bar's module on the
  x11 daemon's D-Bus API, which that daemon serves: it owns the name),

each with the default config (an empty config file) and its own SITBREAK_HOME.

With --sync-peers N (issue 18), also `sitbreak run --source x11` with a
[sync] folder that N other computers write to while it runs (a working
morning each, already there, then input every 5 s through the real
SyncWriter, so each appends its span records live), and its own status-bar
follower. It runs on a second Xvfb, session bus and dunst of its own, so
that it and the first x11 daemon are alike but for the folder: each owns
the D-Bus API on its bus, serves a follower and gets the same pointer
moves; the first one's rows are the figures without sync.
After a warm-up it measures two phases of --seconds each:

- idle: no input at all;
- move: the pointer moved continuously (--rate moves a second, by one
  `xdotool -` process reading commands from a pipe, paced from here).

Per process and phase, from /proc: CPU seconds per minute (utime+stime of
/proc/PID/stat, all threads, dead ones included) and the same from the
per-thread scheduler clocks (/proc/PID/task/*/schedstat, nanoseconds), as a
percentage of one core; wake-ups (voluntary + involuntary context switches of
all threads) per minute and per second; peak RSS (VmHWM). The targets for the
x11 source are checked at the end: ≤ 0.05 % of a core while the person works,
≤ 1 wake-up a second idle, ≤ 40 MB.

A separate counting listener reports how many motion events the X server
actually delivered during the move phase (it costs about as much as the bare
listener; --no-count leaves it out).

Needs Xvfb, xdotool, dbus-daemon, dbus-send, dunst, dunstctl (see README:
scripts/test.sh installs them). Every process started here is stopped at the
end, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the desktop fixtures live with the tests

from desktop import Desktop, desktop, wait_for  # noqa: E402

#: What tests/desktop.py needs; checked up front, because desktop() reports a
#: missing tool with pytest.skip, which is not a message for a script's user.
TOOLS = ("Xvfb", "xdotool", "dbus-daemon", "dbus-send", "dunst", "dunstctl")

#: The rows of the table, in order.
PROCESSES = ("sitbreak x11", "sitbreak x11 sync", "sitbreak pynput", "bare pynput")
SYNCED = "sitbreak x11 sync"

TARGET_CORE_PCT = 0.05  # of one core, on average while the person works
TARGET_WAKEUPS_PER_S = 1.0  # idle, x11 source
TARGET_RSS_MB = 40.0

#: A bare pynput process: the same listeners as PynputSource (mouse motion,
#: clicks, scroll, key presses) with callbacks that do nothing.
BARE_LISTENER = """
import signal
from pynput import keyboard, mouse

signal.signal(signal.SIGINT, signal.SIG_DFL)  # a Ctrl-C ends it without a traceback

def nothing(*_args):
    pass

listeners = [
    mouse.Listener(on_move=nothing, on_click=nothing, on_scroll=nothing),
    keyboard.Listener(on_press=nothing),
]
for listener in listeners:
    listener.start()
for listener in listeners:
    listener.wait()
print("ready", flush=True)
listeners[0].join()
"""

#: Counts motion events; prints the count for every line read on stdin.
COUNTER = """
import signal
import sys
from pynput import mouse

signal.signal(signal.SIGINT, signal.SIG_DFL)

count = 0

def seen(*_args):
    global count
    count += 1

listener = mouse.Listener(on_move=seen)
listener.start()
listener.wait()
print("ready", flush=True)
for _line in sys.stdin:
    print(count, flush=True)
"""


# --------------------------------------------------------------------------- /proc


@dataclass(frozen=True)
class ThreadStat:
    voluntary: int
    involuntary: int
    run_ns: int  # time on a CPU (schedstat), nanoseconds


@dataclass(frozen=True)
class Sample:
    """One reading of a process's counters."""

    at: float  # time.monotonic()
    cpu_ticks: int  # utime + stime, clock ticks, the whole thread group
    hwm_kb: int  # VmHWM: peak resident set
    rss_kb: int
    threads: dict[int, ThreadStat]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _status_fields(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _kb(value: str) -> int:
    return int(value.split(maxsplit=1)[0])  # "12345 kB"


def read_sample(pid: int) -> Sample:
    at = time.monotonic()
    proc = Path(f"/proc/{pid}")
    # The command name may hold spaces and parentheses: split after the last ")".
    # utime and stime are fields 14 and 15, i.e. 12th and 13th after the name.
    # For the process they cover every thread, including threads that ended,
    # and the kernel scales them so that they add up to the precise run time,
    # truncated to clock ticks (10 ms): fine over a minute, coarse below.
    stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    cpu_ticks = int(stat[11]) + int(stat[12])
    status = _status_fields(proc / "status")
    threads: dict[int, ThreadStat] = {}
    for task in (proc / "task").iterdir():
        # Context switches are counted per thread only (the process's own
        # status shows its main thread's), so sum them over the live threads.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
            fields = _status_fields(task / "status")
            run_ns = int((task / "schedstat").read_text().split()[0])
            threads[int(task.name)] = ThreadStat(
                int(fields["voluntary_ctxt_switches"]),
                int(fields["nonvoluntary_ctxt_switches"]),
                run_ns,
            )
    return Sample(at, cpu_ticks, _kb(status["VmHWM"]), _kb(status["VmRSS"]), threads)


@dataclass
class Row:
    """One process over one phase, normalised to per minute / per second."""

    process: str
    phase: str
    seconds: float
    cpu_s_per_min: float  # from /proc/PID/stat (10 ms ticks)
    cpu_s_per_min_ns: float  # from the threads' schedstat (nanoseconds)
    core_pct: float  # of one core, from the nanosecond figure
    wakeups_per_min: float  # voluntary + involuntary context switches
    wakeups_per_s: float
    voluntary_per_s: float
    involuntary_per_s: float
    peak_rss_mb: float  # VmHWM at the end of the phase
    rss_mb: float
    threads: int
    #: Wake-ups per second of each thread (by kernel thread id), busiest first:
    #: with py-spy's thread ids this tells which thread wakes.
    per_thread_wakeups_per_s: dict[str, float]


def make_row(process: str, phase: str, a: Sample, b: Sample) -> Row:
    wall = b.at - a.at
    zero = ThreadStat(0, 0, 0)
    # A thread born during the phase counts from zero; one that ended during
    # it is lost (its switches vanish from /proc): none do in steady state.
    deltas = {
        tid: ThreadStat(
            end.voluntary - a.threads.get(tid, zero).voluntary,
            end.involuntary - a.threads.get(tid, zero).involuntary,
            end.run_ns - a.threads.get(tid, zero).run_ns,
        )
        for tid, end in b.threads.items()
    }
    vol = sum(d.voluntary for d in deltas.values())
    invol = sum(d.involuntary for d in deltas.values())
    run_s = sum(d.run_ns for d in deltas.values()) / 1e9
    cpu_s = (b.cpu_ticks - a.cpu_ticks) / CLK_TCK
    per_thread = sorted(
        ((str(tid), (d.voluntary + d.involuntary) / wall) for tid, d in deltas.items()),
        key=lambda item: -item[1],
    )
    return Row(
        process=process,
        phase=phase,
        seconds=round(wall, 2),
        cpu_s_per_min=cpu_s / wall * 60,
        cpu_s_per_min_ns=run_s / wall * 60,
        core_pct=run_s / wall * 100,
        wakeups_per_min=(vol + invol) / wall * 60,
        wakeups_per_s=(vol + invol) / wall,
        voluntary_per_s=vol / wall,
        involuntary_per_s=invol / wall,
        peak_rss_mb=b.hwm_kb / 1024,
        rss_mb=b.rss_kb / 1024,
        threads=len(b.threads),
        per_thread_wakeups_per_s={tid: round(rate, 3) for tid, rate in per_thread},
    )


# --------------------------------------------------------------------------- processes


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it does not go (the daemon saves its day on SIGTERM)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_line(proc: subprocess.Popen[str], timeout: float, what: str) -> str:
    """The next line of `proc`'s stdout, without hanging on a process that never writes."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"{what}: the process exited (status {proc.wait()})")
    return line.strip()


def start_listener(
    stack: contextlib.ExitStack, script: str, env: dict[str, str], what: str
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    stack.callback(stop_process, proc)
    if read_line(proc, 20.0, f"{what} to listen") != "ready":
        raise RuntimeError(f"{what} did not start listening")
    return proc


def start_daemon(
    stack: contextlib.ExitStack,
    source: str,
    env: dict[str, str],
    tmp: Path,
    *,
    label: str | None = None,
    config_text: str = "",
) -> subprocess.Popen[bytes]:
    label = label or source
    home = tmp / f"home-{label}"  # its own SITBREAK_HOME: its own lock, socket, database
    config = tmp / f"config-{label}.toml"
    config.write_text(config_text)  # empty: the default thresholds
    log_path = tmp / f"daemon-{label}.log"
    daemon_env = dict(env, SITBREAK_HOME=str(home))
    daemon_env.pop("SITBREAK_CONFIG", None)
    with open(log_path, "wb") as log_file:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "run", "--config", str(config), "--source", source],
            env=daemon_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    stack.callback(stop_process, proc)
    sock = home / "run" / "control.sock"
    try:
        wait_for(
            lambda: sock.exists() or proc.poll() is not None,
            timeout=30.0,
            what=f"the {source} daemon's control socket",
        )
    except AssertionError as exc:
        raise RuntimeError(f"{exc}\n{log_path.read_text()}") from None
    if proc.poll() is not None:
        raise RuntimeError(
            f"sitbreak run --source {source} exited with status {proc.returncode}:\n"
            + log_path.read_text()
        )
    return proc


def start_follower(
    stack: contextlib.ExitStack, env: dict[str, str], tmp: Path, label: str = "x11"
) -> subprocess.Popen[bytes]:
    """`sitbreak status --follow --format waybar`, as a waybar module runs it."""
    out = tmp / f"follower-{label}.out"
    with open(out, "wb") as out_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "status", "--follow", "--format", "waybar"],
            env=dict(env, SITBREAK_HOME=str(tmp / f"home-{label}")),
            stdout=out_file,
            stderr=subprocess.STDOUT,
        )
    stack.callback(stop_process, proc)
    wait_for(lambda: out.stat().st_size > 0 or proc.poll() is not None, what="the follower")
    if proc.poll() is not None:
        raise RuntimeError(f"the follower exited: {out.read_text()}")
    return proc


class MouseFeeder:
    """Moves the pointer `rate` times a second through one long-lived `xdotool -`.

    A new xdotool per move costs milliseconds of start-up and cannot keep a
    steady 100 Hz; a chain of `mousemove ... sleep 0.01` on one command line
    drifts by xdotool's own time per step. `xdotool -` runs each line of its
    stdin as soon as it arrives, so pacing the lines from here against absolute
    deadlines gives a steady rate, and the count of lines gives the rate asked.
    """

    def __init__(self, env: dict[str, str], rate: float) -> None:
        self._env = env
        self._period = 1.0 / rate
        self._stop = threading.Event()
        self._proc: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None
        self.sent = 0  # written by the feeder thread only; read as a snapshot

    def start(self) -> None:
        self._proc = subprocess.Popen(
            ["xdotool", "-"], env=self._env, stdin=subprocess.PIPE, text=True, bufsize=1
        )
        self._thread = threading.Thread(target=self._feed, name="mouse-feeder", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        out = self._proc.stdin
        due = time.monotonic()
        i = 0
        while not self._stop.is_set():
            # Every move goes somewhere new, so every one is a motion event.
            x, y = 100 + (i * 13) % 1000, 100 + (i * 7) % 800
            try:
                out.write(f"mousemove {x} {y}\n")
                out.flush()
            except (BrokenPipeError, ValueError):
                return  # xdotool died or was closed: the counter will show it
            i += 1
            self.sent = i
            due += self._period
            delay = due - time.monotonic()
            if delay < -1.0:
                due = time.monotonic()  # fell far behind (a stall): no burst to catch up
            elif delay > 0:
                self._stop.wait(delay)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._proc is not None:
            with contextlib.suppress(OSError, ValueError):
                assert self._proc.stdin is not None
                self._proc.stdin.close()  # EOF ends `xdotool -`
            stop_process(self._proc, 5.0)


class EventCounter:
    """The counting listener process: how many motion events X really delivered."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._proc = proc

    def count(self) -> int:
        assert self._proc.stdin is not None
        self._proc.stdin.write("\n")
        self._proc.stdin.flush()
        return int(read_line(self._proc, 5.0, "the event counter"))


class Peers:
    """Other computers writing to the sync folder as the daemon runs: each
    one's working morning already there, then input every 5 s (the daemon's
    own poll), appended through the real SyncWriter."""

    EVERY_S = 5.0

    def __init__(self, folder: Path, n: int) -> None:
        from sitbreak.storage.sync import SyncWriter

        self.folder = folder
        self.writers = [SyncWriter(folder, f"{k + 1:016x}", f"peer {k + 1}") for k in range(n)]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def seed(self, now: float) -> None:
        """Four hours of input each, ending an hour ago: read once when the daemon starts."""
        for w in self.writers:
            t = now - 5 * 3600
            while t < now - 3600:
                w.activity(t)
                w.tick(t)
                t += self.EVERY_S
            w.tick(now - 3600 + 60)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync-peers", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.EVERY_S):
            now = time.time()
            for w in self.writers:
                w.activity(now)
                w.tick(now)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def folder_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*.jsonl"))


def sync_config(folder: Path) -> str:
    return f'[sync]\nfolder = "{folder}"\nname = "bench"\n'


# --------------------------------------------------------------------------- the run


@dataclass
class MoveRates:
    asked_per_s: float  # lines handed to xdotool
    delivered_per_s: float | None  # motion events a listener received (None: not counted)


def machine_busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat: how loaded the machine was."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def measure(pids: dict[str, int], seconds: float, phase: str) -> tuple[list[Row], float]:
    """The processes' rows over `seconds`, and how busy the whole machine was (% of all CPUs).

    Other load (a parallel test run) shows as involuntary context switches and
    noisier figures: the machine's load is reported beside them for that reason.
    """
    busy0, total0 = machine_busy_jiffies()
    start = {name: read_sample(pid) for name, pid in pids.items()}
    time.sleep(seconds)
    end = {name: read_sample(pid) for name, pid in pids.items()}
    busy1, total1 = machine_busy_jiffies()
    busy_pct = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    return [make_row(name, phase, start[name], end[name]) for name in pids], busy_pct


def say(text: str) -> None:
    """Progress, on stderr: stdout holds only the report, for `> file`."""
    print(text, file=sys.stderr, flush=True)


def check_alive(procs: dict[str, subprocess.Popen[Any]]) -> None:
    for name, proc in procs.items():
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited during the run (status {proc.returncode})")


def run(args: argparse.Namespace) -> dict[str, Any]:
    env_base = dict(os.environ)
    # The children import sitbreak from this tree even without PYTHONPATH=src.
    env_base["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
    )
    env_base.pop("WAYLAND_DISPLAY", None)
    # The stack unwinds first: every process stops before its files are removed,
    # and Xvfb (entered first) stops last, so no client sees its display vanish.
    with (
        tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp_name,
        contextlib.ExitStack() as stack,
    ):
        tmp = Path(tmp_name)
        d: Desktop = stack.enter_context(desktop())
        env = dict(env_base, **{k: d.env[k] for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")})
        say(f"desktop up on DISPLAY={d.display}; starting the processes")
        procs: dict[str, subprocess.Popen[Any]] = {
            "sitbreak x11": start_daemon(stack, "x11", env, tmp),
            "sitbreak pynput": start_daemon(stack, "pynput", env, tmp),
            "bare pynput": start_listener(stack, BARE_LISTENER, env, "the bare pynput listener"),
        }
        # A status bar attached to the x11 daemon (which owns the D-Bus API's
        # name: it started first): its follower, and what the daemon pays for it.
        procs["waybar follower"] = start_follower(stack, env, tmp)
        env2: dict[str, str] | None = None
        peers: Peers | None = None
        if args.sync_peers:
            # The synced daemon's own desktop: its own bus, so it owns the
            # D-Bus API there and serves its own follower, as the first does.
            d2: Desktop = stack.enter_context(desktop())
            env2 = dict(env_base, **{k: d2.env[k] for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")})
            folder = tmp / "Sync" / "sitbreak"
            folder.mkdir(parents=True)
            peers = Peers(folder, args.sync_peers)
            peers.seed(time.time())
            stack.callback(peers.stop)
            peers.start()
            say(f"a second desktop on DISPLAY={d2.display}, {args.sync_peers} peers writing")
            procs[SYNCED] = start_daemon(
                stack, "x11", env2, tmp, label="x11-sync", config_text=sync_config(folder)
            )
            procs["sync follower"] = start_follower(stack, env2, tmp, label="x11-sync")
        pids = {name: proc.pid for name, proc in procs.items()}
        counter = None
        if not args.no_count:
            counter = EventCounter(start_listener(stack, COUNTER, env, "the event counter"))

        say(f"warm-up {args.warmup:g} s, then idle {args.seconds:g} s")
        time.sleep(args.warmup)
        check_alive(procs)
        idle_rows, idle_busy = measure(pids, args.seconds, "idle")
        check_alive(procs)

        feeder = MouseFeeder(env, args.rate)
        stack.callback(feeder.stop)
        feeder.start()
        feeder2 = None
        if env2 is not None:
            feeder2 = MouseFeeder(env2, args.rate)  # the same input on the synced desktop
            stack.callback(feeder2.stop)
            feeder2.start()
        # The first second of movement starts a session (a database write):
        # real but one-off, so it is part of the warm-up, not the steady rate.
        say(f"moving the pointer at {args.rate:g}/s: ramp 3 s, then {args.seconds:g} s")
        time.sleep(3.0)
        sent0, seen0 = feeder.sent, counter.count() if counter else None
        t0 = time.monotonic()
        move_rows, move_busy = measure(pids, args.seconds, "move")
        sent1, seen1 = feeder.sent, counter.count() if counter else None
        wall = time.monotonic() - t0
        feeder.stop()
        if feeder2 is not None:
            feeder2.stop()
        check_alive(procs)
        folder_info = None
        if peers is not None:
            peers.stop()
            folder_info = {
                "peers": args.sync_peers,
                "folder_bytes": peers.folder_bytes(),
            }
        rates = MoveRates(
            asked_per_s=(sent1 - sent0) / wall,
            delivered_per_s=None if seen0 is None or seen1 is None else (seen1 - seen0) / wall,
        )
        logs = {p.name: p.read_text() for p in sorted(tmp.glob("daemon-*.log"))}

    return {
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "move_rate": asdict(rates),
        "machine": {
            "cpus": os.cpu_count(),
            "busy_pct_of_all_cpus": {"idle": idle_busy, "move": move_busy},
            "kernel": platform.release(),
            "python": platform.python_version(),
            "clk_tck": CLK_TCK,
        },
        "targets": {
            "core_pct_while_working": TARGET_CORE_PCT,
            "idle_wakeups_per_s": TARGET_WAKEUPS_PER_S,
            "peak_rss_mb": TARGET_RSS_MB,
        },
        "rows": [asdict(r) for r in idle_rows + move_rows],
        "sync": folder_info,
        "daemon_logs": logs,
    }


# --------------------------------------------------------------------------- report


def print_report(result: dict[str, Any]) -> None:
    rows = [Row(**r) for r in result["rows"]]
    head = (
        f"{'process':<16} {'phase':<5} {'CPU s/min':>9} {'(ns clk)':>9} {'% core':>8} "
        f"{'wakeups/min':>11} {'/s':>7} {'vol/s':>7} {'invol/s':>7} "
        f"{'peak RSS MB':>11} {'thr':>3}"
    )
    print()
    print(head)
    print("-" * len(head))
    order = {name: i for i, name in enumerate(PROCESSES)}
    for r in sorted(rows, key=lambda r: (order.get(r.process, len(order)), r.phase != "idle")):
        print(
            f"{r.process:<16} {r.phase:<5} {r.cpu_s_per_min:>9.3f} {r.cpu_s_per_min_ns:>9.4f} "
            f"{r.core_pct:>8.4f} {r.wakeups_per_min:>11.1f} {r.wakeups_per_s:>7.2f} "
            f"{r.voluntary_per_s:>7.2f} {r.involuntary_per_s:>7.2f} "
            f"{r.peak_rss_mb:>11.1f} {r.threads:>3}"
        )
    rates = result["move_rate"]
    delivered = rates["delivered_per_s"]
    print(
        f"\nmove phase: {rates['asked_per_s']:.1f} pointer moves/s asked of xdotool, "
        + (f"{delivered:.1f} motion events/s delivered" if delivered is not None else "")
    )
    busy = result["machine"]["busy_pct_of_all_cpus"]
    print(
        f"whole machine ({result['machine']['cpus']} CPUs) busy: {busy['idle']:.1f} % idle phase, "
        f"{busy['move']:.1f} % move phase (Xvfb, xdotool and anything else running)"
    )
    if busy["idle"] > 10.0:
        print(
            "  note: the machine was busy with other work in the idle phase; "
            "figures are noisier (involuntary switches, CPU per event): rerun when quiet"
        )
    print(
        "CPU s/min: utime+stime (/proc/PID/stat, 10 ms ticks); (ns clk): the threads' "
        "schedstat run time, which '% core' uses."
    )

    by = {(r.process, r.phase): r for r in rows}
    x11_idle, x11_move = by[("sitbreak x11", "idle")], by[("sitbreak x11", "move")]
    print("\ntargets, sitbreak --source x11:")
    checks = [
        (f"CPU while working ≤ {TARGET_CORE_PCT} % of a core", x11_move.core_pct, TARGET_CORE_PCT),
        (f"CPU idle ≤ {TARGET_CORE_PCT} % of a core", x11_idle.core_pct, TARGET_CORE_PCT),
        (
            f"wake-ups idle ≤ {TARGET_WAKEUPS_PER_S:g}/s",
            x11_idle.wakeups_per_s,
            TARGET_WAKEUPS_PER_S,
        ),
        (
            f"peak RSS ≤ {TARGET_RSS_MB:g} MB",
            max(x11_idle.peak_rss_mb, x11_move.peak_rss_mb),
            TARGET_RSS_MB,
        ),
    ]
    for label, value, target in checks:
        verdict = "ok" if value <= target else f"MISSED: {value / target:.2f}x the target"
        print(f"  {label:<36} {value:>9.4f}  {verdict}")
    pyn = by[("sitbreak pynput", "move")]
    print(
        f"  (pynput source while working: {pyn.core_pct:.3f} % of a core, "
        f"{pyn.core_pct / TARGET_CORE_PCT:.0f}x the target)"
    )
    sync = result.get("sync")
    if sync:
        n = sync["peers"]
        print(f"\nwith a sync folder and {n} peers writing (sitbreak x11 sync vs sitbreak x11):")
        for phase in ("idle", "move"):
            a, b = by[("sitbreak x11", phase)], by[(SYNCED, phase)]
            print(
                f"  {phase:<5} CPU {b.core_pct:.4f} vs {a.core_pct:.4f} % of a core "
                f"({b.core_pct - a.core_pct:+.4f}); wake-ups {b.wakeups_per_s:.2f} vs "
                f"{a.wakeups_per_s:.2f} a second; peak RSS {b.peak_rss_mb:.1f} vs "
                f"{a.peak_rss_mb:.1f} MB"
            )
        print(f"  the folder at the end: {sync['folder_bytes'] / 1024:.1f} KiB")


# --------------------------------------------------------------------------- main


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    # Unwind through every cleanup exactly once: a second Ctrl-C (or a SIGTERM
    # from a impatient parent) must not cut the cleanup short and leak Xvfb.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    print(f"\n{signal.Signals(signum).name}: stopping every process", file=sys.stderr)
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    previous = {s: signal.signal(s, _interrupted) for s in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, _interrupted)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="discarded after start-up")
    parser.add_argument("--rate", type=float, default=100.0, help="pointer moves a second")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--no-count", action="store_true", help="do not count the delivered events")
    parser.add_argument(
        "--sync-peers",
        type=int,
        default=0,
        metavar="N",
        help="also an x11 daemon with a [sync] folder that N other computers write to (issue 18)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.rate <= 0:
        parser.error("--seconds and --rate must be positive, --warmup not negative")
    if not 0 <= args.sync_peers <= 9:
        parser.error("--sync-peers takes 0 to 9 other computers")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(
            f"needs {', '.join(missing)} (apt-get install xvfb xdotool dunst dbus)",
            file=sys.stderr,
        )
        return 2
    try:
        with _signals_unwind():
            result = run(args)
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:
        print(f"bench_daemon: {exc}", file=sys.stderr)
        return 1
    print_report(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
