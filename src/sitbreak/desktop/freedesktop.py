"""Activity from `org.freedesktop.ScreenSaver.GetSessionIdleTime`, polled at each heartbeat.

KDE Plasma answers it on X11 (on Wayland it answers 0 whatever happens, so a
service stuck at 0 is refused), and so do some other screen savers.
"""

from __future__ import annotations

import logging
import time

from sitbreak.clock import Clock
from sitbreak.desktop.dbus import (
    _CALL_ERRORS,
    HAVE_JEEPNEY,
    _call,
    _connect,
    _method,
    _name_has_owner,
    _reason,
)
from sitbreak.desktop.source import SourceLost, SourceUnavailable

if HAVE_JEEPNEY:
    from jeepney import DBusAddress
    from jeepney.io.blocking import DBusConnection

log = logging.getLogger(__name__)

FD_SAVER = "org.freedesktop.ScreenSaver"
#: KDE answers on both; other implementations (and Gajim, Workrave...) use the first.
FD_SAVER_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
BUS_NAME = "org.freedesktop.DBus"


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
