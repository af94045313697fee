"""Activity from GNOME Shell's idle monitor (`org.gnome.Mutter.IdleMonitor`), X11 and Wayland.

Watches, not polling: a thread waits for `WatchFired`, so it costs nothing
between transitions. No input event is seen: Mutter only says when the latest
input was."""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from sitbreak.clock import Clock
from sitbreak.desktop.dbus import (
    _CALL_ERRORS,
    HAVE_JEEPNEY,
    STOP_TIMEOUT_S,
    _add_match,
    _call,
    _connect,
    _method,
    _reason,
    _shutdown,
)
from sitbreak.desktop.freedesktop import BUS_NAME
from sitbreak.desktop.source import LatestInput, SourceLost, SourceUnavailable

if HAVE_JEEPNEY:
    from jeepney import DBusAddress, HeaderFields, MatchRule, message_bus
    from jeepney.io.blocking import DBusConnection

log = logging.getLogger(__name__)

GNOME_IDLE = "org.gnome.Mutter.IdleMonitor"
GNOME_IDLE_PATH = "/org/gnome/Mutter/IdleMonitor/Core"


class GnomeIdleSource:
    """GNOME Shell's idle monitor: watches fire when input stops and when it resumes.

    Design: an idle watch at IDLE_MS fires every time input has stopped for
    that long; a user-active watch (one-shot, so re-armed at each idle) fires
    at the first input after that. Between the two the person is active, and
    each poll reports the present. When the idle watch fires the thread asks
    `GetIdletime` once, which gives the exact time of the last input (Mutter
    also fires a watch at once if it is added when already idle, so "fired
    at t" alone would not mean "input at t - IDLE_MS").

    Precision: while input goes on, a reported time is at most IDLE_MS (plus
    D-Bus latency, about a millisecond) after the real latest input; after
    the first poll that follows input, nothing earlier is reported, so a
    burst's end may be reported up to IDLE_MS late. Bursts shorter than a
    poll are still reported once, at their exact last input.

    Mutter sends WatchFired to the watch's owner only (a unicast signal), and
    drops our watches when our connection closes; only messages from the
    name's current owner count. If GNOME Shell restarts, poll() raises
    SourceLost and start() sets the watches up again.
    """

    name = "gnome"
    #: One second: the shortest pause that ends "active"; the daemon polls every 5 s.
    IDLE_MS = 1000

    def __init__(self, clock: Clock, address: str | None) -> None:
        self._clock = clock
        self._address = address
        self._state = LatestInput()
        self._conn: DBusConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._lost: str | None = None
        self._owner = ""
        self._idle_id = -1
        self._active_id = -1
        self._armed = False  # a user-active watch is waiting for input

    # ---- lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        conn = _connect(self._address, "session", "DBUS_SESSION_BUS_ADDRESS")
        # Every signal is queued from here on, including WatchFired arriving
        # while the set-up calls below wait for their replies.
        signals: deque[Any] = deque()
        conn.filter(MatchRule(type="signal"), queue=signals)
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        self._conn, self._stopping, self._lost = conn, False, None
        self._thread = threading.Thread(
            target=self._serve, args=(conn, signals), name="sitbreak-gnome-idle", daemon=True
        )
        self._thread.start()

    def poll(self) -> float | None:
        if self._thread is None:
            raise SourceLost("the GNOME idle source is not connected (start() reconnects)")
        lost = self._lost
        if lost is not None:
            self.stop()
            raise SourceLost(lost)
        return self._state.report(self._clock.now())

    def stop(self) -> None:
        thread, conn = self._thread, self._conn
        self._thread = self._conn = None
        self._stopping = True
        if conn is not None:
            _shutdown(conn)
        if thread is not None:
            thread.join(STOP_TIMEOUT_S)
        if conn is not None:
            conn.close()  # Mutter removes our watches when our connection goes

    def describe(self) -> str:
        return f"{GNOME_IDLE} answers: idle watch at {self.IDLE_MS} ms, user-active watch"

    # ---- set-up (on the caller's thread, before the receiving thread exists)

    def _setup(self, conn: DBusConnection) -> None:
        try:
            (self._owner,) = _call(conn, message_bus.GetNameOwner(GNOME_IDLE))
        except _CALL_ERRORS:
            raise SourceUnavailable(
                f"{GNOME_IDLE} is not on the session bus (not a GNOME session)"
            ) from None
        try:
            # Mutter sends WatchFired to us alone; the rule is for any that broadcast it.
            _add_match(
                conn,
                MatchRule(
                    type="signal", sender=GNOME_IDLE, interface=GNOME_IDLE, member="WatchFired"
                ),
            )
            owner_rule = MatchRule(
                type="signal", sender=BUS_NAME, interface=BUS_NAME, member="NameOwnerChanged"
            )
            owner_rule.add_arg_condition(0, GNOME_IDLE)
            _add_match(conn, owner_rule)
            (self._idle_id,) = self._ask(conn, "AddIdleWatch", "t", (self.IDLE_MS,))
            (self._active_id,) = self._ask(conn, "AddUserActiveWatch")
            self._armed = True
            idle_ms = self._idletime(conn)
        except _CALL_ERRORS as exc:
            raise SourceUnavailable(f"{GNOME_IDLE} did not answer: {_reason(exc)}") from None
        started = self._clock.now()
        self._state.reset(started)
        if idle_ms < self.IDLE_MS:  # input going on right now: the idle watch will end it
            self._state.came_back(started)

    def _ask(
        self,
        conn: DBusConnection,
        member: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        address = DBusAddress(GNOME_IDLE_PATH, GNOME_IDLE, GNOME_IDLE)
        return _call(conn, _method(address, member, signature, body))

    def _idletime(self, conn: DBusConnection) -> int:
        (idle_ms,) = self._ask(conn, "GetIdletime")
        return int(idle_ms)

    # ---- the receiving thread

    def _serve(self, conn: DBusConnection, signals: deque[Any]) -> None:
        try:
            while self._handle(conn, conn.recv_until_filtered(signals)):
                pass
        except Exception as exc:
            if not self._stopping:
                self._lost = f"lost the session bus ({_reason(exc)})"

    def _handle(self, conn: DBusConnection, msg: Any) -> bool:
        """One signal; False when the source is lost and the thread should end."""
        fields = msg.header.fields
        member, sender = fields.get(HeaderFields.member), fields.get(HeaderFields.sender)
        if member == "NameOwnerChanged" and sender == BUS_NAME:
            if len(msg.body) == 3 and msg.body[0] == GNOME_IDLE and msg.body[1] == self._owner:
                self._lost = f"{GNOME_IDLE} went away (GNOME Shell restarted, or the session ended)"
                return False
            return True
        if member != "WatchFired" or sender != self._owner or len(msg.body) != 1:
            return True  # not for us, or not from GNOME Shell: ignored
        (watch_id,) = msg.body
        if watch_id == self._idle_id:
            self._went_idle(conn)
        elif watch_id == self._active_id and self._armed:
            self._armed = False
            self._state.came_back(self._clock.now())
        return True

    def _went_idle(self, conn: DBusConnection) -> None:
        # Re-arm first: input from here on fires it, even input before the
        # GetIdletime reply (then a WatchFired is already queued behind it).
        if not self._armed:
            (self._active_id,) = self._ask(conn, "AddUserActiveWatch")
            self._armed = True
        idle_ms = self._idletime(conn)
        self._state.went_idle(self._clock.now() - idle_ms / 1000.0)


# --------------------------------------------------------------------------- freedesktop
