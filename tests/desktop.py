"""A real desktop for tests: Xvfb, a private D-Bus session bus, dunst.

Each piece is started by the test that needs it and stopped afterwards, so
nothing leaks onto the developer's own desktop. Locally a missing tool skips
the test; under CI=true it fails, because there a skip would hide a broken
install step (scripts/test.sh installs these with apt-get).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI") == "true"


def require_tool(*names: str) -> None:
    """Skip (locally) or fail (in CI) unless every named program is on PATH."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        message = (
            f"needs {', '.join(missing)} (apt-get install xvfb xdotool dunst libnotify-bin dbus)"
        )
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)


def wait_for(
    predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


#: Stop a process a test started: SIGTERM to its pid, then SIGKILL if it lingers.
stop_process = _stop


@contextlib.contextmanager
def xvfb_process(
    *extra: str, screen: str = "1280x1024x24"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start Xvfb on a free display; yields (DISPLAY, the process) for tests that kill it.

    `extra` goes on Xvfb's command line (e.g. "-extension", "MIT-SCREEN-SAVER").
    """
    require_tool("Xvfb")
    # Xvfb picks a free display itself and writes its number to -displayfd.
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp", *extra],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as numbers:
            number = numbers.readline().strip()
        if not number:
            raise AssertionError(f"Xvfb did not start (exit status {proc.poll()})")
        yield f":{number}", proc
    finally:
        _stop(proc)


@contextlib.contextmanager
def xvfb(*extra: str) -> Iterator[str]:
    """Start Xvfb on a free display; yields DISPLAY (":N")."""
    with xvfb_process(*extra) as (display, _proc):
        yield display


#: Thresholds of seconds, for tests that run the real daemon for a few seconds.
FAST_DAEMON_CONFIG = """
[session]
break_idle = "6s"
break_locked = "3s"
[prompts]
posture_after = "5s"
posture_guard = "0s"
move_after = "8s"
move_repeat = "5s"
"""


def xdg_login(home: Path, base: dict[str, str]) -> dict[str, str]:
    """`base` as a login has it, with its XDG directories under `home` (each 0700,
    as the runtime one must be) and no SITBREAK_HOME or SITBREAK_CONFIG: files are
    found the way an installed sitbreak finds them."""
    env = {k: v for k, v in base.items() if not k.startswith("SITBREAK_")}
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "run"),
    ):
        (home / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        (home / sub).chmod(0o700)
        env[var] = str(home / sub)
    return env


@dataclass
class Bus:
    address: str
    env: dict[str, str]


@contextlib.contextmanager
def dbus_bus() -> Iterator[Bus]:
    """A private dbus-daemon (session configuration); yields its address."""
    require_tool("dbus-daemon")
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().decode().strip()
        if not address:
            raise AssertionError("dbus-daemon printed no address")
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        yield Bus(address, env)
    finally:
        _stop(proc)


def name_has_owner(env: dict[str, str], name: str) -> bool:
    res = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{name}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return "boolean true" in res.stdout


@dataclass
class Desktop:
    display: str
    bus: Bus
    env: dict[str, str]  # DISPLAY and DBUS_SESSION_BUS_ADDRESS set, for subprocesses

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, capture_output=True)

    def dunstctl(self, *args: str) -> str:
        res = subprocess.run(
            ["dunstctl", *args], env=self.env, check=True, capture_output=True, text=True
        )
        return res.stdout


@contextlib.contextmanager
def desktop(with_dunst: bool = True, dunstrc: Path | None = None) -> Iterator[Desktop]:
    """Xvfb + a private session bus (+ dunst owning org.freedesktop.Notifications)."""
    require_tool(
        "Xvfb",
        "xdotool",
        "dbus-daemon",
        "dbus-send",
        *(["dunst", "dunstctl"] if with_dunst else []),
    )
    with xvfb() as display, dbus_bus() as bus:
        env = dict(bus.env, DISPLAY=display)
        env.pop("WAYLAND_DISPLAY", None)
        dunst: subprocess.Popen[bytes] | None = None
        try:
            if with_dunst:
                cmd = ["dunst"] + (["-config", str(dunstrc)] if dunstrc else [])
                dunst = subprocess.Popen(
                    cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                wait_for(
                    lambda: name_has_owner(env, "org.freedesktop.Notifications"),
                    what="dunst to own org.freedesktop.Notifications",
                )
            yield Desktop(display, bus, env)
        finally:
            if dunst is not None:
                _stop(dunst)


@dataclass
class Running:
    """`sitbreak run` as the service starts it, on a `Desktop`, and the CLI beside it."""

    desk: Desktop
    proc: subprocess.Popen[str]
    home: Path
    env: dict[str, str]
    log_path: Path

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sitbreak", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )

    def status(self) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.cli("status", "--json").stdout)
        return answer

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def sitbreak_run(
    d: Desktop, tmp_path: Path, config: str, *, prelude: str = ""
) -> Iterator[Running]:
    """Start `sitbreak run --config FILE` in its own home, times in UTC; stop it after.

    `prelude`, if given, is Python run in the daemon's process before sitbreak's
    own `main` (a test that needs the engine to misbehave says how here)."""
    home = tmp_path / "home"
    config_file = tmp_path / "config.toml"
    config_file.write_text('[general]\ntimezone = "UTC"\n' + config)
    env = dict(d.env, SITBREAK_HOME=str(home), TZ="UTC")
    env.pop("SITBREAK_CONFIG", None)
    args = ["run", "--config", str(config_file), "--log-level", "DEBUG"]
    code = f"{prelude}\nimport sys\nfrom sitbreak.cli import main\nsys.exit(main({args!r}))\n"
    log_path = tmp_path / "sitbreak.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stderr=log, stdout=log, text=True
        )
    running = Running(d, proc, home, env, log_path)
    try:
        wait_for(
            lambda: (home / "run" / "control.sock").exists() or proc.poll() is not None,
            timeout=20,
            what="the daemon's control socket",
        )
        assert proc.poll() is None, running.log()
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def someone_working(d: Desktop, every: float = 0.7) -> Iterator[None]:
    """The mouse moves every `every` seconds until the block ends."""
    done = threading.Event()

    def move() -> None:
        i = 0
        while not done.wait(every):
            i += 1
            d.xdotool("mousemove", str(100 + 37 * (i % 9)), str(100 + 23 * (i % 7)))

    worker = threading.Thread(target=move, daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()
