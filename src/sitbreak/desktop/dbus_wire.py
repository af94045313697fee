"""The few bytes of D-Bus that one method call needs: how the CLI's one-shot commands
(`sitbreak status|pause|resume|snooze`) talk to sitbreak on the session bus.

jeepney speaks D-Bus everywhere else in sitbreak (the service, the tray,
`status --follow`). But importing it, with the typing module it needs, costs
a command about 9 ms, a quarter of the 35 ms that `sitbreak status` may take
(status bars run it every few seconds: benchmarks/bench_startup.py), and a
one-shot call uses almost none of it. So this module does one thing:
connect to a bus as jeepney does (the first `unix:` address of
$DBUS_SESSION_BUS_ADDRESS, path or abstract; EXTERNAL authentication), say
Hello, and make method calls whose arguments are none or one double, reading
replies whose body is empty or one string, which is all sitbreak's methods
take and give (docs/io.github.sitbreak.Monitor1.xml). Anything else a reply
carries, or a message that does not parse, is a `WireError`, never a guess.
tests/desktop/test_dbus_wire.py checks both directions against jeepney's own
marshalling, and the end-to-end tests run it against a real dbus-daemon.

It imports no more than os, struct and _socket (the socket module's Python
layer builds enums at import: 3 ms a start).
"""

from __future__ import annotations

import _socket
import os
import struct
import time

# Message types and flags (the D-Bus specification, "Message Format").
METHOD_CALL = 1
METHOD_RETURN = 2
ERROR = 3
SIGNAL = 4
NO_AUTO_START = 0x2

# Header fields, by their codes.
_PATH = 1
_INTERFACE = 2
_MEMBER = 3
_ERROR_NAME = 4
_REPLY_SERIAL = 5
_DESTINATION = 6
_SIGNATURE = 8

#: Size and alignment of the fixed-size types a header field could hold.
_FIXED = {"y": 1, "b": 4, "n": 2, "q": 2, "i": 4, "u": 4, "h": 4, "x": 8, "t": 8, "d": 8}
#: Longest message read: far above any status, and bounded.
MAX_MESSAGE_BYTES = 1024 * 1024

_BUS = "org.freedesktop.DBus"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class WireError(OSError):
    """The bus said something this client does not take: a malformed message, a
    body of another type, a refused authentication, a closed connection."""


class Reply:
    """A method's answer: its body and, for an error, the error's name."""

    __slots__ = ("body", "error_name")

    def __init__(self, error_name: str | None, body: tuple[object, ...]) -> None:
        self.error_name = error_name
        self.body = body

    @property
    def is_error(self) -> bool:
        return self.error_name is not None


# ------------------------------------------------------------ addresses


def socket_address(address: str) -> str:
    """The first unix socket a D-Bus address names (jeepney's choice too): its
    path, or NUL and the name of an abstract one. ValueError when there is none."""
    for one in address.split(";"):
        transport, _, info = one.partition(":")
        if transport != "unix":
            continue
        keys: dict[str, str] = {}
        for pair in info.split(","):
            key, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"D-Bus address {one!r}: {pair!r} is not key=value")
            keys[key] = _unescape(value)
        if "abstract" in keys:
            return "\0" + keys["abstract"]
        if "path" in keys:
            return keys["path"]
    raise ValueError(f"no unix socket in the D-Bus address {address!r}")


def _unescape(value: str) -> str:
    """A D-Bus address value with its %XX escapes decoded."""
    first, *rest = value.split("%")
    out = [first]
    for part in rest:
        code = part[:2]
        if len(code) == 2 and all(c in _HEX_DIGITS for c in code):
            out.append(chr(int(code, 16)) + part[2:])
        else:
            out.append("%" + part)  # not an escape: kept as written, as jeepney does
    return "".join(out)


# ------------------------------------------------------------ marshalling


def _pad(length: int, alignment: int) -> bytes:
    return b"\0" * (-length % alignment)


