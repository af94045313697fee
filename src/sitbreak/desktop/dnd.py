"""Should a prompt wait? What the desktop says about interrupting right now.

`DoNotDisturb.poll()` returns the reason prompts must wait, or None:

- a full-screen window is in front (a presentation, a film, a game): the X11
  root window's `_NET_ACTIVE_WINDOW`, and that window's `_NET_WM_STATE`
  holding `_NET_WM_STATE_FULLSCREEN`, read with python-xlib. Two property
  reads; no window title or class is ever read, let alone stored;
- the notification server is paused: dunst's `paused` property
  (`org.dunstproject.cmd0`, what `dunstctl set-paused` sets), or KDE
  Plasma's `Inhibited` (its Do Not Disturb), over D-Bus;
- GNOME's Do Not Disturb: `org.gnome.desktop.notifications show-banners`
  is false. Only asked on GNOME, with `gsettings`, at most every 30 s.

A check that fails answers None: prompts are never held back because a
check broke. Each failing check is logged once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("sitbreak.desktop")

FULLSCREEN = "a full-screen window is in front"
DUNST_PAUSED = "notifications are paused (dunst)"
SERVER_INHIBITED = "notifications are inhibited (Do Not Disturb)"
GNOME_DND = "GNOME's Do Not Disturb is on"

#: How long gsettings' answer is trusted: it costs a process start.
GNOME_CACHE_S = 30.0
#: How long to wait before asking a server again that has no pause property.
REPROBE_S = 300.0
#: A check that failed is skipped this long: a sick X server or bus must not
#: slow down every poll (each call has a time limit, but the daemon waits).
RETRY_S = 60.0
#: The most one D-Bus call may take.
CALL_TIMEOUT_S = 2.0

_BUS_NAME = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"
#: (interface, property, reason) of the pause switches servers are known to have.
_SERVER_SWITCHES = (
    ("org.dunstproject.cmd0", "paused", DUNST_PAUSED),
    ("org.freedesktop.Notifications", "Inhibited", SERVER_INHIBITED),
)
#: D-Bus errors that say "this server has no such switch", not "something broke".
_NOT_THERE = (
    "org.freedesktop.DBus.Error.UnknownInterface",
    "org.freedesktop.DBus.Error.UnknownMethod",
    "org.freedesktop.DBus.Error.UnknownProperty",
    "org.freedesktop.DBus.Error.InvalidArgs",
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
)

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class DoNotDisturb:
    """Asks the desktop whether now is a bad time for a prompt; cheap to poll."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        run: Runner = subprocess.run,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self._run = run
        self._clock = clock
        self._failed: set[str] = set()  # checks whose failure was logged
        self._retry_at: dict[str, float] = {}  # failed checks skipped until then
        self._x = _FullscreenCheck(self._env.get("DISPLAY", ""))
        self._server = _ServerPauseCheck(self._env.get("DBUS_SESSION_BUS_ADDRESS", ""), clock)
        self._gnome_answer: str | None = None
        self._gnome_until = -float("inf")

    def poll(self) -> str | None:
        """Why prompts must wait now, or None."""
        for name, check in (
            ("full-screen window", self._x.poll),
            ("notification server pause", self._server.poll),
            ("GNOME Do Not Disturb", self._gnome),
        ):
            reason = self._safely(name, check)
            if reason is not None:
                return reason
        return None

    def close(self) -> None:
        self._x.close()
        self._server.close()

    def _safely(self, name: str, check: Callable[[], str | None]) -> str | None:
        if self._clock() < self._retry_at.get(name, -float("inf")):
            return None
        try:
            return check()
        except Exception as exc:  # never hold prompts back because a check broke
            self._retry_at[name] = self._clock() + RETRY_S
            if name not in self._failed:
                self._failed.add(name)
                log.warning("cannot check for a %s (%s); prompts go ahead regardless", name, exc)
            else:
                log.debug("the %s check failed again: %s", name, exc)
            return None

    # -------------------------------------------------------------- GNOME

    def _gnome(self) -> str | None:
        now = self._clock()
        if now < self._gnome_until:
            return self._gnome_answer
        # Cache failures too: a broken gsettings must not start a process a second.
        self._gnome_answer, self._gnome_until = None, now + GNOME_CACHE_S
        if not self._on_gnome():
            return None
        res = self._run(
            ["gsettings", "get", "org.gnome.desktop.notifications", "show-banners"],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if res.returncode != 0:
            raise OSError(f"gsettings exited with {res.returncode}: {res.stderr.strip()}")
        if res.stdout.strip() == "false":
            self._gnome_answer = GNOME_DND
        return self._gnome_answer

    def _on_gnome(self) -> bool:
        desktops = self._env.get("XDG_CURRENT_DESKTOP", "").lower().split(":")
        path = self._env.get("PATH", os.defpath)
        return "gnome" in desktops and shutil.which("gsettings", path=path) is not None


class _FullscreenCheck:
    """Is the active X11 window full-screen? (EWMH, as every X11 window manager says it.)"""

    def __init__(self, display: str) -> None:
        self._name = display
        self._display: Any = None
        self._atoms: tuple[int, int, int] = (0, 0, 0)

    def poll(self) -> str | None:
        if not self._name:
            return None  # no X server (Wayland without XWayland, a console)
        from Xlib import Xatom
        from Xlib.error import XError

        display = self._open()
        active_atom, state_atom, fullscreen_atom = self._atoms
        try:
            active = display.screen().root.get_full_property(active_atom, Xatom.WINDOW)
            if active is None or not active.value or not active.value[0]:
                return None
            window = display.create_resource_object("window", int(active.value[0]))
            state = window.get_full_property(state_atom, Xatom.ATOM)
        except XError:
            return None  # the window closed between the two reads: not full-screen
        except Exception:
            self.close()  # the X connection broke: open a new one next time
            raise
        if state is not None and fullscreen_atom in state.value:
            return FULLSCREEN
        return None

    def _open(self) -> Any:
        if self._display is None:
            from Xlib import display as xdisplay

            self._display = xdisplay.Display(self._name)
            self._atoms = (
                self._display.intern_atom("_NET_ACTIVE_WINDOW"),
                self._display.intern_atom("_NET_WM_STATE"),
                self._display.intern_atom("_NET_WM_STATE_FULLSCREEN"),
            )
        return self._display

    def close(self) -> None:
        display, self._display = self._display, None
        if display is not None:
            with contextlib.suppress(Exception):
                display.close()


class _ServerPauseCheck:
    """Has the person paused their notification server? dunst and KDE Plasma say so."""

    def __init__(self, address: str, clock: Callable[[], float]) -> None:
        self._address = address
        self._clock = clock
        self._conn: Any = None
        self._switch: tuple[str, str, str] | None = None  # the one this server has
        self._probe_after = -float("inf")

    def poll(self) -> str | None:
        if not self._address:
            return None  # no session bus, no notification server to ask
        if self._switch is None:
            if self._clock() < self._probe_after:
                return None
            self._switch = self._probe()
            if self._switch is None:
                self._probe_after = self._clock() + REPROBE_S
                return None
        interface, prop, reason = self._switch
        value = self._get(interface, prop)
        if value is None:  # the server changed (dunst gave way to another)
            self._switch = None
            return None
        return reason if value else None

    def _probe(self) -> tuple[str, str, str] | None:
        for interface, prop, reason in _SERVER_SWITCHES:
            if self._get(interface, prop) is not None:
                return (interface, prop, reason)
        return None

    def _get(self, interface: str, prop: str) -> bool | None:
        """The property's value; None if the server has no such property."""
        from jeepney import DBusAddress, MessageFlag, Properties
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        msg = Properties(DBusAddress(_PATH, bus_name=_BUS_NAME, interface=interface)).get(prop)
        # Asking must not start a notification server that is not running.
        msg.header.flags |= MessageFlag.no_auto_start
        try:
            ((_signature, value),) = unwrap_msg(self._call(msg))
        except DBusErrorResponse as exc:
            if exc.name in _NOT_THERE:
                return None
            raise
        except Exception:
            self.close()  # reconnect next time
            raise
        return bool(value)

    def _call(self, msg: Any) -> Any:
        """Send a method call and wait, for a limited time, for its reply."""
        from jeepney import HeaderFields

        conn = self._connection()
        serial = next(conn.outgoing_serial)
        conn.send(msg, serial=serial)
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while True:  # skip the bus's own signals (NameAcquired) to reach the reply
            reply = conn.receive(timeout=max(0.0, deadline - time.monotonic()))
            if reply.header.fields.get(HeaderFields.reply_serial) == serial:
                return reply

    def _connection(self) -> Any:
        if self._conn is None:
            # Not jeepney.io.blocking: its Hello waits for the bus without a
            # time limit, and this runs on the daemon's loop.
            from jeepney.io.threading import open_dbus_connection

            self._conn = open_dbus_connection(self._address)
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
