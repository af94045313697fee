"""Wayland-era activity sources against real D-Bus daemons and a stand-in swayidle.

Each D-Bus source talks to a private dbus-daemon (tests/desktop.py) where a
small jeepney service of this file plays the desktop: GNOME Shell's idle
monitor (with Mutter's watch semantics), a KDE-style freedesktop screen
saver, and logind on a second private bus used as the system bus. The
engine tests then feed what the source reports, and what DBusContextMonitor
reports from the same services, to a real `Engine`: activity, idle, lock and
sleep all reach it as events.

swayidle is a small script written by the test, put first on PATH, that
runs its commands as swayidle does: SIGUSR1 runs the timeout command (as
swayidle's own SIGUSR1 does), SIGUSR2 the resume command.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from jeepney import DBusAddress, HeaderFields, Message, new_signal
from jeepney.io.blocking import open_dbus_connection
from test_signals import (
    OUR_SESSION,
    SESSION,
    FakeLogind,
    FakeScreenSavers,
    FakeService,
    serving,
)

from desktop import Bus, dbus_bus, require_tool, wait_for
from sitbreak.clock import SystemClock
from sitbreak.core import Activity, Engine, EngineSettings, Event, State, Tick
from sitbreak.desktop.activity import make_source
from sitbreak.desktop.freedesktop import FD_SAVER, FreedesktopIdleSource
from sitbreak.desktop.gnome import GNOME_IDLE, GNOME_IDLE_PATH, GnomeIdleSource
from sitbreak.desktop.lock_sleep import DBusContextMonitor
from sitbreak.desktop.logind import LogindIdleSource
from sitbreak.desktop.source import SourceLost, SourceUnavailable
from sitbreak.desktop.swayidle import SwayidleSource, backoff_s

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="D-Bus and swayidle are Linux's"
)

#: Slack for a reported time: D-Bus round trips, thread hand-offs, a busy CI machine.
SLACK_S = 0.1
WAIT_S = 5.0
#: Input is seen this soon when a watch or resume reports it, well before a 1 s idle timeout.
PROMPT_S = 0.5


# ------------------------------------------------------------ fake desktop services


class FakeMutter(FakeService):
    """org.gnome.Mutter.IdleMonitor as Mutter implements it.

    An idle watch fires when the idle time reaches its interval: at
    last input + interval, at once if that is already past when it is added,
    and again after each new input. A user-active watch fires at the next
    input and is then removed. WatchFired goes to the watch's owner only
    (a unicast signal), as Mutter sends it.
    """

    def __init__(self, address: str, idle_for_s: float = 60.0) -> None:
        self._lock = threading.Lock()
        self.last_input = time.monotonic() - idle_for_s
        self.watches: dict[int, tuple[str, int]] = {}  # id -> (owner, interval ms; 0: user-active)
        self._due: dict[int, float] = {}  # idle watch id -> when it fires (monotonic)
        self._ids = itertools.count(1)
        self._caller = ""
        self._closing = threading.Event()
        super().__init__(address, [GNOME_IDLE])
        at = (GNOME_IDLE_PATH, GNOME_IDLE)
        self.methods[(*at, "AddIdleWatch")] = lambda args: ("u", (self._add(int(args[0])),))
        self.methods[(*at, "AddUserActiveWatch")] = lambda _args: ("u", (self._add(0),))
        self.methods[(*at, "RemoveWatch")] = self._remove
        self.methods[(*at, "GetIdletime")] = lambda _args: ("t", (self.idle_ms(),))
        self._timer = threading.Thread(target=self._fire_due, daemon=True)
        self._timer.start()

    def idle_ms(self) -> int:
        return int((time.monotonic() - self.last_input) * 1000)

    def input(self) -> float:
        """Someone typed: returns the moment, on the monotonic clock."""
        with self._lock:
            self.last_input = now = time.monotonic()
            active = [i for i, (_, interval) in self.watches.items() if interval == 0]
            for watch_id in active:
                self._fire(watch_id, self.watches.pop(watch_id)[0])
            for watch_id, (_, interval) in self.watches.items():
                self._due[watch_id] = now + interval / 1000
        return now

    def close(self) -> None:
        self._closing.set()
        self._timer.join(WAIT_S)
        super().close()

    def _answer(self, msg: Message) -> Message:
        self._caller = msg.header.fields[HeaderFields.sender]  # runs on the service thread
        return super()._answer(msg)

    def _add(self, interval_ms: int) -> int:
        with self._lock:
            watch_id = next(self._ids)
            self.watches[watch_id] = (self._caller, interval_ms)
            if interval_ms:
                self._due[watch_id] = self.last_input + interval_ms / 1000
            return watch_id

    def _remove(self, args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        with self._lock:
            self.watches.pop(args[0], None)
            self._due.pop(args[0], None)
        return "", ()

    def _fire_due(self) -> None:
        while not self._closing.wait(0.005):
            with self._lock:
                now = time.monotonic()
                for watch_id, at in list(self._due.items()):
                    if at <= now:
                        del self._due[watch_id]
                        self._fire(watch_id, self.watches[watch_id][0])

    def _fire(self, watch_id: int, owner: str) -> None:
        msg = new_signal(
            DBusAddress(GNOME_IDLE_PATH, interface=GNOME_IDLE), "WatchFired", "u", (watch_id,)
        )
        msg.header.fields[HeaderFields.destination] = owner
        self.send(msg)


class FakeIdleSaver(FakeScreenSavers):
    """A KDE-style org.freedesktop.ScreenSaver with GetSessionIdleTime on both its paths."""

    def __init__(self, address: str, idle_for_s: float = 60.0, stuck_at_zero: bool = False) -> None:
        super().__init__(address)
        self.last_input = time.monotonic() - idle_for_s
        self.stuck_at_zero = stuck_at_zero
        for path in ("/ScreenSaver", "/org/freedesktop/ScreenSaver"):
            self.methods[(path, FD_SAVER, "GetSessionIdleTime")] = self._idle_time

    def input(self) -> None:
        self.last_input = time.monotonic()

    def _idle_time(self, _args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        idle = 0 if self.stuck_at_zero else int((time.monotonic() - self.last_input) * 1000)
        return "u", (idle,)


class FakeIdleLogind(FakeLogind):
    """FakeLogind whose session also has IdleHint and IdleSinceHint (wall-clock µs)."""

    def __init__(self, address: str, idle: bool = False) -> None:
        super().__init__(address)
        self.set_idle(idle)

    def set_idle(self, idle: bool, since: float | None = None) -> None:
        props = self.properties[(OUR_SESSION, SESSION)]
        props["IdleHint"] = ("b", idle)
        props["IdleSinceHint"] = ("t", int((time.time() if since is None else since) * 1e6))


# ------------------------------------------------------------------------ helpers


@pytest.fixture
def buses() -> Iterator[tuple[Bus, Bus]]:
    """(session, system): two private buses."""
    with dbus_bus() as session, dbus_bus() as system:
        yield session, system


@pytest.fixture(autouse=True)
def no_session_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake logind knows sessions by our pid; a real XDG_SESSION_ID would not match.
    monkeypatch.delenv("XDG_SESSION_ID", raising=False)


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@contextlib.contextmanager
def started(source: Any) -> Iterator[Any]:
    source.start()
    try:
        yield source
    finally:
        source.stop()


def poll_until_reported(source: Any, timeout: float = WAIT_S) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reported = source.poll()
        if reported is not None:
            assert isinstance(reported, float)
            return reported
        time.sleep(0.02)
    raise AssertionError(f"{source.name}: no activity reported within {timeout}s")


def wall(clock: SystemClock, monotonic_t: float) -> float:
    """A time.monotonic() moment on the daemon's clock."""
    return clock.now() - (time.monotonic() - monotonic_t)


