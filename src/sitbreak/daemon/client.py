"""Asking the running monitor something: over the session bus, or the control socket.

`sitbreak status|pause|resume|snooze` use the D-Bus API where there is a
session bus with sitbreak on it, and the control socket otherwise (no
session bus: an ssh login, a container, a daemon started outside the
desktop session). Both are transports for the same request, which the
daemon checks with one function (`control.request_from_json`) and answers
through one handler; a refused request comes back with the same message
either way. docs/dbus-api.md says why the socket stays.

The bus path imports no more than it needs: `sitbreak status` is run by
status bars every few seconds.
"""

from __future__ import annotations

from sitbreak.errors import SitbreakError

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    from typing import Any


def ask(cmd: str, seconds: float | None = None) -> dict[str, Any]:
    """The daemon's answer to one request (``{"ok": false, ...}`` included: callers check)."""
    from sitbreak.desktop.dbus_client import NotOnBus, request

    try:
        return request(cmd, seconds)
    except TimeoutError:  # before OSError, which it is
        raise SitbreakError(
            "sitbreak did not answer on the session bus in time; it may be busy or stuck"
        ) from None
    except (NotOnBus, OSError, EOFError):  # no bus, no sitbreak on it, or the bus went away
        pass
    from sitbreak.daemon import control

    return control.request(cmd, seconds)
