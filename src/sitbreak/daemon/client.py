"""Asking the running monitor something: over the session bus, or the control socket.

`sitbreak status|pause|resume|snooze` use the D-Bus API where there is a
session bus with sitbreak on it, and the control socket otherwise (no
session bus: an ssh login, a container, a daemon started outside the
desktop session). Both are transports for the same request: it is checked
here first (`control.Request`) and again by the daemon with the same rules,
and the daemon answers both through one handler. docs/dbus-api.md says why
the socket stays.
"""

from __future__ import annotations

from typing import Any

from sitbreak.daemon import control
from sitbreak.errors import SitbreakError


def ask(cmd: str, seconds: float | None = None) -> dict[str, Any]:
    """The daemon's answer to one request (``{"ok": false, ...}`` included: callers check)."""
    request = control.Request(cmd, seconds)  # refuse a bad request before connecting
    from sitbreak.desktop.dbus_api import BusClient, NotOnBus

    try:
        with BusClient() as bus:
            return bus.request(request.cmd, request.seconds)
    except (NotOnBus, OSError, EOFError):  # no bus, no sitbreak on it, or the bus went away
        return control.request(request.cmd, request.seconds)
    except TimeoutError:
        raise SitbreakError(
            "sitbreak did not answer on the session bus in time; it may be busy or stuck"
        ) from None
