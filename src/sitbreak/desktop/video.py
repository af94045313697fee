"""Is something keeping the screen on (a video player, a presentation)?

Asked of logind and the GNOME session manager; reduced to yes or no.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sitbreak.desktop.dbus import (
    AUTH_TIMEOUT_S,
    DEFAULT_SYSTEM_BUS,
    GNOME_INHIBIT_IDLE,
    GNOME_SESSION_MANAGER,
    GNOME_SESSION_MANAGER_PATH,
    _call,
    _logind_manager,
    _method,
    _reason,
    _single_bool,
)
from sitbreak.desktop.lock_sleep import _yes_no

try:
    from jeepney import (
        DBusAddress,
        DBusErrorResponse,
        Message,
    )
    from jeepney.io.blocking import DBusConnection, open_dbus_connection
except ImportError:  # a Linux-only dependency: elsewhere there is no D-Bus to ask
    HAVE_JEEPNEY = False
else:
    HAVE_JEEPNEY = True


log = logging.getLogger(__name__)

# ------------------------------------------------------------------- watching


class _LazyBus:
    """A connection opened on first use and reopened after it breaks.

    Problems are logged once each (a missing bus would otherwise be logged
    every poll); `status` is the latest state, for describe().
    """

    def __init__(self, label: str, address: str | None, missing: str) -> None:
        self.label = label
        self._address = address
        self._conn: DBusConnection | None = None
        self._said: set[str] = set()
        self.status = f"{label}: not asked yet" if address else f"{label}: unavailable ({missing})"
        if not address:
            self._problem(self.status)

    def call(self, msg: Message) -> tuple[Any, ...] | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            return _call(conn, msg)
        except DBusErrorResponse as exc:  # typically the service is not running
            self._problem(f"{self.label}: not available ({_reason(exc)})")
            return None
        except Exception as exc:  # a broken or hung connection: start afresh next time
            self._problem(f"{self.label}: {_reason(exc)}")
            self.close()
            return None

    def ok(self, text: str) -> None:
        self.status = f"{self.label}: {text}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> DBusConnection | None:
        if self._conn is None and self._address:
            try:
                self._conn = open_dbus_connection(self._address, auth_timeout=AUTH_TIMEOUT_S)
            except Exception as exc:
                self._problem(f"{self.label}: bus unavailable at {self._address} ({_reason(exc)})")
        return self._conn

    def _problem(self, text: str) -> None:
        self.status = text
        if text not in self._said:
            self._said.add(text)
            log.info("%s", text)


class IdleInhibitDetector:
    """Is something asking the screen to stay on (video, presentation)?

    True if logind lists an idle "block" inhibitor held by this user (another
    user's player says nothing about the person here), or GNOME's session
    manager says idle is inhibited. Poll every ~30 s from one thread; any
    failure counts as "no".
    """

    def __init__(
        self, system_address: str | None = None, session_address: str | None = None
    ) -> None:
        system: str | None = (
            system_address or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
        )
        session = session_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not HAVE_JEEPNEY:
            system = session = None
        missing = "jeepney is not installed" if not HAVE_JEEPNEY else None
        self._logind = _LazyBus("logind inhibitors", system, missing or "no system bus")
        self._gnome = _LazyBus(
            "GNOME idle inhibition", session, missing or "DBUS_SESSION_BUS_ADDRESS is not set"
        )

    def poll(self) -> bool:
        if not HAVE_JEEPNEY:  # said once, at construction
            return False
        return self._logind_inhibited() or self._gnome_inhibited()

    def describe(self) -> list[str]:
        return [self._logind.status, self._gnome.status]

    def close(self) -> None:
        self._logind.close()
        self._gnome.close()

    def _logind_inhibited(self) -> bool:
        reply = self._logind.call(_method(_logind_manager(), "ListInhibitors"))
        if reply is None:
            return False
        entries = reply[0] if len(reply) == 1 and isinstance(reply[0], list) else []
        uid = os.getuid()
        inhibited = any(_is_idle_block(entry, uid) for entry in entries)
        self._logind.ok(f"watching ListInhibitors (idle blocked now: {_yes_no(inhibited)})")
        return inhibited

    def _gnome_inhibited(self) -> bool:
        msg = _method(
            DBusAddress(GNOME_SESSION_MANAGER_PATH, GNOME_SESSION_MANAGER, GNOME_SESSION_MANAGER),
            "IsInhibited",
            "u",
            (GNOME_INHIBIT_IDLE,),
        )
        reply = self._gnome.call(msg)
        if reply is None:
            return False
        inhibited = _single_bool(reply) is True
        self._gnome.ok(f"watching IsInhibited (idle inhibited now: {_yes_no(inhibited)})")
        return inhibited


def _is_idle_block(entry: Any, uid: int) -> bool:
    """One ListInhibitors entry (what, who, why, mode, uid, pid)."""
    if not (isinstance(entry, tuple) and len(entry) == 6):
        return False
    what, _who, _why, mode, owner, _pid = entry
    return isinstance(what, str) and "idle" in what.split(":") and mode == "block" and owner == uid
