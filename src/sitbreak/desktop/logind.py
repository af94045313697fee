"""Activity from logind's `IdleHint` of our session on the system bus: a coarse fallback.

It changes only when the desktop declares the session idle (minutes after the
last input), and some desktops never set it."""

from __future__ import annotations

import logging
import math
from typing import Any

from sitbreak.clock import Clock
from sitbreak.desktop.dbus import (
    _CALL_ERRORS,
    HAVE_JEEPNEY,
    LOGIND,
    LOGIND_SESSION,
    LOGIND_SESSION_AUTO,
    _connect,
    _find_session,
    _get_property,
    _name_has_owner,
    _reason,
)
from sitbreak.desktop.source import SourceLost, SourceUnavailable

if HAVE_JEEPNEY:
    from jeepney.io.blocking import DBusConnection

log = logging.getLogger(__name__)


class LogindIdleSource:
    """logind's IdleHint for our session: a coarse fallback, polled at the daemon's heartbeat.

    While the session is not idle, every poll counts as input: an empty chair
    counts as sitting until the desktop marks the session idle (GNOME does so
    after its blank-screen delay, 5 minutes by default), and a desktop that
    never sets IdleHint (KDE, most wlroots set-ups) makes it always "active".
    When the session stops being idle, IdleSinceHint gives the time it did.
    Use it only when nothing better works; `sitbreak doctor` says so.
    """

    name = "logind"

    def __init__(self, clock: Clock, address: str | None) -> None:
        self._clock = clock
        self._address = address
        self._conn: DBusConnection | None = None
        self._path = LOGIND_SESSION_AUTO
        self._how = ""
        self._idle = True
        self._reported = -math.inf

    def start(self) -> None:
        if self._conn is not None:
            return
        conn = _connect(self._address, "system", "DBUS_SYSTEM_BUS_ADDRESS")
        try:
            self._path, self._how = self._find(conn)
            idle = self._property(conn, "IdleHint")
        except _CALL_ERRORS as exc:
            conn.close()
            raise SourceUnavailable(f"logind did not answer: {_reason(exc)}") from None
        except BaseException:
            conn.close()
            raise
        if not isinstance(idle, bool):
            conn.close()
            raise SourceUnavailable(f"logind's IdleHint is {idle!r}, not true or false")
        self._conn, self._idle = conn, idle
        self._reported = self._clock.now()  # only what happens from now on is news

    def poll(self) -> float | None:
        conn = self._conn
        if conn is None:
            raise SourceLost("the logind idle source is not connected (start() reconnects)")
        try:
            idle = self._property(conn, "IdleHint") is True
            back = None if idle or not self._idle else self._since(conn)
        except _CALL_ERRORS as exc:
            self.stop()
            raise SourceLost(f"logind stopped answering ({_reason(exc)})") from None
        self._idle = idle
        if idle:
            return None
        now = self._clock.now()
        # Back from idle: logind knows when, which may be before this poll.
        t = back if back is not None and self._reported < back < now else now
        if t <= self._reported:
            return None
        self._reported = t
        return t

    def stop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def describe(self) -> str:
        return (
            f"logind session {self._path} ({self._how}); coarse: counts you present until "
            "the desktop marks the session idle, and some desktops never do"
        )

    def _find(self, conn: DBusConnection) -> tuple[str, str]:
        if not _name_has_owner(conn, LOGIND):
            raise SourceUnavailable(f"logind ({LOGIND}) is not on the system bus")
        path, how = _find_session(conn)
        if path == LOGIND_SESSION_AUTO:
            raise SourceUnavailable("logind knows no session of ours")
        return path, how

    def _property(self, conn: DBusConnection, name: str) -> Any:
        return _get_property(conn, LOGIND, self._path, LOGIND_SESSION, name)

    def _since(self, conn: DBusConnection) -> float | None:
        """IdleSinceHint (wall-clock µs) on our clock, or None if logind has none."""
        since_us = self._property(conn, "IdleSinceHint")
        if not isinstance(since_us, int) or since_us <= 0:
            return None
        return since_us / 1e6 - self._clock.wall_offset()