def method_call(
    serial: int,
    member: str,
    signature: str = "",
    body: tuple[float, ...] = (),
    *,
    destination: str,
    path: str,
    interface: str | None,
    flags: int = 0,
) -> bytes:
    """One method call, little-endian; its body is nothing or one double ("d")."""
    if signature not in ("", "d") or len(body) != len(signature):
        raise ValueError(f"this client sends no arguments or one double, not {signature!r}")
    payload = struct.pack("<d", float(body[0])) if body else b""
    fields = bytearray()
    strings = [(_PATH, "o", path), (_INTERFACE, "s", interface), (_MEMBER, "s", member)]
    strings.append((_DESTINATION, "s", destination))
    for code, kind, value in strings:
        if value is None:
            continue
        raw = value.encode("utf-8")
        # Each field is a struct, so 8-aligned; the array starts at offset 16,
        # so an offset in `fields` has the message's own alignment.
        fields += _pad(len(fields), 8) + bytes((code, 1, ord(kind), 0))
        fields += struct.pack("<I", len(raw)) + raw + b"\0"
    if signature:
        fields += _pad(len(fields), 8) + bytes((_SIGNATURE, 1, ord("g"), 0))
        fields += bytes((len(signature),)) + signature.encode("ascii") + b"\0"
    header = b"l" + bytes((METHOD_CALL, flags, 1))
    header += struct.pack("<III", len(payload), serial, len(fields)) + fields
    return header + _pad(len(header), 8) + payload


class _Reader:
    """Reads values out of one message at offsets counted from its start."""

    __slots__ = ("data", "order", "pos")

    def __init__(self, data: bytes, order: str, pos: int) -> None:
        self.data = data
        self.order = order
        self.pos = pos

    def align(self, alignment: int) -> None:
        self.pos += -self.pos % alignment

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise WireError("a D-Bus message ends in the middle of a value")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def uint32(self) -> int:
        self.align(4)
        value: int = struct.unpack(self.order + "I", self.take(4))[0]
        return value

    def string(self) -> str:
        return self._text(self.uint32())

    def signature(self) -> str:
        return self._text(self.take(1)[0])

    def _text(self, length: int) -> str:
        raw = self.take(length + 1)
        if raw[-1] != 0:
            raise WireError("a D-Bus string is not terminated")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("a D-Bus string is not UTF-8") from None

    def skip_fixed(self, kind: str) -> None:
        size = _FIXED[kind]
        self.align(size)
        self.take(size)


def parse_message(data: bytes) -> tuple[int, dict[int, object], tuple[object, ...] | None]:
    """A whole message's type, header fields (by code) and body: a tuple for an
    empty body or one string, None for a body of any other signature."""
    if len(data) < 16 or data[:1] not in (b"l", b"B"):
        raise WireError("not a D-Bus message")
    order = "<" if data[:1] == b"l" else ">"
    kind = data[1]
    body_length, _serial, fields_length = struct.unpack(order + "III", data[4:16])
    reader = _Reader(data, order, 16)
    end = 16 + fields_length
    fields: dict[int, object] = {}
    while reader.pos < end:
        reader.align(8)
        (code,) = reader.take(1)
        sig = reader.signature()
        value: object
        if sig in ("s", "o"):
            value = reader.string()
        elif sig == "g":
            value = reader.signature()
        elif sig == "u":
            value = reader.uint32()
        elif sig in _FIXED:
            reader.skip_fixed(sig)  # a field this client has no use for
            continue
        else:
            raise WireError(f"a D-Bus header field of type {sig!r}")
        fields[code] = value
    if reader.pos != end:
        raise WireError("a D-Bus header's fields overrun their length")
    reader.align(8)
    if reader.pos + body_length != len(data):
        raise WireError("a D-Bus message's length does not match its header")
    signature = fields.get(_SIGNATURE, "")
    body: tuple[object, ...] | None
    if signature == "":
        body = ()
    elif signature == "s":
        body = (reader.string(),)
        if reader.pos != len(data):
            raise WireError("a D-Bus body is longer than its one string")
    else:
        body = None
    return kind, fields, body