def threads_named(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


# --------------------------------------------------------------------------- GNOME


def test_gnome_reports_input_while_it_goes_on_and_nothing_after(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    with serving(FakeMutter(session.address)) as mutter:
        with started(GnomeIdleSource(clock, session.address)) as source:
            # Idle for a minute at start: Mutter fires the new idle watch at
            # once, and that minute-old input is not news.
            time.sleep(0.2)
            assert source.poll() is None

            typed = wall(clock, mutter.input())
            first = poll_until_reported(source, timeout=PROMPT_S)  # the user-active watch
            assert typed - SLACK_S <= first <= clock.now()

            # Typing on: every poll reports the present, never going back.
            reports = [first]
            last_typed = typed
            for _ in range(6):
                time.sleep(0.2)
                last_typed = wall(clock, mutter.input())
                reports.append(poll_until_reported(source))
            assert reports == sorted(reports)
            assert reports[-1] >= last_typed - SLACK_S

            # Then nothing: once the idle watch has fired, no poll reports input.
            time.sleep(GnomeIdleSource.IDLE_MS / 1000 + 0.3)
            assert source.poll() is None
            time.sleep(0.5)
            assert source.poll() is None
            # What was reported last is at most the idle watch's delay after the last input.
            assert reports[-1] <= last_typed + GnomeIdleSource.IDLE_MS / 1000 + SLACK_S
        assert not threads_named("sitbreak-gnome-idle")
        assert {member for member, _ in mutter.calls} <= {
            "AddIdleWatch",
            "AddUserActiveWatch",
            "GetIdletime",
        }


def test_gnome_reports_a_short_burst_at_its_exact_time(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    with (
        serving(FakeMutter(session.address)) as mutter,
        started(GnomeIdleSource(clock, session.address)) as source,
    ):
        time.sleep(0.2)
        assert source.poll() is None
        typed = wall(clock, mutter.input())
        # No poll until the idle watch has fired: the idle time then gives
        # the input's own time, not the poll's.
        time.sleep(GnomeIdleSource.IDLE_MS / 1000 + 0.3)
        reported = source.poll()
        assert reported is not None
        assert abs(reported - typed) <= SLACK_S
        assert source.poll() is None
        # The user-active watch was re-armed: the next input is seen at once,
        # not only when the idle watch fires a second later.
        typed = wall(clock, mutter.input())
        assert poll_until_reported(source, timeout=PROMPT_S) >= typed - SLACK_S


def test_gnome_started_while_typing_reports_at_once(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    with serving(FakeMutter(session.address, idle_for_s=0.0)) as mutter:
        mutter.input()
        with started(GnomeIdleSource(clock, session.address)) as source:
            time.sleep(0.05)
            assert source.poll() is not None


def test_gnome_ignores_watch_fired_from_anyone_else(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    with (
        serving(FakeMutter(session.address)) as mutter,
        started(GnomeIdleSource(clock, session.address)) as source,
    ):
        time.sleep(0.2)
        owner, active_id = next((o, i) for i, (o, ms) in mutter.watches.items() if ms == 0)
        impostor = open_dbus_connection(session.address)
        try:
            msg = new_signal(
                DBusAddress(GNOME_IDLE_PATH, interface=GNOME_IDLE), "WatchFired", "u", (active_id,)
            )
            msg.header.fields[HeaderFields.destination] = owner
            impostor.send(msg)
            time.sleep(0.3)
            assert source.poll() is None
        finally:
            impostor.close()
        mutter.input()
        poll_until_reported(source)


def test_gnome_shell_restart_is_source_lost_then_start_reconnects(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    source = GnomeIdleSource(clock, session.address)
    with serving(FakeMutter(session.address)):
        source.start()
        assert source.poll() is None
    try:
        with pytest.raises(SourceLost, match="went away"):
            wait_for(source.poll, WAIT_S, "poll() to raise")
        with pytest.raises(SourceUnavailable, match="not a GNOME session"):
            source.start()
        with serving(FakeMutter(session.address)) as mutter:
            source.start()
            time.sleep(0.2)
            mutter.input()
            poll_until_reported(source)
    finally:
        source.stop()


def test_gnome_without_gnome_is_unavailable(buses: tuple[Bus, Bus], clock: SystemClock) -> None:
    session, _ = buses
    with pytest.raises(SourceUnavailable, match=r"org.gnome.Mutter.IdleMonitor is not on"):
        GnomeIdleSource(clock, session.address).start()
    with pytest.raises(SourceUnavailable, match="DBUS_SESSION_BUS_ADDRESS is not set"):
        GnomeIdleSource(clock, None).start()
    assert not threads_named("sitbreak-gnome-idle")


# --------------------------------------------------------------------- freedesktop


def test_freedesktop_reports_each_input_once_near_its_time(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    with (
        serving(FakeIdleSaver(session.address)) as saver,
        started(FreedesktopIdleSource(clock, session.address)) as source,
    ):
        for pause in (0.0, 0.3, 1.0):
            time.sleep(pause)
            assert source.poll() is None
        before = clock.now()
        saver.input()
        time.sleep(0.3)  # the poll comes later; the time reported is the input's
        reported = source.poll()
        assert reported is not None
        assert before - SLACK_S <= reported <= before + SLACK_S
        assert source.poll() is None
        time.sleep(1.0)
        assert source.poll() is None
        assert {member for member, _ in saver.calls} == {"GetSessionIdleTime"}


def test_freedesktop_refuses_a_counter_stuck_at_zero(
    buses: tuple[Bus, Bus], clock: SystemClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = buses
    with (
        serving(FakeIdleSaver(session.address, stuck_at_zero=True)),
        pytest.raises(SourceUnavailable, match="with 0 every time"),
    ):
        FreedesktopIdleSource(clock, session.address).start()
    # One that breaks later is given up after STUCK_POLLS zeros in a row.
    monkeypatch.setattr(FreedesktopIdleSource, "STUCK_POLLS", 3)
    with (
        serving(FakeIdleSaver(session.address)) as saver,
        started(FreedesktopIdleSource(clock, session.address)) as source,
    ):
        saver.stuck_at_zero = True
        source.poll()
        source.poll()
        with pytest.raises(SourceLost, match="0 3 times in a row"):
            source.poll()


def test_freedesktop_without_idle_time_is_unavailable(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    with pytest.raises(SourceUnavailable, match="not on the session bus"):
        FreedesktopIdleSource(clock, session.address).start()
    # A screen saver that only does GetActive (GNOME's, or an inhibit-only shim).
    with (
        serving(FakeScreenSavers(session.address)),
        pytest.raises(SourceUnavailable, match=r"has no GetSessionIdleTime.*UnknownMethod"),
    ):
        FreedesktopIdleSource(clock, session.address).start()


def test_freedesktop_service_gone_is_source_lost(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, _ = buses
    source = FreedesktopIdleSource(clock, session.address)
    with serving(FakeIdleSaver(session.address)):
        source.start()
        assert source.poll() is None
    with pytest.raises(SourceLost, match="stopped answering"):
        source.poll()
    with pytest.raises(SourceLost, match="not connected"):
        source.poll()


# --------------------------------------------------------------------------- logind


def test_logind_is_coarse_present_until_idle_then_back_at_idle_since(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    _, system = buses
    with (
        serving(FakeIdleLogind(system.address)) as logind,
        started(LogindIdleSource(clock, system.address)) as source,
    ):
        time.sleep(0.05)
        # Not idle: present now, every poll.
        first = source.poll()
        assert first is not None and abs(first - clock.now()) <= SLACK_S
        time.sleep(0.05)
        second = source.poll()
        assert second is not None and second > first
        # The desktop marked the session idle: nothing.
        logind.set_idle(True)
        assert source.poll() is None
        time.sleep(0.6)
        assert source.poll() is None
        # Back: the time logind says it stopped being idle, then the present.
        back = time.time() - 0.3
        logind.set_idle(False, since=back)
        reported = source.poll()
        assert reported is not None
        assert abs(reported - (back - clock.wall_offset())) <= SLACK_S
        time.sleep(0.05)
        later = source.poll()
        assert later is not None and later > reported
        assert {m for m, _ in logind.calls} <= {"GetSessionByPID", "GetSession", "Get"}


def test_logind_unavailable_without_logind_or_a_session(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    _, system = buses
    with pytest.raises(SourceUnavailable, match="not on the system bus"):
        LogindIdleSource(clock, system.address).start()
    with (
        serving(FakeLogind(system.address, by_pid=False, known_ids=())),
        pytest.raises(SourceUnavailable, match="knows no session"),
    ):
        LogindIdleSource(clock, system.address).start()
    with pytest.raises(SourceUnavailable, match="cannot reach the system bus"):
        LogindIdleSource(clock, "unix:path=/nonexistent/bus").start()


# ------------------------------------------------------ everything reaches the engine


class Desk:
    """An engine fed the way the daemon feeds it: polls, queued context events, ticks."""

    def __init__(self, source: Any, clock: SystemClock) -> None:
        self.source = source
        self.clock = clock
        self.events: queue.Queue[Event] = queue.Queue()
        self.engine = Engine(EngineSettings(hold_after_idle=0.5), dt.timezone.utc)
        self.seen: list[type] = []

    def step(self) -> State:
        t = self.source.poll()
        if t is not None:
            self._handle(Activity(t))
        while not self.events.empty():
            self._handle(self.events.get_nowait())
        self._handle(Tick(self.clock.now()))
        return self.engine.state

    def until(self, state: State, what: str) -> None:
        wait_for(lambda: self.step() is state, WAIT_S, what)

    def _handle(self, event: Event) -> None:
        self.seen.append(type(event))
        self.engine.handle(event)


@contextlib.contextmanager
def context_monitor(desk: Desk, session: str, system: str) -> Iterator[DBusContextMonitor]:
    monitor = DBusContextMonitor(desk.events.put, desk.clock, session, system)
    monitor.start()
    try:
        assert monitor.wait_ready(WAIT_S)
        yield monitor
    finally:
        monitor.stop()


def test_gnome_activity_idle_lock_and_sleep_reach_the_engine(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, system = buses
    with (
        serving(FakeMutter(session.address)) as mutter,
        serving(FakeScreenSavers(session.address)) as savers,  # GNOME's org.gnome.ScreenSaver
        serving(FakeIdleLogind(system.address)) as logind,
        started(GnomeIdleSource(clock, session.address)) as source,
    ):
        desk = Desk(source, clock)
        with context_monitor(desk, session.address, system.address):
            assert desk.step() is State.AWAY
            mutter.input()
            desk.until(State.SITTING, "activity to start a session")
            assert desk.engine.session_start is not None
            desk.until(State.IDLE, "the pause to show as idle")  # no input since
            savers.active_changed(True, "/org/gnome/ScreenSaver")
            desk.until(State.LOCKED, "the lock")
            savers.active_changed(False, "/org/gnome/ScreenSaver")
            mutter.input()
            desk.until(State.SITTING, "input after the unlock")
            logind.prepare_for_sleep(True)
            desk.until(State.SUSPENDED, "the suspend")
            logind.prepare_for_sleep(False)
            mutter.input()
            desk.until(State.SITTING, "input after the resume")
    names = {kind.__name__ for kind in desk.seen}
    assert {"Activity", "Lock", "Unlock", "Suspend", "Resume", "Tick"} <= names


def test_freedesktop_activity_idle_and_lock_reach_the_engine(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, system = buses
    with (
        serving(FakeIdleSaver(session.address)) as saver,  # KDE: idle time and ActiveChanged
        started(FreedesktopIdleSource(clock, session.address)) as source,
    ):
        desk = Desk(source, clock)
        with context_monitor(desk, session.address, system.address):
            saver.input()
            desk.until(State.SITTING, "activity to start a session")
            desk.until(State.IDLE, "the pause to show as idle")
            saver.active_changed(True, "/ScreenSaver")
            desk.until(State.LOCKED, "the lock")
            saver.active_changed(False, "/ScreenSaver")
            saver.input()
            desk.until(State.SITTING, "input after the unlock")


def test_logind_idle_lock_and_sleep_reach_the_engine(
    buses: tuple[Bus, Bus], clock: SystemClock
) -> None:
    session, system = buses
    with (
        serving(FakeIdleLogind(system.address)) as logind,
        started(LogindIdleSource(clock, system.address)) as source,
    ):
        desk = Desk(source, clock)
        with context_monitor(desk, session.address, system.address):
            desk.until(State.SITTING, "a session while logind says not idle")
            logind.set_idle(True)
            desk.until(State.IDLE, "IdleHint to show as idle")
            logind.set_locked(True)
            desk.until(State.LOCKED, "LockedHint")
            logind.set_locked(False)
            logind.set_idle(False)
            desk.until(State.SITTING, "back from idle")
            logind.prepare_for_sleep(True)
            desk.until(State.SUSPENDED, "PrepareForSleep")


def test_auto_picks_gnome_on_wayland(buses: tuple[Bus, Bus], clock: SystemClock) -> None:
    from sitbreak.desktop.activity import select_source

    session, _ = buses
    env = {
        "WAYLAND_DISPLAY": "wayland-test",
        "DBUS_SESSION_BUS_ADDRESS": session.address,
        "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus",
    }
    with serving(FakeMutter(session.address)), serving(FakeIdleSaver(session.address)):
        source = select_source("auto", clock, env)
        try:
            assert isinstance(source, GnomeIdleSource)
        finally:
            source.stop()
    # Without GNOME, the freedesktop screen saver is next.
    with serving(FakeIdleSaver(session.address)):
        source = select_source("auto", clock, env)
        try:
            assert isinstance(source, FreedesktopIdleSource)
        finally:
            source.stop()


# ------------------------------------------------------------------------- swayidle

STAND_IN = """\
#!{python}
# A stand-in for swayidle: runs its timeout command on SIGUSR1 (as swayidle
# does) and its resume command on SIGUSR2, with `sh -c`, as its direct child.
import os, signal, subprocess, sys

args = sys.argv[1:]
if os.environ.get("FAKE_SWAYIDLE_FAIL"):
    print("Display doesn't support idle protocol", file=sys.stderr)
    sys.exit(1)
idle_cmd = args[args.index("timeout") + 2]
resume_cmd = args[args.index("resume") + 1]

def run(cmd):
    child = subprocess.Popen(["sh", "-c", cmd])
    if "-w" in args:
        child.wait()

signal.signal(signal.SIGUSR1, lambda *_: run(idle_cmd))
signal.signal(signal.SIGUSR2, lambda *_: run(resume_cmd))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(os.environ["FAKE_SWAYIDLE_LOG"], "a") as log:  # after the handlers: ready
    log.write(str(os.getpid()) + " " + " ".join(args) + "\\n")
while True:
    signal.pause()
"""


@pytest.fixture
def swayidle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in, first on PATH; returns its log (one line per start: pid and argv)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "swayidle"
    script.write_text(STAND_IN.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "swayidle.log"
    log.touch()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SWAYIDLE_LOG", str(log))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    return log


def started_pids(log: Path) -> list[int]:
    return [int(line.split()[0]) for line in log.read_text().splitlines()]


def wait_for_start(log: Path, count: int) -> int:
    wait_for(lambda: len(started_pids(log)) >= count, WAIT_S, f"swayidle start number {count}")
    return started_pids(log)[count - 1]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_swayidle_is_run_supervised_and_restarted_when_it_dies(
    swayidle: Path, clock: SystemClock
) -> None:
    source = SwayidleSource(clock)
    source.start()
    try:
        first = wait_for_start(swayidle, 1)
        argv = swayidle.read_text().split(maxsplit=1)[1]
        assert argv.startswith("-w timeout 1 ")
        assert "echo sitbreak-idle" in argv and "resume" in argv
        assert source.poll() is None  # nothing known until the first "active"

        before = clock.now()
        os.kill(first, signal.SIGUSR2)  # resume: input now
        reported = poll_until_reported(source)
        assert before - SLACK_S <= reported <= clock.now()
        os.kill(first, signal.SIGUSR1)  # idle: input stopped a second ago
        time.sleep(0.3)
        assert source.poll() is None

        pids = [first]
        for restart in (1, 2):
            os.kill(pids[-1], signal.SIGKILL)
            pids.append(wait_for_start(swayidle, restart + 1))
            wait_for(lambda: gone(pids[-2]), WAIT_S, "the dead swayidle to be reaped")
            assert source.restarts == restart
            # True whichever idle protocol the compositor offers (sway 1.7 has only KDE's).
            assert source.describe().endswith(
                f"runs (the compositor's idle protocol); restarted {restart} "
                f"{'time' if restart == 1 else 'times'} so far"
            )
            # Events keep coming from the new one.
            before = clock.now()
            os.kill(pids[-1], signal.SIGUSR2)
            assert poll_until_reported(source) >= before - SLACK_S
    finally:
        source.stop()
    wait_for(lambda: all(gone(pid) for pid in pids), WAIT_S, "stop() to end swayidle")
    assert not threads_named("sitbreak-swayidle")
    with pytest.raises(SourceLost, match="not running"):
        source.poll()


def test_swayidle_that_cannot_work_is_unavailable(
    swayidle: Path, clock: SystemClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_SWAYIDLE_FAIL", "1")
    with pytest.raises(SourceUnavailable, match=r"exited at once .*doesn't support idle protocol"):
        SwayidleSource(clock).start()
    monkeypatch.delenv("FAKE_SWAYIDLE_FAIL")
    with pytest.raises(SourceUnavailable, match="WAYLAND_DISPLAY is not set"):
        SwayidleSource(clock, {"PATH": os.environ["PATH"]}).start()
    with pytest.raises(SourceUnavailable, match="swayidle is not installed"):
        SwayidleSource(clock, {"WAYLAND_DISPLAY": "wayland-0", "PATH": str(tmp_path)}).start()


def test_swayidle_ends_itself_when_sitbreak_is_killed(swayidle: Path) -> None:
    code = textwrap.dedent(
        """
        import time
        from sitbreak.desktop.swayidle import SwayidleSource
        from sitbreak.clock import SystemClock
        SwayidleSource(SystemClock()).start()
        print("started", flush=True)
        time.sleep(60)
        """
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    )
    daemon = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)
    try:
        assert daemon.stdout is not None
        assert daemon.stdout.readline() == b"started\n"
        pid = wait_for_start(swayidle, 1)
        daemon.kill()
        daemon.wait(WAIT_S)
        assert not gone(pid)  # orphaned, still there...
        os.kill(pid, signal.SIGUSR1)  # ...until its next command finds nobody listening
        wait_for(lambda: gone(pid), WAIT_S, "the orphaned swayidle to end itself")
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        for pid in started_pids(swayidle):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_swayidle_back_off_doubles_up_to_a_limit() -> None:
    assert [backoff_s(n, 0.5, 30.0) for n in range(1, 10)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
        30.0,
    ]


@contextlib.contextmanager
def headless_sway(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real wlroots compositor with no screen and no input devices; yields its environment.

    sway refuses to run as root, so as root it runs as nobody in a runtime
    directory of its own; root's clients (swayidle, wtype) can still connect.
    Input comes from wtype, through the virtual-keyboard protocol, which
    counts as activity for ext-idle-notify like a real keyboard.
    """
    require_tool("sway", "swayidle", "wtype")
    # pytest's tmp_path is private to root, so sway gets a directory of its own.
    home = Path(tempfile.mkdtemp(prefix="sitbreak-sway-"))
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    config = home / "sway.conf"
    config.write_text("")
    log = tmp_path / "sway.log"
    prefix: list[str] = []
    if os.geteuid() == 0:
        for path in (home, runtime, config):
            os.chown(path, 65534, 65534)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")},
        "XDG_RUNTIME_DIR": str(runtime),
        "HOME": str(home),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    with log.open("wb") as said:
        sway = subprocess.Popen(
            [*prefix, "sway", "-c", str(config)], env=env, stdout=said, stderr=said
        )
    try:

        def socket_name() -> str | None:
            names = [p.name for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")]
            return names[0] if names else None

        wait_for(lambda: socket_name() or sway.poll() is not None, 10, "sway's Wayland socket")
        assert sway.poll() is None, f"sway exited ({sway.returncode}): {log.read_text()[-2000:]}"
        yield {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": str(socket_name())}
    finally:
        sway.terminate()
        try:
            sway.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            sway.kill()
            sway.wait()
        shutil.rmtree(home, ignore_errors=True)


def wtype(env: dict[str, str], text: str) -> None:
    subprocess.run(["wtype", text], env={**os.environ, **env}, check=True, timeout=WAIT_S)


@pytest.mark.desktop
def test_real_swayidle_on_headless_sway_reports_input_and_idle(
    tmp_path: Path, clock: SystemClock
) -> None:
    with headless_sway(tmp_path) as wayland:
        source = SwayidleSource(clock, {**os.environ, **wayland})
        source.start()
        try:
            pid = source.pid
            time.sleep(SwayidleSource.TIMEOUT_S + 0.5)  # idle since the start: nothing known
            assert source.poll() is None
            before = clock.now()
            wtype(wayland, "a")
            reported = poll_until_reported(source)
            assert before - SLACK_S <= reported <= clock.now()
            # Then the compositor's idle notification: no input since, nothing reported.
            time.sleep(SwayidleSource.TIMEOUT_S + 0.5)
            assert source.poll() is None
            # A burst between two polls is still reported once, near its time.
            before = clock.now()
            wtype(wayland, "b")
            time.sleep(SwayidleSource.TIMEOUT_S + 0.5)
            reported = source.poll()
            assert reported is not None
            assert before - SLACK_S <= reported <= before + SwayidleSource.TIMEOUT_S + SLACK_S
            assert source.poll() is None
            assert source.restarts == 0
        finally:
            source.stop()
        assert pid is not None
        wait_for(lambda: gone(pid), WAIT_S, "stop() to end swayidle")


def test_make_source_builds_each_wayland_source(clock: SystemClock) -> None:
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x", "WAYLAND_DISPLAY": "w"}
    kinds = {
        "gnome": GnomeIdleSource,
        "freedesktop": FreedesktopIdleSource,
        "logind": LogindIdleSource,
        "swayidle": SwayidleSource,
    }
    for name, kind in kinds.items():
        source = make_source(name, clock, env)
        assert isinstance(source, kind)
        assert source.name == name
