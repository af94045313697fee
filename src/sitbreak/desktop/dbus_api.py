"""sitbreak on the session bus: `io.github.sitbreak.Monitor1` (docs/dbus-api.md).

The daemon owns the name ``io.github.sitbreak.Monitor1`` and serves one
object, ``/io/github/sitbreak/Monitor1``, with the interface of the same name
(`INTROSPECTION_XML`, a copy of docs/io.github.sitbreak.Monitor1.xml):
properties that say where things stand and emit ``PropertiesChanged`` when
they change, methods that pause, resume, snooze and take a break, and signals
for sessions, breaks and prompts.

The service is a transport, like the control socket: a method call becomes
the control protocol's request (``{"cmd": "pause", "seconds": 1800}``) and
goes to the daemon's one handler, which checks it with the socket's rules
(`sitbreak.daemon.control.request_from_json`) and answers on the loop's
thread. Properties are the status document (`sitbreak status --json`) in
D-Bus types (`properties_from_status`), sent only when they change, from the
loop's own turns: no thread here ever wakes up by itself.

Spoken with jeepney, like every other D-Bus conversation sitbreak has. The
client half, with the names, is `sitbreak.desktop.dbus_client`: what
`sitbreak status|pause|...` and `status --follow` use.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from sitbreak.desktop.dbus import HAVE_JEEPNEY, PROPERTIES, _reason
from sitbreak.desktop.dbus_client import (
    AUTH_TIMEOUT_S,
    BUS_NAME,
    CLIENT_TIMEOUT_S,
    INTERFACE,
    METHODS,
    OBJECT_PATH,
)

if TYPE_CHECKING:
    from sitbreak.core import Output

if HAVE_JEEPNEY:
    from jeepney import (
        DBusAddress,
        DBusErrorResponse,
        HeaderFields,
        Message,
        MessageFlag,
        MessageType,
        message_bus,
        new_error,
        new_method_return,
        new_signal,
    )

log = logging.getLogger("sitbreak.dbus_api")

#: Errors the service answers with.
ERROR_INVALID_ARGS: Final = "org.freedesktop.DBus.Error.InvalidArgs"
ERROR_FAILED: Final = "io.github.sitbreak.Monitor1.Error.Failed"
_UNKNOWN_METHOD: Final = "org.freedesktop.DBus.Error.UnknownMethod"
_UNKNOWN_OBJECT: Final = "org.freedesktop.DBus.Error.UnknownObject"
_UNKNOWN_PROPERTY: Final = "org.freedesktop.DBus.Error.UnknownProperty"
_UNKNOWN_INTERFACE: Final = "org.freedesktop.DBus.Error.UnknownInterface"
_READ_ONLY: Final = "org.freedesktop.DBus.Error.PropertyReadOnly"
_INTROSPECTABLE: Final = "org.freedesktop.DBus.Introspectable"
_PEER: Final = "org.freedesktop.DBus.Peer"
#: RequestName's answers (the D-Bus specification).
_PRIMARY_OWNER: Final = 1
_NAME_FLAG_DO_NOT_QUEUE: Final = 4
#: D-Bus number types a duration may arrive as (busctl and gdbus make ints
#: easily; the interface says "d"). The value is then checked like the socket's.
_NUMBER_SIGNATURES: Final = frozenset("ynqiuxtd")

INTROSPECTION_XML: Final = """\
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<!--
  io.github.sitbreak.Monitor1: sitbreak's sitting-time monitor on the session bus.
  Bus name io.github.sitbreak.Monitor1, object /io/github/sitbreak/Monitor1.
  Times are seconds since the Unix epoch (UTC); 0 means "none". Durations are seconds.
  See docs/dbus-api.md.