def message_length(start: bytes) -> int:
    """The whole length of the message whose first 16 bytes are `start`."""
    order = "<" if start[:1] == b"l" else ">"
    body_length: int
    fields_length: int
    body_length, _serial, fields_length = struct.unpack(order + "III", start[4:16])
    header = 16 + fields_length
    return header + (-header % 8) + body_length


# ------------------------------------------------------------ the connection


class Connection:
    """A blocking connection to a bus that makes method calls one at a time.

    Connected and authenticated within `timeout` seconds (else TimeoutError);
    Hello is sent with the first call, so the two share the trip to the bus. A
    bus that does not answer Hello in time is a WireError, as one that cannot
    be reached is; a call that is not answered in time is a TimeoutError.
    """

    def __init__(self, address: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        self._buffer = b""
        self._serial = 0
        self._greeted = False  # the bus has answered Hello
        try:
            self._settimeout(deadline)
            self._sock.connect(socket_address(address))
            uid = str(os.geteuid()).encode("ascii").hex().encode("ascii")
            self._settimeout(deadline)
            self._sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n")
            line = self._auth_line(deadline)
            if not line.startswith(b"OK "):
                raise WireError(
                    f"the bus refused authentication: {line.decode('ascii', 'replace')}"
                )
            self._hello = self._next_serial()
            hello = method_call(
                self._hello, "Hello", destination=_BUS, path="/org/freedesktop/DBus", interface=_BUS
            )
            self._pending = b"BEGIN\r\n" + hello
        except BaseException:
            self._sock.close()
            raise

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call(
        self,
        member: str,
        signature: str = "",
        body: tuple[float, ...] = (),
        *,
        destination: str,
        path: str,
        interface: str,
        flags: int = 0,
        timeout: float,
    ) -> Reply:
        """Call a method and wait up to `timeout` seconds for its reply (TimeoutError)."""
        deadline = time.monotonic() + timeout
        serial = self._next_serial()
        message = method_call(
            serial,
            member,
            signature,
            body,
            destination=destination,
            path=path,
            interface=interface,
            flags=flags,
        )
        self._settimeout(deadline)
        self._sock.sendall(self._pending + message)
        self._pending = b""
        while True:
            try:
                kind, fields, reply_body = self._message(deadline)
            except TimeoutError:
                if not self._greeted:  # the bus itself, not whoever was called
                    raise WireError("the bus did not answer Hello in time") from None
                raise
            if kind not in (METHOD_RETURN, ERROR):
                continue  # NameAcquired and other signals the bus sends us
            answered = fields.get(_REPLY_SERIAL)
            name = fields.get(_ERROR_NAME) if kind == ERROR else None
            if answered == self._hello:
                if name is not None:
                    raise WireError(f"the bus refused Hello ({name})")
                self._greeted = True
                continue
            if answered != serial:
                continue
            if reply_body is None:
                if name is None:
                    raise WireError(f"{member} answered with a body of another type")
                reply_body = ()  # an error with more than a message: its name says it
            return Reply(None if name is None else str(name), reply_body)

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _settimeout(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        self._sock.settimeout(remaining)

    def _recv(self, deadline: float) -> None:
        self._settimeout(deadline)
        chunk = self._sock.recv(65536)
        if not chunk:
            raise WireError("the bus closed the connection")
        self._buffer += chunk

    def _auth_line(self, deadline: float) -> bytes:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > 4096:
                raise WireError("the bus's authentication line is too long")
            self._recv(deadline)
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line

    def _message(self, deadline: float) -> tuple[int, dict[int, object], tuple[object, ...] | None]:
        """The next message from the bus, parsed (`parse_message`)."""
        while len(self._buffer) < 16:
            self._recv(deadline)
        if self._buffer[:1] not in (b"l", b"B"):
            raise WireError("not a D-Bus message")
        length = message_length(self._buffer)
        if length > MAX_MESSAGE_BYTES:
            raise WireError(f"a D-Bus message of {length} bytes (over {MAX_MESSAGE_BYTES})")
        while len(self._buffer) < length:
            self._recv(deadline)
        data, self._buffer = self._buffer[:length], self._buffer[length:]
        return parse_message(data)
