"""Screen lock and suspend, heard as D-Bus signals.

`DBusContextMonitor` listens for screen lock/unlock (the freedesktop and GNOME
screen savers, logind's LockedHint) and suspend/resume (logind's
PrepareForSleep). One daemon thread per bus blocks on its socket, so it costs
nothing while nothing happens. Anything missing (no bus, no logind, no screen
saver) is logged once, shown by `describe()`, and the rest carries on."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from sitbreak.desktop.dbus import (
    _SCREENSAVER_NAMES,
    AUTH_TIMEOUT_S,
    DEFAULT_SYSTEM_BUS,
    LOGIND,
    LOGIND_MANAGER,
    LOGIND_PATH,
    LOGIND_SESSION,
    PROPERTIES,
    SCREENSAVERS,
    STOP_TIMEOUT_S,
    ScreenSaverService,
    _add_match,
    _call,
    _describe_message,
    _find_session,
    _get_property,
    _method,
    _name_has_owner,
    _reason,
    _single_bool,
    _variant_value,
)

try:
    from jeepney import (
        DBusAddress,
        DBusErrorResponse,
        HeaderFields,
        MatchRule,
        Message,
    )
    from jeepney.io.blocking import DBusConnection, open_dbus_connection
except ImportError:  # a Linux-only dependency: elsewhere there is no D-Bus to ask
    HAVE_JEEPNEY = False
else:
    HAVE_JEEPNEY = True

from sitbreak.clock import Clock
from sitbreak.core.model import (
    Event,
    Lock,
    Resume,
    Suspend,
    Unlock,
)

log = logging.getLogger(__name__)

#: How detectors hand events to the daemon (its `queue.put`: thread-safe).
Emit = Callable[[Event], None]


# --------------------------------------------------- lock and sleep (signals)

Note = Callable[..., None]


class _BusThread:
    """One bus connection and the daemon thread that blocks on it.

    `setup(conn, note)` subscribes and reads the initial state; it returns
    False when there is nothing on this bus worth listening to. `handle(conn,
    msg)` gets every signal afterwards, in the order the bus sent them.
    """

    def __init__(
        self,
        label: str,
        address: str,
        setup: Callable[[DBusConnection, Note], bool],
        handle: Callable[[DBusConnection, Message], None],
    ) -> None:
        self.label = label
        self.address = address
        self._setup = setup
        self._handle = handle
        self._lock = threading.Lock()
        self._conn: DBusConnection | None = None
        self._stopping = False
        self._notes: list[str] = []
        self.ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sitbreak-dbus-{label}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def notes(self) -> list[str]:
        with self._lock:
            return list(self._notes)

    def note(self, text: str, level: int = logging.INFO) -> None:
        """Record a line for describe() and log it: each is said once."""
        log.log(level, "%s", text)
        with self._lock:
            self._notes.append(text)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            conn = self._conn
        if conn is not None:
            # shutdown(), unlike close(), wakes a thread blocked in select() on
            # this socket: it reads EOF and leaves its receive loop.
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        if self._thread.ident is not None:
            self._thread.join(STOP_TIMEOUT_S)

    def _run(self) -> None:
        try:
            conn = open_dbus_connection(self.address, auth_timeout=AUTH_TIMEOUT_S)
        except Exception as exc:  # a missing bus shows up as many exception types
            self.note(f"{self.label} bus: unavailable at {self.address} ({_reason(exc)})")
            self.ready.set()
            return
        with self._lock:
            if self._stopping:
                conn.close()
                self.ready.set()
                return
            self._conn = conn
        try:
            self._serve(conn)
        except Exception as exc:
            if not self._stopping:
                self.note(f"{self.label} bus: connection lost ({_reason(exc)})", logging.WARNING)
        finally:
            self.ready.set()
            conn.close()

    def _serve(self, conn: DBusConnection) -> None:
        # Every signal goes to this queue, including those that arrive while
        # setup waits for its replies, so none is lost between subscribing
        # and reading the initial state.
        signals: deque[Message] = deque()
        conn.filter(MatchRule(type="signal"), queue=signals)
        self.note(f"{self.label} bus: connected ({self.address})")
        if not self._setup(conn, self.note):
            return
        self.ready.set()
        while True:
            msg = conn.recv_until_filtered(signals)
            if HeaderFields.destination in msg.header.fields:
                # Broadcasts reach us only through our match rules, which name
                # the sender; a signal addressed to us could come from anyone.
                log.debug("ignoring unicast signal %s", _describe_message(msg))
                continue
            try:
                self._handle(conn, msg)
            except Exception:
                # One odd message must not end the watch.
                log.exception("could not handle D-Bus signal %s", _describe_message(msg))


class DBusContextMonitor:
    """Screen lock/unlock (ScreenSaver services, logind) and suspend/resume (logind).

    Events are emitted only on a change: a lock reported by logind and by a
    screen saver (or by KDE on both its paths) is one Lock. A lock already on
    at start is emitted as a Lock; an unlocked start emits nothing.

    Call start() once; stop() ends both threads. Neither raises.
    """

    def __init__(
        self,
        emit: Emit,
        clock: Clock,
        session_address: str | None = None,
        system_address: str | None = None,
        *,
        locked_hint: bool = True,
    ) -> None:
        self._emit = emit
        #: False where another watch is the lock's one source of truth (the
        #: locker's process on wlroots desktops: desktop/lockers.py).
        self._watch_locked_hint = locked_hint
        self._clock = clock
        self._session_address = session_address
        self._system_address = system_address
        self._state_lock = threading.Lock()
        self._locked = False
        self._asleep = False
        self._threads: list[_BusThread] = []
        self._notes: list[str] = []
        self._started = False

    # ---- lifecycle

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if not HAVE_JEEPNEY:
            self._note("D-Bus: unavailable (jeepney is not installed; sitbreak needs it on Linux)")
            return
        session = self._session_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if session:
            self._threads.append(
                _BusThread("session", session, self._setup_session, self._on_session_signal)
            )
        else:
            self._note("session bus: unavailable (DBUS_SESSION_BUS_ADDRESS is not set)")
        system = (
            self._system_address or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
        )
        self._threads.append(
            _BusThread("system", system, self._setup_system, self._on_system_signal)
        )
        for bus in self._threads:
            try:
                bus.start()
            except RuntimeError as exc:  # out of threads: say so, watch the rest
                self._note(f"{bus.label} bus: could not start a thread ({exc})", logging.WARNING)
                bus.ready.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every bus has subscribed or given up; False on timeout.

        Signals sent before this returns True may be missed (tests, doctor).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for bus in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not bus.ready.wait(left):
                return False
        return True

    def stop(self) -> None:
        for bus in self._threads:
            bus.stop()

    def describe(self) -> list[str]:
        """What is watched and what is not available, one line each."""
        lines = list(self._notes)
        for bus in self._threads:
            lines.extend(bus.notes())
        return lines

    def _note(self, text: str, level: int = logging.INFO) -> None:
        log.log(level, "%s", text)
        self._notes.append(text)

    # ---- state changes (called from both bus threads)

    def _report_lock(self, locked: bool, source: str) -> None:
        with self._state_lock:
            if locked == self._locked:
                log.debug("%s says locked=%s (no change)", source, locked)
                return
            self._locked = locked
            event: Event = Lock(self._clock.now()) if locked else Unlock(self._clock.now())
            log.debug("%s -> %s", source, event)
            self._emit(event)

    def _report_sleep(self, asleep: bool) -> None:
        with self._state_lock:
            if asleep == self._asleep:
                return
            self._asleep = asleep
            event: Event = Suspend(self._clock.now()) if asleep else Resume(self._clock.now())
            log.debug("logind -> %s", event)
            self._emit(event)

    # ---- session bus: screen savers

    def _setup_session(self, conn: DBusConnection, note: Note) -> bool:
        for saver in SCREENSAVERS:
            # The sender condition makes the bus deliver only signals from
            # whoever owns the name (then or later), not look-alikes.
            _add_match(
                conn,
                MatchRule(
                    type="signal", sender=saver.name, interface=saver.name, member="ActiveChanged"
                ),
            )
            if not _name_has_owner(conn, saver.name):
                note(f"{saver.name}: not running; its ActiveChanged counts if it starts")
                continue
            active = _query_active(conn, saver)
            if active is None:
                note(
                    f"{saver.name}: watching ActiveChanged (GetActive did not answer)",
                    logging.WARNING,
                )
                continue
            note(f"{saver.name}: watching ActiveChanged (active at start: {_yes_no(active)})")
            # An initial "not active" says nothing new, and must not undo a
            # lock another service has just reported.
            if active:
                self._report_lock(True, saver.name)
        return True

    def _on_session_signal(self, conn: DBusConnection, msg: Message) -> None:
        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        if (
            interface not in _SCREENSAVER_NAMES
            or fields.get(HeaderFields.member) != "ActiveChanged"
        ):
            return
        active = _single_bool(msg.body)
        if active is None:
            log.warning("ignoring malformed %s: %r", _describe_message(msg), msg.body)
            return
        self._report_lock(active, str(interface))

    # ---- system bus: logind

    def _setup_system(self, conn: DBusConnection, note: Note) -> bool:
        if not _name_has_owner(conn, LOGIND):
            note(f"logind ({LOGIND}): not on the system bus; no suspend or LockedHint signals")
            return False
        _add_match(
            conn,
            MatchRule(
                type="signal",
                sender=LOGIND,
                interface=LOGIND_MANAGER,
                member="PrepareForSleep",
                path=LOGIND_PATH,
            ),
        )
        note("logind: watching PrepareForSleep (suspend and resume)")
        if not self._watch_locked_hint:
            note("logind: LockedHint not used for the screen lock here (the locker's process is)")
            return True
        path, how = _find_session(conn)
        rule = MatchRule(
            type="signal",
            sender=LOGIND,
            interface=PROPERTIES,
            member="PropertiesChanged",
            path=path,
        )
        rule.add_arg_condition(0, LOGIND_SESSION)
        _add_match(conn, rule)
        locked = _locked_hint(conn, path)
        note(
            f"logind: watching LockedHint of session {path} ({how});"
            f" locked at start: {'unknown' if locked is None else _yes_no(locked)}"
        )
        if locked:  # as for the screen savers, only a lock is news at start
            self._report_lock(True, "logind")
        return True

    def _on_system_signal(self, conn: DBusConnection, msg: Message) -> None:
        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        if interface == LOGIND_MANAGER and member == "PrepareForSleep":
            asleep = _single_bool(msg.body)
            if asleep is None:
                log.warning("ignoring malformed %s: %r", _describe_message(msg), msg.body)
                return
            self._report_sleep(asleep)
        elif interface == PROPERTIES and member == "PropertiesChanged":
            # Only our session's object reaches here: the match rule names its path.
            locked = _changed_locked_hint(conn, msg, str(fields.get(HeaderFields.path)))
            if locked is not None:
                self._report_lock(locked, "logind")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _query_active(conn: DBusConnection, saver: ScreenSaverService) -> bool | None:
    """GetActive on the first of the service's paths that answers."""
    for path in saver.paths:
        try:
            active = _single_bool(
                _call(conn, _method(DBusAddress(path, saver.name, saver.name), "GetActive"))
            )
        except (DBusErrorResponse, TimeoutError) as exc:
            log.debug("%s GetActive on %s: %s", saver.name, path, _reason(exc))
            continue
        if active is not None:
            return active
    return None


def _locked_hint(conn: DBusConnection, path: str) -> bool | None:
    try:
        value = _get_property(conn, LOGIND, path, LOGIND_SESSION, "LockedHint")
    except (DBusErrorResponse, TimeoutError, ValueError) as exc:
        log.info("logind LockedHint of %s unavailable: %s", path, _reason(exc))
        return None
    return value if isinstance(value, bool) else None


def _changed_locked_hint(conn: DBusConnection, msg: Message, path: str) -> bool | None:
    """LockedHint from a PropertiesChanged(s, a{sv}, as), or None if it did not change."""
    body = msg.body
    if not (len(body) == 3 and isinstance(body[1], dict) and isinstance(body[2], list)):
        log.warning("ignoring malformed %s: %r", _describe_message(msg), body)
        return None
    if body[0] != LOGIND_SESSION:
        return None
    if "LockedHint" in body[1]:
        value = _variant_value(body[1]["LockedHint"])
        if not isinstance(value, bool):
            log.warning("ignoring non-boolean LockedHint %r", value)
            return None
        return value
    if "LockedHint" in body[2]:  # invalidated without a value: ask for it
        return _locked_hint(conn, path)
    return None
