"""Small D-Bus helpers shared by every desktop signal and idle source (jeepney, blocking)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from sitbreak.desktop.source import SourceUnavailable

try:
    from jeepney import (
        DBusAddress,
        DBusErrorResponse,
        HeaderFields,
        MatchRule,
        Message,
        MessageFlag,
        message_bus,
        new_method_call,
    )
    from jeepney.io.blocking import DBusConnection, open_dbus_connection
    from jeepney.wrappers import unwrap_msg
except ImportError:  # a Linux-only dependency: elsewhere there is no D-Bus to ask
    HAVE_JEEPNEY = False
else:
    HAVE_JEEPNEY = True


log = logging.getLogger(__name__)

#: Where the system bus is when DBUS_SYSTEM_BUS_ADDRESS is not set (the D-Bus spec's default).
DEFAULT_SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket"

#: A bus that does not finish authenticating in this long is treated as missing.
AUTH_TIMEOUT_S = 2.0
#: A service that does not answer a method call in this long is treated as missing.
CALL_TIMEOUT_S = 2.0
#: How long stop() waits for each bus thread after unblocking it.
STOP_TIMEOUT_S = 2.0

PROPERTIES = "org.freedesktop.DBus.Properties"
LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
LOGIND_SESSION = "org.freedesktop.login1.Session"
#: logind resolves this to the caller's session for method calls, but signals
#: carry the real path, so it is only the last resort.
LOGIND_SESSION_AUTO = "/org/freedesktop/login1/session/auto"

GNOME_SESSION_MANAGER = "org.gnome.SessionManager"
GNOME_SESSION_MANAGER_PATH = "/org/gnome/SessionManager"
#: GsmInhibitorFlag: 8 is "idle" (the session must not be marked idle).
GNOME_INHIBIT_IDLE = 8


@dataclass(frozen=True, slots=True)
class ScreenSaverService:
    """A screen saver service: its bus name doubles as its interface name."""

    name: str
    paths: tuple[str, ...]


#: KDE (and others following freedesktop) and GNOME. KDE exports the same
#: object at two paths and signals on both, one more reason to de-duplicate.
SCREENSAVERS = (
    ScreenSaverService(
        "org.freedesktop.ScreenSaver", ("/ScreenSaver", "/org/freedesktop/ScreenSaver")
    ),
    ScreenSaverService("org.gnome.ScreenSaver", ("/org/gnome/ScreenSaver",)),
)
_SCREENSAVER_NAMES = frozenset(s.name for s in SCREENSAVERS)

# --------------------------------------------------------------- D-Bus helpers


def _method(
    address: DBusAddress, member: str, signature: str | None = None, body: tuple[Any, ...] = ()
) -> Message:
    """A method call that never starts a service just because we asked it something."""
    msg = new_method_call(address, member, signature, body)
    msg.header.flags |= MessageFlag.no_auto_start
    return msg


def _logind_manager() -> DBusAddress:
    return DBusAddress(LOGIND_PATH, LOGIND, LOGIND_MANAGER)


def _call(conn: DBusConnection, msg: Message) -> tuple[Any, ...]:
    """Send and wait for the reply body; DBusErrorResponse or TimeoutError on failure."""
    body: tuple[Any, ...] = unwrap_msg(conn.send_and_get_reply(msg, timeout=CALL_TIMEOUT_S))
    return body


def _add_match(conn: DBusConnection, rule: MatchRule) -> None:
    _call(conn, message_bus.AddMatch(rule))


def _name_has_owner(conn: DBusConnection, name: str) -> bool:
    return bool(_call(conn, message_bus.NameHasOwner(name))[0])


def _get_property(conn: DBusConnection, bus_name: str, path: str, interface: str, name: str) -> Any:
    msg = _method(DBusAddress(path, bus_name, PROPERTIES), "Get", "ss", (interface, name))
    (variant,) = _call(conn, msg)
    return _variant_value(variant)


def _variant_value(variant: Any) -> Any:
    """jeepney gives a variant as (signature, value); anything else is malformed."""
    if isinstance(variant, tuple) and len(variant) == 2 and isinstance(variant[0], str):
        return variant[1]
    raise ValueError(f"not a variant: {variant!r}")


def _single_bool(body: tuple[Any, ...]) -> bool | None:
    """The one boolean argument of a signal or reply, or None if it is not that."""
    if len(body) == 1 and isinstance(body[0], bool):
        return body[0]
    return None


def _describe_message(msg: Message) -> str:
    fields = msg.header.fields
    return (
        f"{fields.get(HeaderFields.interface)}.{fields.get(HeaderFields.member)}"
        f" on {fields.get(HeaderFields.path)} from {fields.get(HeaderFields.sender)}"
    )


def _reason(exc: BaseException) -> str:
    """Why a bus could not be used, as people read it: "No such file or directory"
    for a socket that is not there, not "FileNotFoundError: [Errno 2] No such ..."."""
    if isinstance(exc, DBusErrorResponse):
        return str(exc.name)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _find_session(conn: DBusConnection) -> tuple[str, str]:
    """Our logind session's object path, and how it was found.

    Signals carry the real path, so /session/auto (which logind resolves only
    for method calls) is the last resort. A daemon run as a systemd user
    service is in no session itself: then GetSession("auto") finds the user's
    graphical session.
    """
    attempts: list[tuple[str, str, Any, str]] = []
    session_id = os.environ.get("XDG_SESSION_ID")
    if session_id:
        attempts.append(("GetSession", "s", session_id, f"XDG_SESSION_ID={session_id}"))
    attempts.append(("GetSessionByPID", "u", os.getpid(), "by our PID"))
    attempts.append(("GetSession", "s", "auto", "logind's 'auto' session"))
    for member, signature, arg, how in attempts:
        msg = _method(_logind_manager(), member, signature, (arg,))
        try:
            (path,) = _call(conn, msg)
        except (DBusErrorResponse, TimeoutError, ValueError) as exc:
            log.debug("logind %s(%r): %s", member, arg, _reason(exc))
            continue
        if isinstance(path, str) and path.startswith("/"):
            return path, how
    return LOGIND_SESSION_AUTO, "no session found; lock changes may go unseen"


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