-->
<node name="/io/github/sitbreak/Monitor1">
  <interface name="io.github.sitbreak.Monitor1">
    <!-- sitting, idle, away, locked or suspended. -->
    <property name="State" type="s" access="read"/>
    <!-- When the open sitting session started; 0 outside a session. -->
    <property name="SessionStart" type="d" access="read"/>
    <!-- Seconds seated in the open session; 0 outside one. It grows all the
         time: PropertiesChanged carries it when its whole minute changes and
         with every other change (SessionStart gives the exact figure). -->
    <property name="SeatedSeconds" type="d" access="read"/>
    <!-- The sitting limit: seconds of sitting before the first move prompt
         ([prompts] move_after). SeatedSeconds / SittingLimit is how far in. -->
    <property name="SittingLimit" type="d" access="read"/>
    <!-- When the next prompt is due (it may be due already and held, while
         paused, snoozed or in quiet hours); 0 when none is scheduled. -->
    <property name="NextPromptAt" type="d" access="read"/>
    <!-- move, posture, stretch, hydrate, breathe or eyes; "" when none. -->
    <property name="NextPromptKind" type="s" access="read"/>
    <property name="Paused" type="b" access="read"/>
    <!-- When a pause ends; 0 when not paused or paused until Resume. -->
    <property name="PausedUntil" type="d" access="read"/>
    <!-- When a snooze ends; 0 when not snoozed. -->
    <property name="SnoozedUntil" type="d" access="read"/>
    <property name="InCall" type="b" access="read"/>
    <property name="Watching" type="b" access="read"/>
    <!-- Today's figures, as `sitbreak status - -json` gives them under "today":
         sitting_s, sessions, longest_session_s, breaks, prompts,
         prompts_heeded, ... (a key that has no value today is left out). -->
    <property name="Today" type="a{sv}" access="read"/>

    <!-- No prompts for `seconds` (0: until Resume); sitting is still measured.
         At most 7 days; negative, NaN or longer is InvalidArgs. -->
    <method name="Pause">
      <arg name="seconds" type="d" direction="in"/>
    </method>
    <!-- Prompts again: ends a pause and a snooze, both if both. -->
    <method name="Resume"/>
    <!-- Put the next prompts off by `seconds` (more than 0, at most 7 days). -->
    <method name="Snooze">
      <arg name="seconds" type="d" direction="in"/>
    </method>
    <!-- The person is taking a break now: the session ends after a short stillness. -->
    <method name="TakingABreak"/>
    <!-- The whole status as JSON: the document `sitbreak status - -json` prints. -->
    <method name="GetStatus">
      <arg name="status" type="s" direction="out"/>
    </method>

    <signal name="SessionStarted">
      <arg name="start" type="d"/>
    </signal>
    <!-- cause: idle, lock, suspend, break_now or shutdown. -->
    <signal name="SessionEnded">
      <arg name="start" type="d"/>
      <arg name="end" type="d"/>
      <arg name="cause" type="s"/>
    </signal>
    <signal name="BreakTaken">
      <arg name="start" type="d"/>
      <arg name="end" type="d"/>
      <arg name="cause" type="s"/>
    </signal>
    <!-- A prompt was shown: its kind, when, how long the person had sat, its level (1, 2, ...). -->
    <signal name="PromptDue">
      <arg name="kind" type="s"/>
      <arg name="at" type="d"/>
      <arg name="seated_seconds" type="d"/>
      <arg name="level" type="u"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="GetAll">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="properties" type="a{sv}" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg name="interface_name" type="s"/>
      <arg name="changed_properties" type="a{sv}"/>
      <arg name="invalidated_properties" type="as"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
