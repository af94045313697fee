"""Activity from the desktop's own idle bookkeeping, over D-Bus: GNOME, KDE and others, logind.

On Wayland no client sees global input, so sitbreak asks the compositor or
the session, which do. Like the X11 idle poll, none of these sees an input
event: each only says when the latest input was, or that there was some.

- `GnomeIdleSource`: GNOME Shell's `org.gnome.Mutter.IdleMonitor` (X11 and
  Wayland). Watches, not polling: a thread waits for `WatchFired`, so it
  costs nothing between transitions.
- `FreedesktopIdleSource`: `org.freedesktop.ScreenSaver.GetSessionIdleTime`
  (KDE Plasma on X11, and others), polled at the daemon's heartbeat.
- `LogindIdleSource`: logind's `IdleHint` of our session on the system bus,
  a coarse fallback: it changes only when the desktop declares the session
  idle (minutes after the last input), and some desktops never set it.

swayidle (wlroots compositors, KWin) is in `sitbreak.desktop.swayidle`.
Screen lock and suspend are not here: `DBusContextMonitor` in
`sitbreak.desktop.context` reports them, from the same services.

Measured costs (jeepney, a private dbus-daemon, 2-core CI machine):
one method call costs about 120 µs of CPU in sitbreak, 75 µs in the bus
daemon and a little in the service, 0.3 ms wall time; so a once-a-second
poll costs about 0.03 % of a core and needs no back-off when idle.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections import deque
from typing import Any

from sitbreak.clock import Clock
from sitbreak.desktop.activity import SourceLost, SourceUnavailable
from sitbreak.desktop.context import (
    AUTH_TIMEOUT_S,
    HAVE_JEEPNEY,
    LOGIND,
    LOGIND_SESSION,
    LOGIND_SESSION_AUTO,
    STOP_TIMEOUT_S,
    _add_match,
    _call,
    _find_session,
    _get_property,
    _method,
    _name_has_owner,
    _reason,
)

if HAVE_JEEPNEY:
    from jeepney import DBusAddress, DBusErrorResponse, HeaderFields, MatchRule, message_bus
    from jeepney.io.blocking import DBusConnection, open_dbus_connection

log = logging.getLogger(__name__)

GNOME_IDLE = "org.gnome.Mutter.IdleMonitor"
GNOME_IDLE_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
FD_SAVER = "org.freedesktop.ScreenSaver"
#: KDE answers on both; other implementations (and Gajim, Workrave...) use the first.
FD_SAVER_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
BUS_NAME = "org.freedesktop.DBus"

#: What a failed call on a connection can raise: an error reply, no reply in
#: time, or a broken socket.
_CALL_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, OSError, ValueError, EOFError)
if HAVE_JEEPNEY:
    _CALL_ERRORS = (DBusErrorResponse, *_CALL_ERRORS)


def _connect(address: str | None, bus: str, variable: str) -> DBusConnection:
    """A connection to `address`, or SourceUnavailable saying why not."""
    if not HAVE_JEEPNEY:
        raise SourceUnavailable("jeepney is not installed (sitbreak needs it on Linux)")
    if not address:
        raise SourceUnavailable(f"no {bus} bus ({variable} is not set)")
    try:
        return open_dbus_connection(address, auth_timeout=AUTH_TIMEOUT_S)
    except Exception as exc:  # a missing bus shows up as many exception types
        raise SourceUnavailable(
            f"cannot reach the {bus} bus at {address} ({_reason(exc)})"
        ) from None


def _shutdown(conn: DBusConnection) -> None:
    # shutdown(), unlike close(), wakes a thread blocked reading this socket.
    with contextlib.suppress(OSError):
        conn.sock.shutdown(socket.SHUT_RDWR)


class _Latest:
    """Reports each activity time once, never one older than already reported.

    Sources that learn of input from a thread keep their state here: `active`
    (input is going on now, so every poll reports the present) and `latest`
    (the latest input time known exactly). `since` is when the source
    started: input before it is not news.

    A time less than SAME_S after the one reported last is the same input
    seen twice: an idle time is whole milliseconds and its reply takes a
    while, so "now - idle time" can land a little after a poll that already
    reported that input.
    """

    SAME_S = 0.05

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = False
        self.latest: float | None = None
        self._reported = -math.inf

    def reset(self, since: float) -> None:
        with self.lock:
            self.active, self.latest = False, None
        self._reported = since

    def went_idle(self, last_input: float) -> None:
        with self.lock:
            self.active = False
            self.latest = last_input if self.latest is None else max(self.latest, last_input)

    def paused(self, last_input: float) -> None:
        """Input stopped after `last_input`, if it was going on; else when is unknown."""
        with self.lock:
            if self.active:
                self.latest = last_input if self.latest is None else max(self.latest, last_input)
            self.active = False

    def came_back(self, at: float) -> None:
        with self.lock:
            self.active, self.latest = True, at

    def report(self, now: float) -> float | None:
        """For poll(): now while active, else the latest input if not yet reported."""
        with self.lock:
            t = now if self.active else self.latest
        if t is None or t < self._reported + self.SAME_S:
            return None
        self._reported = t
        return t


# --------------------------------------------------------------------------- GNOME


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
        self._state = _Latest()
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


class FreedesktopIdleSource:
    """`org.freedesktop.ScreenSaver.GetSessionIdleTime`, polled at each heartbeat (KDE and others).

    As with the X11 idle poll, input shows as the idle counter being smaller
    than it would have grown to since the previous answer; the reported time
    is then now minus the counter, exact to the service's millisecond.

    Some services answer but cannot measure: KDE Plasma on Wayland answers 0
    whatever happens, which would look like non-stop typing. start() refuses
    a service that answers exactly 0 three times in a row, and poll() gives
    up (SourceLost) after STUCK_POLLS zeros in a row: a real counter is never
    exactly 0 at every sample for that long.
    """

    name = "freedesktop"
    #: A shortfall smaller than this is the round trip and the service's rounding, not input.
    TOLERANCE_MS = 100.0
    STUCK_POLLS = 60
    PROBE_GAP_S = 0.05

    def __init__(self, clock: Clock, address: str | None) -> None:
        self._clock = clock
        self._address = address
        self._conn: DBusConnection | None = None
        self._path = FD_SAVER_PATHS[0]
        self._idle_ms = 0
        self._replied_at = 0.0  # time.monotonic() just after the previous answer
        self._zeros = 0

    def start(self) -> None:
        if self._conn is not None:
            return
        conn = _connect(self._address, "session", "DBUS_SESSION_BUS_ADDRESS")
        try:
            self._path, idle_ms = self._probe(conn)
        except _CALL_ERRORS as exc:
            conn.close()
            raise SourceUnavailable(
                f"{FD_SAVER}: the bus did not answer ({_reason(exc)})"
            ) from None
        except BaseException:
            conn.close()
            raise
        self._conn, self._idle_ms, self._zeros = conn, idle_ms, 0
        self._replied_at = time.monotonic()

    def poll(self) -> float | None:
        conn = self._conn
        if conn is None:
            raise SourceLost("the freedesktop idle source is not connected (start() reconnects)")
        asked_at = time.monotonic()
        try:
            idle_ms = _idle_ms(conn, self._path)
        except _CALL_ERRORS as exc:
            self.stop()
            raise SourceLost(f"{FD_SAVER} stopped answering ({_reason(exc)})") from None
        self._zeros = self._zeros + 1 if idle_ms == 0 else 0
        if self._zeros >= self.STUCK_POLLS:
            self.stop()
            raise SourceLost(
                f"{FD_SAVER} answered an idle time of 0 {self.STUCK_POLLS} times in a row: "
                "it is not measuring input"
            )
        # With no input the counter grows by at least the time between the
        # previous answer and this question.
        least_growth_ms = (asked_at - self._replied_at) * 1000.0
        active = idle_ms < self._idle_ms + least_growth_ms - self.TOLERANCE_MS
        self._idle_ms, self._replied_at = idle_ms, time.monotonic()
        return self._clock.now() - idle_ms / 1000.0 if active else None

    def stop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def describe(self) -> str:
        return f"{FD_SAVER} answers GetSessionIdleTime at {self._path}"

    def _probe(self, conn: DBusConnection) -> tuple[str, int]:
        """The path that answers and its first answer, or SourceUnavailable saying why."""
        if not _name_has_owner(conn, FD_SAVER):
            raise SourceUnavailable(f"{FD_SAVER} is not on the session bus")
        problems = []
        for path in FD_SAVER_PATHS:
            try:
                answers = [_idle_ms(conn, path)]
                while answers[-1] == 0 and len(answers) < 3:
                    time.sleep(self.PROBE_GAP_S)
                    answers.append(_idle_ms(conn, path))
            except _CALL_ERRORS as exc:
                problems.append(f"{path}: {_reason(exc)}")
                continue
            if answers[-1] == 0:
                raise SourceUnavailable(
                    f"{FD_SAVER} answers GetSessionIdleTime with 0 every time (KDE Plasma "
                    "on Wayland does): it cannot tell input from none"
                )
            return path, answers[-1]
        raise SourceUnavailable(f"{FD_SAVER} has no GetSessionIdleTime ({'; '.join(problems)})")


def _idle_ms(conn: DBusConnection, path: str) -> int:
    reply = _call(conn, _method(DBusAddress(path, FD_SAVER, FD_SAVER), "GetSessionIdleTime"))
    if len(reply) != 1 or not isinstance(reply[0], int) or isinstance(reply[0], bool):
        raise ValueError(f"GetSessionIdleTime answered {reply!r}, not milliseconds")
    return int(reply[0])


# --------------------------------------------------------------------------- logind


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


__all__ = [
    "FD_SAVER",
    "GNOME_IDLE",
    "GNOME_IDLE_PATH",
    "FreedesktopIdleSource",
    "GnomeIdleSource",
    "LogindIdleSource",
]
