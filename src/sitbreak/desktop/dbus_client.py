"""The client half of sitbreak's D-Bus API, and its names (docs/dbus-api.md).

What `sitbreak status|pause|resume|snooze` (`request`) and `status --follow`
(`follow`, with jeepney's `BusClient`) use. Kept light: status bars run
`sitbreak status` every few seconds, so a request imports neither jeepney nor
typing (`sitbreak.desktop.dbus_wire` makes its calls; benchmarks/bench_startup.py).
The service is `sitbreak.desktop.dbus_api`.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any, Final

BUS_NAME: Final = "io.github.sitbreak.Monitor1"
INTERFACE: Final = BUS_NAME
OBJECT_PATH: Final = "/io/github/sitbreak/Monitor1"
PROPERTIES: Final = "org.freedesktop.DBus.Properties"
#: How long a client waits for the daemon's answer (the daemon's loop answers within 3 s).
CLIENT_TIMEOUT_S: Final = 5.0
AUTH_TIMEOUT_S: Final = 2.0
#: A method's D-Bus name and the control command it is.
METHODS: Final = {
    "Pause": "pause",
    "Resume": "resume",
    "Snooze": "snooze",
    "TakingABreak": "break",
}
_NOT_THERE: Final = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
)


def _plain(value: Any) -> Any:
    """A received variant's value with the variants inside it unwrapped."""
    if isinstance(value, dict):
        return {k: _plain(v[1] if _is_variant(v) else v) for k, v in value.items()}
    return value


def _is_variant(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)


def status_from_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """The properties (as received, variants unwrapped) back as a status document,
    the part of it the properties carry: what status-bar modules show."""

    def when(name: str) -> float | None:
        value = props.get(name)
        return float(value) if isinstance(value, int | float) and value > 0 else None

    start = when("SessionStart")
    session = None
    if start is not None:
        session = {"start": start, "seated_s": float(props.get("SeatedSeconds") or 0.0)}
    upcoming = None
    if props.get("NextPromptKind"):
        upcoming = {"kind": str(props["NextPromptKind"]), "at": when("NextPromptAt")}
    today = props.get("Today")
    return {
        "ok": True,
        "state": str(props.get("State") or "unknown"),
        "paused": bool(props.get("Paused")),
        "paused_until": when("PausedUntil"),
        "snoozed_until": when("SnoozedUntil"),
        "sitting_limit_s": float(props.get("SittingLimit") or 0.0),
        "session": session,
        "next_prompt": upcoming,
        "today": _plain(today) if isinstance(today, dict) else None,
        "in_call": bool(props.get("InCall")),
        "watching": bool(props.get("Watching")),
    }


class NotOnBus(Exception):
    """No session bus, or no sitbreak on it: the caller falls back or says so."""