</node>
"""

#: Property name -> its D-Bus signature, in the order the interface lists them.
PROPERTY_TYPES: Final = {
    "State": "s",
    "SessionStart": "d",
    "SeatedSeconds": "d",
    "SittingLimit": "d",
    "NextPromptAt": "d",
    "NextPromptKind": "s",
    "Paused": "b",
    "PausedUntil": "d",
    "SnoozedUntil": "d",
    "InCall": "b",
    "Watching": "b",
    "Today": "a{sv}",
}

Properties = dict[str, Any]


# ------------------------------------------------------------ status <-> properties


def _time(value: object) -> float:
    """An epoch time or None as a D-Bus double (0: none)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def _variant(value: object) -> tuple[str, Any] | None:
    """A JSON value as a D-Bus variant; None for what has no D-Bus form (null)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("x", value)
    if isinstance(value, float):
        return ("d", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, Mapping):
        return ("a{sv}", _variant_dict(value))
    return None


def _variant_dict(values: Mapping[str, object]) -> dict[str, tuple[str, Any]]:
    out = {}
    for key, value in values.items():
        v = _variant(value)
        if v is not None:
            out[str(key)] = v
    return out


def properties_from_status(status: Mapping[str, Any]) -> Properties:
    """The status document (`sitbreak status --json`) as the interface's property values."""
    session = status.get("session") or {}
    upcoming = status.get("next_prompt") or {}
    today = status.get("today") or {}
    return {
        "State": str(status.get("state", "")),
        "SessionStart": _time(session.get("start")),
        "SeatedSeconds": max(0.0, _time(session.get("seated_s"))),
        "SittingLimit": _time(status.get("sitting_limit_s")),
        "NextPromptAt": _time(upcoming.get("at")),
        "NextPromptKind": str(upcoming.get("kind", "")),
        "Paused": bool(status.get("paused")),
        "PausedUntil": _time(status.get("paused_until")),
        "SnoozedUntil": _time(status.get("snoozed_until")),
        "InCall": bool(status.get("in_call")),
        "Watching": bool(status.get("watching")),
        "Today": _variant_dict(today),
    }


def changed_properties(
    before: Properties, before_now: float, after: Properties, now: float
) -> dict[str, tuple[str, Any]]:
    """What PropertiesChanged should carry going from `before` (published at
    `before_now`) to `after` (at `now`).

    SeatedSeconds grows all the time: it counts as changed when its whole
    minute does, and travels with any other change. A prompt that is due
    already and held has NextPromptAt "now" on every turn: still the same.
    """
    names = [n for n in after if n not in _MOVING and after[n] != before.get(n)]
    at_before, at_after = before.get("NextPromptAt", 0.0), after["NextPromptAt"]
    held_before = 0 < at_before <= before_now
    held_after = 0 < at_after <= now
    if at_before != at_after and not (held_before and held_after):
        names.append("NextPromptAt")
    if names or after["SeatedSeconds"] // 60 != before.get("SeatedSeconds", 0.0) // 60:
        names.append("SeatedSeconds")
    return {n: (PROPERTY_TYPES[n], after[n]) for n in PROPERTY_TYPES if n in names}


#: Properties whose value moves with the clock; changed_properties judges them itself.
_MOVING: Final = frozenset({"SeatedSeconds", "NextPromptAt"})


def _output_signal(output: Output) -> tuple[str, str, tuple[Any, ...]] | None:
    """The signal (member, signature, body) an engine output is announced with."""
    # Here, not at the top: `sitbreak status` imports this module for its client.
    from sitbreak.core import BreakTaken, PromptDue, SessionEnded, SessionStarted

    if isinstance(output, SessionStarted):
        return ("SessionStarted", "d", (float(output.t),))
    if isinstance(output, SessionEnded):
        return ("SessionEnded", "dds", (float(output.start), float(output.end), output.cause.value))
    if isinstance(output, BreakTaken):
        return ("BreakTaken", "dds", (float(output.start), float(output.end), output.cause.value))
    if isinstance(output, PromptDue):
        return (
            "PromptDue",
            "sddu",
            (output.kind.value, float(output.t), float(output.seated_s), max(0, int(output.level))),
        )
    return None


# ------------------------------------------------------------ the service


def _wire_request(member: str, msg: Message) -> dict[str, Any] | str:
    """A method call as a control request, or why it cannot be one (InvalidArgs)."""
    cmd = METHODS[member]
    signature = msg.header.fields.get(HeaderFields.signature, "")
    takes_seconds = member in ("Pause", "Snooze")
    if not takes_seconds:
        if signature:
            return f"{member} takes no arguments, got signature {signature!r}"
        return {"cmd": cmd}
    if len(signature) != 1 or signature not in _NUMBER_SIGNATURES:
        return f"{member} takes one number of seconds (signature 'd'), got signature {signature!r}"
    (seconds,) = msg.body
    if member == "Pause" and seconds == 0:
        return {"cmd": cmd}  # 0: until Resume
    return {"cmd": cmd, "seconds": seconds}


