"""Context detectors: lock/suspend over real D-Bus, calls, idle inhibitors.

The D-Bus tests run private dbus-daemons (tests/desktop.py): one plays the
session bus, one the system bus, and small jeepney services on them play the
screen savers, logind and GNOME's session manager. Ordering assertions lean
on D-Bus's one guarantee: messages from one connection reach another in the
order they were sent, and the monitor handles each bus's signals in order.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil
import pytest
from jeepney import (
    DBusAddress,
    DBusNameFlags,
    HeaderFields,
    Message,
    MessageType,
    message_bus,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from desktop import Bus, dbus_bus, wait_for
from sitbreak.clock import ManualClock, SystemClock
from sitbreak.core.model import (
    CallEnd,
    CallStart,
    Event,
    Lock,
    Resume,
    Suspend,
    Unlock,
    WatchEnd,
    WatchStart,
)
from sitbreak.desktop.calls import CallDetector
from sitbreak.desktop.edges import CallWatcher, EdgeWatcher, WatchWatcher
from sitbreak.desktop.lock_sleep import DBusContextMonitor
from sitbreak.desktop.video import IdleInhibitDetector

LOGGER = "sitbreak.desktop"
PROPERTIES = "org.freedesktop.DBus.Properties"
LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
OUR_SESSION = "/org/freedesktop/login1/session/_32"
OTHER_SESSION = "/org/freedesktop/login1/session/_37"
OUR_SESSION_ID = "2"
FD_SAVER = "org.freedesktop.ScreenSaver"
GNOME_SAVER = "org.gnome.ScreenSaver"
GNOME_SM = "org.gnome.SessionManager"
WAIT_S = 5.0

# ------------------------------------------------------------ fake services

Handler = Callable[[tuple[Any, ...]], tuple[str, tuple[Any, ...]]]


class DBusFailure(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name
        self.text = text


class FakeService:
    """A service on a private bus: owns names, answers methods from a thread, emits signals."""

    def __init__(self, address: str, names: Sequence[str]) -> None:
        self.conn: DBusConnection = open_dbus_connection(address)
        self.methods: dict[tuple[str, str, str], Handler] = {}
        self.properties: dict[tuple[str, str], dict[str, tuple[str, Any]]] = {}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.callers: set[str] = set()  # unique names of whoever called us
        self._send_lock = threading.Lock()
        for name in names:
            reply = self.conn.send_and_get_reply(
                message_bus.RequestName(name, DBusNameFlags.do_not_queue), timeout=WAIT_S
            )
            assert reply.body == (1,), f"could not own {name}: {reply.body}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def signal(
        self, path: str, interface: str, member: str, signature: str | None, body: tuple[Any, ...]
    ) -> None:
        self.send(new_signal(DBusAddress(path, interface=interface), member, signature, body))

    def send(self, msg: Message) -> None:
        with self._send_lock:
            self.conn.send(msg)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.sock.shutdown(2)
        self._thread.join(WAIT_S)
        self.conn.close()

    def _serve(self) -> None:
        while True:
            try:
                msg = self.conn.receive()
            except (OSError, ValueError):  # closed by close()
                return
            if msg.header.message_type is MessageType.method_call:
                self.send(self._answer(msg))

    def _answer(self, msg: Message) -> Message:
        fields = msg.header.fields
        path = fields.get(HeaderFields.path)
        interface = fields.get(HeaderFields.interface)
        member = fields[HeaderFields.member]
        self.calls.append((member, msg.body))
        self.callers.add(fields[HeaderFields.sender])
        try:
            if interface == PROPERTIES and member == "Get":
                owner, name = msg.body
                props = self.properties.get((path, owner), {})
                if name not in props:
                    raise DBusFailure("org.freedesktop.DBus.Error.UnknownProperty", name)
                return new_method_return(msg, "v", (props[name],))
            handler = self.methods.get((path, interface, member))
            if handler is None:
                raise DBusFailure(
                    "org.freedesktop.DBus.Error.UnknownMethod", f"{interface}.{member} at {path}"
                )
            signature, body = handler(msg.body)
            return new_method_return(msg, signature, body)
        except DBusFailure as exc:
            return new_error(msg, exc.name, "s", (exc.text,))


class FakeScreenSavers(FakeService):
    """KDE's org.freedesktop.ScreenSaver (two paths) and GNOME's org.gnome.ScreenSaver."""

    def __init__(
        self, address: str, active: bool = False, gnome_active: bool | None = None
    ) -> None:
        super().__init__(address, [FD_SAVER, GNOME_SAVER])
        self.active = {
            FD_SAVER: active,
            GNOME_SAVER: active if gnome_active is None else gnome_active,
        }
        for path, name in [
            ("/ScreenSaver", FD_SAVER),
            ("/org/freedesktop/ScreenSaver", FD_SAVER),
            ("/org/gnome/ScreenSaver", GNOME_SAVER),
        ]:
            self.methods[(path, name, "GetActive")] = self._get_active(name)

    def _get_active(self, name: str) -> Handler:
        return lambda _args: ("b", (self.active[name],))

    def active_changed(self, active: bool, path: str = "/ScreenSaver") -> None:
        name = GNOME_SAVER if path.startswith("/org/gnome") else FD_SAVER
        self.signal(path, name, "ActiveChanged", "b", (active,))


class FakeLogind(FakeService):
    """logind's manager and one session object, OUR_SESSION."""

    def __init__(
        self,
        address: str,
        locked: bool = False,
        by_pid: bool = True,
        known_ids: Sequence[str] = (OUR_SESSION_ID, "auto"),
    ) -> None:
        super().__init__(address, [LOGIND])
        self.inhibitors: list[tuple[str, str, str, str, int, int]] = []
        self.properties[(OUR_SESSION, SESSION)] = {"LockedHint": ("b", locked)}

        def get_session(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
            if args[0] not in known_ids:
                raise DBusFailure("org.freedesktop.login1.NoSuchSession", str(args[0]))
            return "o", (OUR_SESSION,)

        def get_session_by_pid(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
            if not by_pid or args[0] != os.getpid():
                raise DBusFailure("org.freedesktop.login1.NoSessionForPID", str(args[0]))
            return "o", (OUR_SESSION,)

        self.methods[(LOGIND_PATH, MANAGER, "GetSession")] = get_session
        self.methods[(LOGIND_PATH, MANAGER, "GetSessionByPID")] = get_session_by_pid
        self.methods[(LOGIND_PATH, MANAGER, "ListInhibitors")] = lambda _args: (
            "a(ssssuu)",
            (list(self.inhibitors),),
        )

    def prepare_for_sleep(self, asleep: bool) -> None:
        self.signal(LOGIND_PATH, MANAGER, "PrepareForSleep", "b", (asleep,))

    def set_locked(self, locked: bool, path: str = OUR_SESSION, with_value: bool = True) -> None:
        """Change LockedHint and signal it (with the value, or as only invalidated)."""
        if path == OUR_SESSION:
            self.properties[(OUR_SESSION, SESSION)]["LockedHint"] = ("b", locked)
        changed = {"LockedHint": ("b", locked)} if with_value else {}
        invalidated = [] if with_value else ["LockedHint"]
        self.signal(
            path, PROPERTIES, "PropertiesChanged", "sa{sv}as", (SESSION, changed, invalidated)
        )


class FakeGnomeSession(FakeService):
    def __init__(self, address: str) -> None:
        super().__init__(address, [GNOME_SM])
        self.inhibited_flags = 0
        self.methods[("/org/gnome/SessionManager", GNOME_SM, "IsInhibited")] = lambda args: (
            "b",
            (bool(self.inhibited_flags & args[0]),),
        )


@contextlib.contextmanager
def serving(service: FakeService) -> Iterator[Any]:
    try:
        yield service
    finally:
        service.close()


# ------------------------------------------------------------------ helpers


@pytest.fixture
def buses() -> Iterator[tuple[Bus, Bus]]:
    """(session, system): two private buses."""
    with dbus_bus() as session, dbus_bus() as system:
        yield session, system


@contextlib.contextmanager
def monitoring(
    emit: Callable[[Event], None], clock: Any, session: str | None, system: str | None
) -> Iterator[DBusContextMonitor]:
    monitor = DBusContextMonitor(emit, clock, session_address=session, system_address=system)
    monitor.start()
    try:
        assert monitor.wait_ready(WAIT_S), "monitor did not finish subscribing"
        yield monitor
    finally:
        monitor.stop()


def next_event(events: queue.Queue[Event]) -> Event:
    try:
        return events.get(timeout=WAIT_S)
    except queue.Empty:
        raise AssertionError("no event arrived") from None


def drain(events: queue.Queue[Event]) -> list[Event]:
    out = []
    while not events.empty():
        out.append(events.get_nowait())
    return out


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sitbreak-dbus-")]


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage())


# -------------------------------------------------------- lock and suspend


def test_lock_and_sleep_events_are_emitted_once_per_change(
    buses: tuple[Bus, Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, system = buses
    monkeypatch.delenv("XDG_SESSION_ID", raising=False)
    clock = ManualClock(1000.0)
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeScreenSavers(session.address)) as savers,
        serving(FakeLogind(system.address)) as logind,
        monitoring(events.put, clock, session.address, system.address),
    ):
        assert events.empty(), "an unlocked start emits nothing"

        clock.t = 1010.0
        savers.active_changed(True, "/ScreenSaver")
        assert next_event(events) == Lock(1010.0)

        # KDE signals on its second path and GNOME's service agrees: no new Lock
        # may come before the Unlock (same sender, so same order).
        clock.t = 1020.0
        savers.active_changed(True, "/org/freedesktop/ScreenSaver")
        savers.active_changed(True, "/org/gnome/ScreenSaver")
        savers.active_changed(False, "/ScreenSaver")
        assert next_event(events) == Unlock(1020.0)

        # logind reports first this time; the screen saver's echo is dropped.
        clock.t = 1030.0
        logind.set_locked(True)
        assert next_event(events) == Lock(1030.0)
        clock.t = 1040.0
        savers.active_changed(True, "/ScreenSaver")
        savers.active_changed(False, "/org/gnome/ScreenSaver")
        assert next_event(events) == Unlock(1040.0)
        clock.t = 1050.0
        logind.set_locked(False)
        logind.prepare_for_sleep(True)
        assert next_event(events) == Suspend(1050.0)

        clock.t = 4650.0
        logind.prepare_for_sleep(True)
        logind.prepare_for_sleep(False)
        assert next_event(events) == Resume(4650.0)
        assert len(monitor_threads()) == 2


def test_locked_at_start_is_one_lock_stamped_now(
    buses: tuple[Bus, Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, system = buses
    monkeypatch.setenv("XDG_SESSION_ID", OUR_SESSION_ID)
    clock = SystemClock()
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeScreenSavers(session.address, active=True)) as savers,
        serving(FakeLogind(system.address, locked=True)),
    ):
        before = clock.now()
        with monitoring(events.put, clock, session.address, system.address) as monitor:
            after = clock.now()
            initial = drain(events)
            assert len(initial) == 1
            assert isinstance(initial[0], Lock)
            assert before <= initial[0].t <= after
            text = "\n".join(monitor.describe())
            assert (
                "org.freedesktop.ScreenSaver: watching ActiveChanged (active at start: yes)" in text
            )
            assert f"session {OUR_SESSION} (XDG_SESSION_ID={OUR_SESSION_ID})" in text

            savers.active_changed(False)
            unlock = next_event(events)
            assert isinstance(unlock, Unlock)
            assert after <= unlock.t <= clock.now()


def test_where_the_lockers_process_tells_of_the_lock_logind_tells_only_of_sleep(
    buses: tuple[Bus, Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On sway the locker's process is the lock's one source of truth (desktop/lockers.py):
    LockedHint, locked at start or set later, is no Lock; PrepareForSleep still counts."""
    session, system = buses
    monkeypatch.setenv("XDG_SESSION_ID", OUR_SESSION_ID)
    clock = ManualClock(1000.0)
    events: queue.Queue[Event] = queue.Queue()
    monitor = DBusContextMonitor(
        events.put, clock, session.address, system.address, locked_hint=False
    )
    with serving(FakeLogind(system.address, locked=True)) as logind:
        monitor.start()
        try:
            assert monitor.wait_ready(WAIT_S), "monitor did not finish subscribing"
            logind.set_locked(False)
            logind.set_locked(True)
            clock.t = 1010.0
            logind.prepare_for_sleep(True)
            assert next_event(events) == Suspend(1010.0)
            assert drain(events) == []
            assert (
                "logind: LockedHint not used for the screen lock here (the locker's process is)"
                in monitor.describe()
            )
        finally:
            monitor.stop()


def test_a_service_unlocked_at_start_does_not_undo_another_ones_lock(
    buses: tuple[Bus, Bus],
) -> None:
    session, _system = buses
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeScreenSavers(session.address, active=True, gnome_active=False)),
        monitoring(events.put, ManualClock(1000.0), session.address, "unix:path=/nonexistent/bus"),
    ):
        assert drain(events) == [Lock(1000.0)]


@pytest.mark.parametrize(
    ("xdg_session_id", "by_pid", "expected_calls"),
    [
        (OUR_SESSION_ID, True, [("GetSession", (OUR_SESSION_ID,))]),
        (None, True, [("GetSessionByPID", (os.getpid(),))]),
        # A systemd user service is in no session: logind's "auto" finds it.
        (None, False, [("GetSessionByPID", (os.getpid(),)), ("GetSession", ("auto",))]),
    ],
)
def test_own_logind_session_is_found_and_followed(
    buses: tuple[Bus, Bus],
    monkeypatch: pytest.MonkeyPatch,
    xdg_session_id: str | None,
    by_pid: bool,
    expected_calls: list[tuple[str, tuple[Any, ...]]],
) -> None:
    _session, system = buses
    if xdg_session_id is None:
        monkeypatch.delenv("XDG_SESSION_ID", raising=False)
    else:
        monkeypatch.setenv("XDG_SESSION_ID", xdg_session_id)
    clock = ManualClock(1000.0)
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeLogind(system.address, by_pid=by_pid)) as logind,
        monitoring(events.put, clock, None, system.address),
    ):
        lookups = [c for c in logind.calls if c[0] in ("GetSession", "GetSessionByPID")]
        assert lookups == expected_calls

        # Another session locking is not us; the sleep signal after it is the barrier.
        logind.set_locked(True, path=OTHER_SESSION)
        logind.prepare_for_sleep(True)
        assert next_event(events) == Suspend(1000.0)

        clock.t = 1100.0
        logind.set_locked(True)
        assert next_event(events) == Lock(1100.0)
        # Only invalidated: the monitor has to ask for the value.
        clock.t = 1200.0
        logind.set_locked(False, with_value=False)
        assert next_event(events) == Unlock(1200.0)


def test_no_session_found_falls_back_to_auto_path(
    buses: tuple[Bus, Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    _session, system = buses
    monkeypatch.delenv("XDG_SESSION_ID", raising=False)
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeLogind(system.address, by_pid=False, known_ids=())),
        monitoring(events.put, ManualClock(), None, system.address) as monitor,
    ):
        text = "\n".join(monitor.describe())
        assert "/org/freedesktop/login1/session/auto (no session found" in text
        assert "locked at start: unknown" in text
        assert "logind: watching PrepareForSleep" in text
        assert events.empty()


def test_malformed_signals_are_logged_and_ignored(
    buses: tuple[Bus, Bus], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    session, system = buses
    monkeypatch.delenv("XDG_SESSION_ID", raising=False)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    clock = ManualClock(1000.0)
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeScreenSavers(session.address)) as savers,
        serving(FakeLogind(system.address)) as logind,
        monitoring(events.put, clock, session.address, system.address),
    ):
        savers.signal("/ScreenSaver", FD_SAVER, "ActiveChanged", "s", ("yes",))
        savers.signal("/ScreenSaver", FD_SAVER, "ActiveChanged", None, ())
        savers.active_changed(True)
        assert next_event(events) == Lock(1000.0)

        logind.signal(LOGIND_PATH, MANAGER, "PrepareForSleep", "s", ("soon",))
        logind.signal(OUR_SESSION, PROPERTIES, "PropertiesChanged", "s", (SESSION,))
        logind.signal(
            OUR_SESSION,
            PROPERTIES,
            "PropertiesChanged",
            "sa{sv}as",
            (SESSION, {"LockedHint": ("s", "no")}, []),
        )
        logind.prepare_for_sleep(True)
        assert next_event(events) == Suspend(1000.0)

        assert warnings_about(caplog, "ActiveChanged") == 2
        assert warnings_about(caplog, "PrepareForSleep") == 1
        assert warnings_about(caplog, "PropertiesChanged") == 1
        assert warnings_about(caplog, "LockedHint") == 1
        assert len(monitor_threads()) == 2


def test_a_failing_emit_does_not_end_the_watch(
    buses: tuple[Bus, Bus], caplog: pytest.LogCaptureFixture
) -> None:
    session, _system = buses
    caplog.set_level(logging.ERROR, logger=LOGGER)
    events: queue.Queue[Event] = queue.Queue()
    failures = [RuntimeError("queue full")]

    def emit(event: Event) -> None:
        if failures:
            raise failures.pop()
        events.put(event)

    with (
        serving(FakeScreenSavers(session.address)) as savers,
        monitoring(emit, ManualClock(1000.0), session.address, "unix:path=/nonexistent/bus"),
    ):
        savers.active_changed(True)
        savers.active_changed(False)
        assert next_event(events) == Unlock(1000.0)
        assert any("could not handle D-Bus signal" in r.getMessage() for r in caplog.records)


def test_lookalike_signals_from_other_senders_are_not_delivered(
    buses: tuple[Bus, Bus], caplog: pytest.LogCaptureFixture
) -> None:
    session, _system = buses
    caplog.set_level(logging.WARNING, logger=LOGGER)
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeScreenSavers(session.address)) as savers,
        monitoring(events.put, ManualClock(), session.address, "unix:path=/nonexistent/bus"),
        open_dbus_connection(session.address) as impostor,
    ):
        impostor.send(
            new_signal(
                DBusAddress("/ScreenSaver", interface=FD_SAVER), "ActiveChanged", "b", (True,)
            )
        )
        # The same, addressed to the monitor itself (which bypasses match rules).
        (monitor_name,) = savers.callers
        unicast = new_signal(
            DBusAddress("/ScreenSaver", interface=FD_SAVER), "ActiveChanged", "b", (True,)
        )
        unicast.header.fields[HeaderFields.destination] = monitor_name
        impostor.send(unicast)
        # A reply from the bus means it has routed the impostor's signals already.
        impostor.send_and_get_reply(message_bus.GetId(), timeout=WAIT_S)
        # The real service's malformed signal is logged: once it is, everything
        # routed before it has been handled.
        savers.signal("/ScreenSaver", FD_SAVER, "ActiveChanged", "s", ("barrier",))
        wait_for(lambda: warnings_about(caplog, "barrier"), WAIT_S, "the barrier signal")
        assert events.empty()


def test_services_missing_at_start_are_reported_and_a_late_screensaver_counts(
    buses: tuple[Bus, Bus], caplog: pytest.LogCaptureFixture
) -> None:
    session, system = buses
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = ManualClock(1000.0)
    events: queue.Queue[Event] = queue.Queue()
    with monitoring(events.put, clock, session.address, system.address) as monitor:
        text = "\n".join(monitor.describe())
        assert f"{FD_SAVER}: not running" in text
        assert f"{GNOME_SAVER}: not running" in text
        assert "logind (org.freedesktop.login1): not on the system bus" in text
        assert any("not on the system bus" in r.getMessage() for r in caplog.records)
        # Nothing to watch on the system bus: that thread is gone.
        wait_for(lambda: len(monitor_threads()) == 1, WAIT_S, "the system bus thread to end")

        with serving(FakeScreenSavers(session.address)) as savers:
            clock.t = 1234.0
            savers.active_changed(True, "/org/gnome/ScreenSaver")
            assert next_event(events) == Lock(1234.0)


def test_without_any_bus_start_returns_and_describe_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DBUS_SYSTEM_BUS_ADDRESS", raising=False)
    events: queue.Queue[Event] = queue.Queue()
    system = f"unix:path={tmp_path}/no-system-bus"
    monitor = DBusContextMonitor(events.put, ManualClock(), system_address=system)
    started = time.monotonic()
    monitor.start()
    try:
        assert monitor.wait_ready(WAIT_S)
        assert time.monotonic() - started < 2.0
        text = "\n".join(monitor.describe())
        assert "session bus: unavailable (DBUS_SESSION_BUS_ADDRESS is not set)" in text
        # In words, as doctor and the journal show it: not "FileNotFoundError: [Errno 2] ...".
        assert f"system bus: unavailable at {system} (No such file or directory)" in text
        assert "Errno" not in text
        assert events.empty()
    finally:
        monitor.stop()
    assert monitor_threads() == []


def test_a_bus_going_away_is_reported() -> None:
    events: queue.Queue[Event] = queue.Queue()
    monitor: DBusContextMonitor | None = None
    try:
        with dbus_bus() as session:
            monitor = DBusContextMonitor(
                events.put, ManualClock(), session.address, "unix:path=/nonexistent/bus"
            )
            monitor.start()
            assert monitor.wait_ready(WAIT_S)
            assert len(monitor_threads()) == 1
        # The bus has been stopped under the monitor.
        watched = monitor
        wait_for(
            lambda: any("session bus: connection lost" in line for line in watched.describe()),
            WAIT_S,
            "the monitor to notice the bus is gone",
        )
        wait_for(lambda: monitor_threads() == [], WAIT_S, "the session thread to end")
    finally:
        if monitor is not None:
            monitor.stop()


def test_stop_returns_promptly_and_ends_the_threads(
    buses: tuple[Bus, Bus], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, system = buses
    monkeypatch.delenv("XDG_SESSION_ID", raising=False)
    events: queue.Queue[Event] = queue.Queue()
    with (
        serving(FakeScreenSavers(session.address)) as savers,
        serving(FakeLogind(system.address)),
    ):
        monitor = DBusContextMonitor(events.put, ManualClock(), session.address, system.address)
        monitor.start()
        assert monitor.wait_ready(WAIT_S)
        assert len(monitor_threads()) == 2
        started = time.monotonic()
        monitor.stop()
        assert time.monotonic() - started < 1.0
        assert monitor_threads() == []
        savers.active_changed(True)
        monitor.stop()  # twice is harmless
        assert events.empty()


def test_without_jeepney_dbus_is_reported_missing_and_calls_still_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # jeepney is a Linux-only dependency: the module must load without it.
    for name in ("jeepney", "jeepney.io", "jeepney.io.blocking", "jeepney.wrappers"):
        monkeypatch.setitem(sys.modules, name, None)
    # Load the desktop modules afresh, as on a machine without jeepney; the
    # originals come back when the test ends.
    for name in [m for m in sys.modules if m.startswith("sitbreak.desktop.")]:
        monkeypatch.delitem(sys.modules, name)
    dbus = importlib.import_module("sitbreak.desktop.dbus")
    assert dbus.HAVE_JEEPNEY is False
    module = types.SimpleNamespace(
        DBusContextMonitor=importlib.import_module(
            "sitbreak.desktop.lock_sleep"
        ).DBusContextMonitor,
        IdleInhibitDetector=importlib.import_module("sitbreak.desktop.video").IdleInhibitDetector,
        CallDetector=importlib.import_module("sitbreak.desktop.calls").CallDetector,
    )

    events: queue.Queue[Event] = queue.Queue()
    monitor = module.DBusContextMonitor(events.put, ManualClock())
    monitor.start()
    assert monitor.wait_ready(WAIT_S)
    assert "jeepney is not installed" in "\n".join(monitor.describe())
    monitor.stop()

    inhibit = module.IdleInhibitDetector()
    assert inhibit.poll() is False
    assert all("jeepney is not installed" in line for line in inhibit.describe())

    root = tmp_path / "asound"
    write_substream(root, 0, "0c", 0, running=True)
    assert module.CallDetector(apps=(), asound_root=root).poll() is True
    assert events.empty()


# --------------------------------------------------------- idle inhibitors


def test_logind_idle_block_inhibitor_means_watching(buses: tuple[Bus, Bus]) -> None:
    session, system = buses
    uid = os.getuid()
    clock = ManualClock(1000.0)
    events: list[Event] = []
    with serving(FakeLogind(system.address)) as logind:
        detector = IdleInhibitDetector(
            system_address=system.address, session_address=session.address
        )
        watcher = WatchWatcher(detector, events.append, clock)
        try:
            assert detector.poll() is False
            logind.inhibitors = [("sleep:idle", "Firefox", "Playing video", "block", uid, 4242)]
            assert detector.poll() is True
            assert watcher.poll() is True
            clock.t = 1030.0
            logind.inhibitors = [
                ("idle", "Firefox", "Playing video", "delay", uid, 4242),  # not a block
                ("sleep", "Firefox", "Playing video", "block", uid, 4242),  # not idle
                ("idle", "Other user's player", "video", "block", uid + 1, 4343),
            ]
            assert detector.poll() is False
            assert watcher.poll() is False
            assert events == [WatchStart(1000.0), WatchEnd(1030.0)]
            assert "logind inhibitors: watching ListInhibitors" in "\n".join(detector.describe())
        finally:
            detector.close()


def test_gnome_idle_inhibition_means_watching(buses: tuple[Bus, Bus]) -> None:
    session, system = buses
    with serving(FakeGnomeSession(session.address)) as gnome:
        detector = IdleInhibitDetector(
            system_address=system.address, session_address=session.address
        )
        try:
            assert detector.poll() is False
            gnome.inhibited_flags = 4  # suspend only
            assert detector.poll() is False
            gnome.inhibited_flags = 8 | 4
            assert detector.poll() is True
            assert ("IsInhibited", (8,)) in gnome.calls
            lines = detector.describe()
            # No logind on that "system" bus: said, and counted as no.
            assert (
                "logind inhibitors: not available (org.freedesktop.DBus.Error.NameHasNoOwner)"
                in lines
            )
            assert "GNOME idle inhibition: watching IsInhibited (idle inhibited now: yes)" in lines
        finally:
            detector.close()


def test_idle_inhibit_without_buses_is_false_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    caplog.set_level(logging.INFO, logger=LOGGER)
    detector = IdleInhibitDetector(system_address=f"unix:path={tmp_path}/none")
    for _ in range(3):
        assert detector.poll() is False
    lines = detector.describe()
    assert lines[0].startswith(f"logind inhibitors: bus unavailable at unix:path={tmp_path}/none")
    assert lines[1] == "GNOME idle inhibition: unavailable (DBUS_SESSION_BUS_ADDRESS is not set)"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("logind inhibitors" in m for m in messages) == 1
    assert sum("GNOME idle inhibition" in m for m in messages) == 1


# --------------------------------------------------------------------- calls


def write_substream(root: Path, card: int, device: str, sub: int, running: bool) -> Path:
    status = root / f"card{card}" / f"pcm{device}" / f"sub{sub}" / "status"
    status.parent.mkdir(parents=True, exist_ok=True)
    if running:
        status.write_text(
            "state: RUNNING\nowner_pid   : 4242\ntrigger_time: 1.0\ntstamp      : 2.0\n"
            "delay       : 480\navail       : 480\n"
        )
    else:
        status.write_text("closed\n")
    return status


def test_open_microphone_on_any_card_is_a_call(tmp_path: Path) -> None:
    root = tmp_path / "asound"
    write_substream(root, 0, "0p", 0, running=True)  # music playing: not a call
    write_substream(root, 0, "0c", 0, running=False)
    write_substream(root, 1, "0c", 0, running=False)
    mic = write_substream(root, 1, "0c", 1, running=False)
    detector = CallDetector(apps=(), asound_root=root)
    assert detector.poll() is False
    write_substream(root, 1, "0c", 1, running=True)
    assert detector.poll() is True
    assert "3 ALSA capture substreams" in detector.describe()[0]
    assert "in use now: yes" in detector.describe()[0]
    mic.write_text("closed\n")
    assert detector.poll() is False


def test_no_sound_cards_only_apps_count(tmp_path: Path) -> None:
    detector = CallDetector(apps=("zoom",), asound_root=tmp_path / "missing")
    assert detector.poll() is False
    assert "no ALSA capture devices" in detector.describe()[0]
    assert "zoom" in detector.describe()[1]


@contextlib.contextmanager
def started(argv: Sequence[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(WAIT_S)


def renamed(tmp_path: Path, target: str, name: str) -> str:
    """A symlink: the process runs `target` but its name (comm) is `name`."""
    link = tmp_path / name
    link.symlink_to(target)
    return str(link)


def test_busy_call_app_is_a_call_and_an_idle_one_is_not(tmp_path: Path) -> None:
    busy_app = renamed(tmp_path, sys.executable, "sbbusycall")
    idle_app = renamed(tmp_path, shutil.which("sleep") or "/bin/sleep", "sbidlecall")
    no_mic = tmp_path / "no-asound"
    with (
        started([busy_app, "-c", "while True: pass"]) as busy,
        started([idle_app, "60"]),
    ):
        detector = CallDetector(apps=["SBBusyCall", "sbidlecall"], asound_root=no_mic)
        assert detector.poll() is False  # the first poll only sets the CPU baseline
        wait_for(detector.poll, WAIT_S, "the busy app to count as a call")
        time.sleep(0.2)
        assert detector.busy_apps() == ["SBBusyCall"]
        assert "running: SBBusyCall, sbidlecall" in detector.describe()[1]

        idle_only = CallDetector(apps=["sbidlecall"], asound_root=no_mic)
        assert idle_only.poll() is False
        time.sleep(0.3)
        assert idle_only.poll() is False

        busy.kill()
        busy.wait(WAIT_S)
        assert detector.poll() is False  # gone: dropped, not an error


def test_call_app_matches_on_executable_name_too(tmp_path: Path) -> None:
    yes = os.path.realpath(shutil.which("yes") or "/usr/bin/yes")
    if os.path.basename(yes) != "yes":
        pytest.skip(f"`yes` is {yes} (a multi-call binary), cannot be renamed")
    with started([renamed(tmp_path, yes, "sbrenamed")]):
        detector = CallDetector(apps=["yes"], asound_root=tmp_path / "no-asound")
        detector.poll()
        wait_for(detector.poll, WAIT_S, "a busy `yes` to count as a call")


def test_process_list_is_scanned_at_most_once_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = []
    real = psutil.process_iter

    def counting(*args: Any, **kwargs: Any) -> Any:
        scans.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(psutil, "process_iter", counting)
    detector = CallDetector(asound_root=tmp_path)
    for _ in range(5):
        detector.poll()
    assert len(scans) == 1


def test_call_watcher_turns_polls_into_call_events(tmp_path: Path) -> None:
    root = tmp_path / "asound"
    write_substream(root, 0, "0c", 0, running=False)
    clock = ManualClock(1000.0)
    events: list[Event] = []
    watcher = CallWatcher(CallDetector(apps=(), asound_root=root), events.append, clock)
    assert watcher.poll() is False
    clock.t = 1005.0
    write_substream(root, 0, "0c", 0, running=True)
    assert watcher.poll() is True
    clock.t = 1010.0
    assert watcher.poll() is True
    clock.t = 1015.0
    write_substream(root, 0, "0c", 0, running=False)
    assert watcher.poll() is False
    assert events == [CallStart(1005.0), CallEnd(1015.0)]


def test_edge_watcher_keeps_its_answer_when_a_poll_fails(caplog: pytest.LogCaptureFixture) -> None:
    answers: list[bool | Exception] = [True, OSError("gone"), OSError("gone"), True, False]

    def poll() -> bool:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = ManualClock(1000.0)
    events: list[Event] = []
    watcher = EdgeWatcher(poll, (CallStart, CallEnd), events.append, clock)
    results = []
    for _ in range(5):
        results.append(watcher.poll())
        clock.advance(5)
    assert results == [True, True, True, True, False]
    assert events == [CallStart(1000.0), CallEnd(1020.0)]
    assert sum("context poll failed" in r.getMessage() for r in caplog.records) == 1