def request(cmd: str, seconds: float | None = None, address: str | None = None) -> dict[str, Any]:
    """The control protocol's request, over the bus; answers as `control.request` does.

    NotOnBus when there is no session bus or no sitbreak on it (the caller
    falls back to the socket), TimeoutError when sitbreak does not answer in
    time; a refused call is ``{"ok": false, "error": ...}``, as the socket's is.
    """
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS") if address is None else address
    if not address:
        raise NotOnBus("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    from sitbreak.desktop.dbus_wire import NO_AUTO_START, Connection

    try:
        conn = Connection(address, AUTH_TIMEOUT_S)
    except Exception as exc:  # a missing bus shows up as many exception types
        raise NotOnBus(f"cannot reach the session bus ({type(exc).__name__}: {exc})") from None
    with conn:
        member = {v: k for k, v in METHODS.items()}.get(cmd)
        calls: list[tuple[str, str, tuple[float, ...]]] = []
        if member in ("Pause", "Snooze"):
            calls.append((member, "d", (0.0 if seconds is None else float(seconds),)))
        elif member is not None:
            calls.append((member, "", ()))
        calls.append(("GetStatus", "", ()))
        for name, signature, body in calls:
            reply = conn.call(
                name,
                signature,
                body,
                destination=BUS_NAME,
                path=OBJECT_PATH,
                interface=INTERFACE,
                flags=NO_AUTO_START,
                timeout=CLIENT_TIMEOUT_S,
            )
            if reply.error_name in _NOT_THERE:
                raise NotOnBus(f"{BUS_NAME} is not on the session bus")
            if reply.error_name is not None:
                said = reply.body[0] if reply.body and isinstance(reply.body[0], str) else None
                return {"ok": False, "error": reply.error_name if said is None else said}
    try:
        (text,) = reply.body
        status = json.loads(str(text))
    except ValueError:  # no string, or not JSON
        status = None
    if not isinstance(status, dict) or not isinstance(status.get("ok"), bool):
        from sitbreak.errors import SitbreakError

        raise SitbreakError("sitbreak answered GetStatus with something other than a status")
    return status


class BusClient:
    """A blocking connection to the session bus with jeepney, for `status --follow`."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("DBUS_SESSION_BUS_ADDRESS") if address is None else address
        if not address:
            raise NotOnBus("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            from jeepney.io.blocking import open_dbus_connection
        except ImportError:  # a Linux-only dependency
            raise NotOnBus("jeepney is not installed") from None
        try:
            self.conn = open_dbus_connection(address, auth_timeout=AUTH_TIMEOUT_S)
        except Exception as exc:  # a missing bus shows up as many exception types
            raise NotOnBus(f"cannot reach the session bus ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> BusClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call(
        self,
        member: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        *,
        interface: str = INTERFACE,
        auto_start: bool = False,
    ) -> tuple[Any, ...]:
        """Call a method on sitbreak's object; NotOnBus when sitbreak is not on the bus."""
        from jeepney import (
            DBusAddress,
            DBusErrorResponse,
            HeaderFields,
            MessageFlag,
            MessageType,
            new_method_call,
        )

        address = DBusAddress(OBJECT_PATH, BUS_NAME, interface)
        msg = new_method_call(address, member, signature, body)
        if not auto_start:
            msg.header.flags |= MessageFlag.no_auto_start
        reply = self.conn.send_and_get_reply(msg, timeout=CLIENT_TIMEOUT_S)
        if reply.header.message_type == MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "")
            if name in _NOT_THERE:
                raise NotOnBus(f"{BUS_NAME} is not on the session bus")
            raise DBusErrorResponse(reply)
        body_: tuple[Any, ...] = reply.body
        return body_

    def get_all(self) -> dict[str, Any]:
        (values,) = self.call("GetAll", "s", (INTERFACE,), interface=PROPERTIES)
        return {name: value[1] for name, value in values.items()}


def name_owner_changed(name: str) -> Any:
    """The match rule for `name` getting or losing its owner on the bus."""
    from jeepney import MatchRule

    rule = MatchRule(
        type="signal",
        sender="org.freedesktop.DBus",
        interface="org.freedesktop.DBus",
        member="NameOwnerChanged",
        path="/org/freedesktop/DBus",
    )
    rule.add_arg_condition(0, name)
    return rule


def follow(address: str | None = None) -> Iterator[dict[str, Any] | None]:
    """The status each time it changes: a status document (from the properties),
    or None while sitbreak is not on the bus. Driven by signals only; a daemon
    that restarts is picked up again when it takes its name back."""
    from jeepney import HeaderFields, MatchRule, MessageType, message_bus

    client = BusClient(address)
    conn = client.conn
    changes = MatchRule(
        type="signal",
        interface=PROPERTIES,
        member="PropertiesChanged",
        path=OBJECT_PATH,
    )
    changes.add_arg_condition(0, INTERFACE)
    for rule in (changes, name_owner_changed(BUS_NAME)):
        conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=CLIENT_TIMEOUT_S)
    try:
        props: dict[str, Any] | None
        try:
            props = client.get_all()
        except NotOnBus:
            props = None
        yield None if props is None else status_from_properties(props)
        while True:
            msg = conn.receive()
            fields = msg.header.fields
            if msg.header.message_type != MessageType.signal:
                continue
            member = fields.get(HeaderFields.member)
            if member == "NameOwnerChanged" and len(msg.body) == 3:
                _name, _old, new = msg.body
                if not new:
                    props = None
                    yield None
                else:
                    try:
                        props = client.get_all()
                    except NotOnBus:
                        continue
                    yield status_from_properties(props)
            elif member == "PropertiesChanged" and props is not None:
                _iface, changed, _invalidated = msg.body
                props.update({name: value[1] for name, value in changed.items()})
                yield status_from_properties(props)
    finally:
        client.close()