class BusService:
    """An object (or a few) served on the session bus from one reading thread.

    `open(name)` connects, takes the well-known `name` and starts the thread;
    subclasses answer method calls in `_answer` (on that thread) and send
    signals with `send` from any thread (jeepney's threading connection locks
    its sends). A missing or lost bus is logged once, as `what` being off,
    and never raised: the daemon runs on without it.
    """

    what = "a D-Bus service"

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._conn: Any = None
        self._thread: threading.Thread | None = None
        self._machine_id: str | None = None
        #: Replies awaited by `call`, by serial, handed over by the reading thread.
        self._waiting: dict[int, _Reply] = {}
        self._waiting_lock = threading.Lock()

    def open(self, name: str) -> bool:
        """Connect and own `name`; False (and logged why) when that cannot be."""
        if not HAVE_JEEPNEY:
            log.info("no %s: jeepney is not installed", self.what)
            return False
        if not self._address:
            log.info("no %s: no session bus (DBUS_SESSION_BUS_ADDRESS is not set)", self.what)
            return False
        from jeepney.io.threading import open_dbus_connection

        try:
            conn = open_dbus_connection(self._address, auth_timeout=AUTH_TIMEOUT_S)
        except Exception as exc:  # a missing bus shows up as many exception types
            log.warning("no %s: cannot reach the session bus (%s)", self.what, _reason(exc))
            return False
        try:
            early = self._request_name(conn, name)
        except Exception as exc:
            log.warning("no %s: asking for %s failed (%s)", self.what, name, _reason(exc))
            conn.close()
            return False
        if early is None:
            log.warning("no %s: %s already has an owner on this bus", self.what, name)
            conn.close()
            return False
        self._conn = conn
        self._thread = threading.Thread(
            target=self._serve, args=(conn, early), name="sitbreak-dbus", daemon=True
        )
        self._thread.start()
        return True

    @staticmethod
    def _request_name(conn: Any, name: str) -> list[Message] | None:
        """Own `name`; the messages that came before the answer, or None if it is taken."""
        serial = next(conn.outgoing_serial)
        conn.send(message_bus.RequestName(name, _NAME_FLAG_DO_NOT_QUEUE), serial=serial)
        early: list[Message] = []
        while True:
            reply = conn.receive(timeout=CLIENT_TIMEOUT_S)
            if reply.header.fields.get(HeaderFields.reply_serial) != serial:
                early.append(reply)  # a call queued for us by activation, say
                continue
            if reply.header.message_type == MessageType.error:
                raise DBusErrorResponse(reply)
            return early if reply.body[0] == _PRIMARY_OWNER else None

    def call(self, msg: Message) -> Message | None:
        """Send a method call and wait for its reply on the reading thread's behalf.

        Only from other threads, before the reading thread needs the answer;
        None when there is no bus. Used for registering with another service.
        """
        conn = self._conn
        if conn is None:
            return None
        serial = next(conn.outgoing_serial)
        waiter = _Reply(serial)
        with self._waiting_lock:
            self._waiting[serial] = waiter
        try:
            conn.send(msg, serial=serial)
            return waiter.get(CLIENT_TIMEOUT_S)
        finally:
            with self._waiting_lock:
                self._waiting.pop(serial, None)

    def stop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(OSError):
            conn.close()  # interrupts the reading thread
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None

    def send(self, msg: Message) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            conn.send(msg)
        except OSError as exc:
            self._lost(exc)

    def _lost(self, exc: BaseException) -> None:
        if self._conn is not None:
            log.warning(
                "lost the session bus (%s): %s is off until sitbreak restarts",
                _reason(exc),
                self.what,
            )
            self._conn = None

    def _serve(self, conn: Any, early: list[Message]) -> None:
        from jeepney.io.threading import ReceiveStopped

        for msg in early:
            self._dispatch(conn, msg)
        while True:
            try:
                msg = conn.receive()
            except ReceiveStopped:
                return
            except Exception as exc:  # EOF, reset: the bus went away
                self._lost(exc)
                return
            try:
                self._dispatch(conn, msg)
            except OSError as exc:
                self._lost(exc)
                return
            except Exception:  # a bug of ours: answer nothing, keep serving
                log.exception("%s: failed on a message", self.what)

    def _dispatch(self, conn: Any, msg: Message) -> None:
        kind = msg.header.message_type
        if kind in (MessageType.method_return, MessageType.error):
            serial = msg.header.fields.get(HeaderFields.reply_serial)
            with self._waiting_lock:
                waiter = self._waiting.get(serial)
            if waiter is not None:
                waiter.set(msg)
            return
        if kind == MessageType.signal:
            self._signal(msg)
            return
        reply = self._answer_common(msg)
        if reply is None:
            reply = self._answer(msg)
        if not msg.header.flags & MessageFlag.no_reply_expected:
            conn.send(reply)

    def _answer_common(self, msg: Message) -> Message | None:
        """Peer's methods, which every object has."""
        interface = msg.header.fields.get(HeaderFields.interface)
        member = msg.header.fields.get(HeaderFields.member, "")
        if interface in (_PEER, None) and member == "Ping":
            return new_method_return(msg)
        if interface in (_PEER, None) and member == "GetMachineId":
            return new_method_return(msg, "s", (self._get_machine_id(),))
        return None

    def _answer(self, msg: Message) -> Message:
        raise NotImplementedError

    def _signal(self, msg: Message) -> None:
        """A signal a subclass asked for with AddMatch."""

    def _get_machine_id(self) -> str:
        if self._machine_id is None:
            for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
                try:
                    with open(path) as f:
                        self._machine_id = f.read().strip()
                    break
                except OSError:
                    continue
            else:
                self._machine_id = ""
        return self._machine_id


class _Reply:
    """A reply the reading thread hands to the thread that made the call."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        self._done = threading.Event()
        self._msg: Message | None = None

    def set(self, msg: Message) -> None:
        self._msg = msg
        self._done.set()

    def get(self, timeout: float) -> Message | None:
        self._done.wait(timeout)
        return self._msg


def properties_reply(
    msg: Message, tables: Mapping[str, Mapping[str, tuple[str, Any]] | None]
) -> Message:
    """Answer org.freedesktop.DBus.Properties from {interface: {name: (signature, value)}}
    (None: not ready yet). Every property sitbreak serves is read-only."""
    member = msg.header.fields.get(HeaderFields.member, "")
    signature = msg.header.fields.get(HeaderFields.signature, "")
    if member == "GetAll" and signature == "s":
        (iface,) = msg.body
        return new_method_return(msg, "a{sv}", (dict(tables.get(iface) or {}),))
    if member == "Get" and signature == "ss":
        iface, name = msg.body
        if iface not in tables:
            return new_error(msg, _UNKNOWN_INTERFACE, "s", (f"no interface {iface}",))
        table = tables[iface]
        if table is None:
            return new_error(msg, ERROR_FAILED, "s", ("sitbreak is starting",))
        if name not in table:
            return new_error(msg, _UNKNOWN_PROPERTY, "s", (f"no property {name}",))
        return new_method_return(msg, "v", (table[name],))
    if member == "Set":
        return new_error(msg, _READ_ONLY, "s", ("every property of sitbreak is read-only",))
    return new_error(
        msg, ERROR_INVALID_ARGS, "s", (f"{PROPERTIES}.{member} with signature {signature!r}",)
    )


class MonitorService(BusService):
    """The daemon's side: owns `BUS_NAME` on the session bus and serves `OBJECT_PATH`.

    Properties are set from the loop thread (`publish`), read from the bus thread.
    """

    name = "the D-Bus API"
    what = "D-Bus API"

    def __init__(self, address: str | None) -> None:
        super().__init__(address)
        self._handler: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._props: Properties | None = None  # what was last sent (or would have been)
        self._props_at = 0.0

    def start(self, handler: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
        self._handler = handler
        if self.open(BUS_NAME):
            log.info("serving %s on the session bus", BUS_NAME)

    # -- the loop's side

    def publish(self, now: float, status: Mapping[str, Any], outputs: Sequence[Output]) -> None:
        props = properties_from_status(status)
        with self._lock:
            before, before_now = self._props, self._props_at
            self._props, self._props_at = props, now
        if self._conn is None:
            return
        for output in outputs:
            sig = _output_signal(output)
            if sig is not None:
                self.send(new_signal(_emitter(INTERFACE), sig[0], sig[1], sig[2]))
        changed = {} if before is None else changed_properties(before, before_now, props, now)
        if changed:
            self.send(
                new_signal(
                    _emitter(PROPERTIES), "PropertiesChanged", "sa{sv}as", (INTERFACE, changed, [])
                )
            )

    # -- the bus thread

    def _answer(self, msg: Message) -> Message:
        fields = msg.header.fields
        path = fields.get(HeaderFields.path, "")
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member, "")
        if interface == _INTROSPECTABLE and member == "Introspect":
            xml = _introspect(path)
            if xml is not None:
                return new_method_return(msg, "s", (xml,))
        if path != OBJECT_PATH:
            return new_error(msg, _UNKNOWN_OBJECT, "s", (f"no object at {path}",))
        if interface == PROPERTIES:
            return self._properties_call(msg, member)
        if interface in (INTERFACE, None) and member in METHODS:
            return self._method_call(msg, member)
        if interface in (INTERFACE, None) and member == "GetStatus":
            return self._get_status(msg)
        return new_error(
            msg, _UNKNOWN_METHOD, "s", (f"no method {interface}.{member} on {OBJECT_PATH}",)
        )

    def _ask(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if self._handler is None:
            return {"ok": False, "error": "sitbreak is not ready"}
        return self._handler(body)

    def _method_call(self, msg: Message, member: str) -> Message:
        request = _wire_request(member, msg)
        if isinstance(request, str):
            return new_error(msg, ERROR_INVALID_ARGS, "s", (request,))
        response = self._ask(request)
        if not response.get("ok"):
            name = ERROR_INVALID_ARGS if response.get("invalid") else ERROR_FAILED
            return new_error(msg, name, "s", (str(response.get("error", "refused")),))
        return new_method_return(msg)

    def _get_status(self, msg: Message) -> Message:
        if msg.header.fields.get(HeaderFields.signature, ""):
            return new_error(msg, ERROR_INVALID_ARGS, "s", ("GetStatus takes no arguments",))
        response = self._ask({"cmd": "status"})
        if not response.get("ok"):
            return new_error(msg, ERROR_FAILED, "s", (str(response.get("error", "refused")),))
        return new_method_return(msg, "s", (json.dumps(response, allow_nan=False),))

    def _properties_call(self, msg: Message, member: str) -> Message:
        with self._lock:
            props = self._props
        table = None if props is None else {n: (PROPERTY_TYPES[n], props[n]) for n in props}
        return properties_reply(msg, {INTERFACE: table, "": table})


def _emitter(interface: str) -> DBusAddress:
    return DBusAddress(OBJECT_PATH, interface=interface)


def _introspect(path: str) -> str | None:
    """Our object's XML, or the nodes leading to it so tools can walk the tree."""
    if path == OBJECT_PATH:
        return INTROSPECTION_XML
    parts = [p for p in OBJECT_PATH.split("/") if p]
    here = [p for p in path.split("/") if p]
    if here == parts[: len(here)] and len(here) < len(parts):
        child = parts[len(here)]
        return (
            '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
            ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
            f'<node><node name="{child}"/></node>\n'
        )
    return None
