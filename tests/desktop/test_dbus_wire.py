"""The CLI's few bytes of D-Bus (`sitbreak.desktop.dbus_wire`), checked against jeepney.

jeepney is the reference both ways: what this client writes, jeepney reads as
the same call; what jeepney writes (the daemon's replies are jeepney's), this
client reads. Then against a real dbus-daemon, and against buses that
misbehave: whatever comes, a `WireError` or a timeout, never a traceback or a hang.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jeepney import (
    DBusAddress,
    Endianness,
    HeaderFields,
    Message,
    MessageFlag,
    MessageType,
    Parser,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.bus import get_connectable_addresses

from desktop import dbus_bus
from sitbreak.desktop import dbus_wire
from sitbreak.desktop.dbus_client import BUS_NAME, INTERFACE, OBJECT_PATH
from sitbreak.desktop.dbus_wire import WireError

SITBREAK = {"destination": BUS_NAME, "path": OBJECT_PATH, "interface": INTERFACE}


def jeepney_reads(data: bytes) -> Message:
    (msg,) = Parser().feed(data)
    return msg


@pytest.mark.parametrize(
    ("member", "signature", "body"),
    [
        ("GetStatus", "", ()),
        ("Resume", "", ()),
        ("TakingABreak", "", ()),
        ("Pause", "d", (1800.0,)),
        ("Snooze", "d", (600.0,)),
        ("Pause", "d", (0.0,)),
        ("Pause", "d", (-1e308,)),
    ],
)
def test_a_call_is_the_call_jeepney_reads(
    member: str, signature: str, body: tuple[float, ...]
) -> None:
    data = dbus_wire.method_call(
        7, member, signature, body, flags=dbus_wire.NO_AUTO_START, **SITBREAK
    )
    msg = jeepney_reads(data)
    assert msg.header.message_type == MessageType.method_call
    assert msg.header.serial == 7
    assert msg.header.flags == MessageFlag.no_auto_start
    fields = msg.header.fields
    assert fields[HeaderFields.path] == OBJECT_PATH
    assert fields[HeaderFields.interface] == INTERFACE
    assert fields[HeaderFields.member] == member
    assert fields[HeaderFields.destination] == BUS_NAME
    assert fields.get(HeaderFields.signature, "") == signature
    assert msg.body == body
    # Byte for byte what jeepney writes for the same call.
    address = DBusAddress(OBJECT_PATH, BUS_NAME, INTERFACE)
    same = new_method_call(address, member, signature or None, body or None)
    same.header.flags = MessageFlag.no_auto_start
    assert jeepney_reads(same.serialise(7)).header.fields == fields
    assert len(same.serialise(7)) == len(data)


def test_names_in_other_scripts_travel_as_utf8() -> None:
    data = dbus_wire.method_call(
        1, "Größe", destination="io.example.Ünï", path="/io/example", interface="io.example.Ünï"
    )
    assert jeepney_reads(data).header.fields[HeaderFields.member] == "Größe"


def test_a_call_with_other_arguments_is_refused_before_it_is_sent() -> None:
    with pytest.raises(ValueError, match="no arguments or one double"):
        dbus_wire.method_call(1, "Pause", "s", ("30m",), **SITBREAK)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        dbus_wire.method_call(1, "Pause", "d", (), **SITBREAK)


def call() -> Message:
    return new_method_call(DBusAddress(OBJECT_PATH, BUS_NAME, INTERFACE), "GetStatus")


@pytest.mark.parametrize("endianness", [Endianness.little, Endianness.big])
def test_replies_jeepney_writes_are_read(endianness: Endianness) -> None:
    parent = call()
    parent.header.serial = 3
    cases = [
        (new_method_return(parent, "s", ('{"ok": true}',)), ('{"ok": true}',), None),
        (new_method_return(parent), (), None),
        (new_method_return(parent, "s", ("",)), ("",), None),
        (new_method_return(parent, "s", ("Ünïcödé · 34 min",)), ("Ünïcödé · 34 min",), None),
        (
            new_error(parent, "org.freedesktop.DBus.Error.InvalidArgs", "s", ("bad",)),
            ("bad",),
            "org.freedesktop.DBus.Error.InvalidArgs",
        ),
        (new_error(parent, "io.example.Error.Bare"), (), "io.example.Error.Bare"),
    ]
    for reply, body, error in cases:
        reply.header.endianness = endianness
        kind, fields, parsed = dbus_wire.parse_message(reply.serialise(9))
        assert kind == (dbus_wire.ERROR if error else dbus_wire.METHOD_RETURN)
        assert fields[5] == 3  # reply serial
        assert fields.get(4) == error
        assert parsed == body


def test_a_body_of_another_type_is_not_guessed_at() -> None:
    parent = call()
    parent.header.serial = 1
    for signature, body in (("a{sv}", ({"State": ("s", "sitting")},)), ("ss", ("a", "b"))):
        reply = new_method_return(parent, signature, body)
        assert dbus_wire.parse_message(reply.serialise(2))[2] is None
    # A signal's fields are read, whatever it carries.
    signal = new_signal(
        DBusAddress(OBJECT_PATH, interface=INTERFACE), "PromptDue", "sddu", ("move", 1.0, 2.0, 3)
    )
    kind, fields, body = dbus_wire.parse_message(signal.serialise(4))
    assert kind == dbus_wire.SIGNAL and fields[3] == "PromptDue" and body is None


def test_an_unknown_header_field_of_a_fixed_type_is_passed_over() -> None:
    parent = call()
    parent.header.serial = 5
    reply = new_method_return(parent, "s", ("hi",))
    # UNIX_FDS (9, "u") is one this client never uses.
    reply.header.fields[HeaderFields.unix_fds] = 0
    kind, fields, body = dbus_wire.parse_message(reply.serialise(6))
    assert (kind, fields[5], body) == (dbus_wire.METHOD_RETURN, 5, ("hi",))


def a_reply(text: str = "hi") -> bytes:
    parent = call()
    parent.header.serial = 1
    data: bytes = new_method_return(parent, "s", (text,)).serialise(2)
    return data


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda d: d[:20], "ends in the middle|length does not match"),
        (lambda d: b"x" + d[1:], "not a D-Bus message"),
        (lambda d: d[:12] + struct.pack("<I", 4000) + d[16:], "D-Bus"),
        (lambda d: d + b"\0" * 8, "length does not match"),
        (lambda d: d[:-1] + b"!", "not terminated"),
        (lambda d: d.replace(b"hi", b"\xff\xfe"), "not UTF-8"),
    ],
)
def test_a_damaged_message_is_a_wire_error(damage: object, said: str) -> None:
    with pytest.raises(WireError, match=said):
        dbus_wire.parse_message(damage(a_reply()))  # type: ignore[operator]


def parses_or_refuses(data: bytes) -> None:
    """A message, whole and typed as promised, or a WireError: never anything else."""
    try:
        kind, fields, body = dbus_wire.parse_message(data)
    except WireError:
        return
    assert 0 <= kind <= 255 and isinstance(fields, dict)
    assert body is None or body == () or (len(body) == 1 and isinstance(body[0], str))


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_a_wire_error(data: bytes) -> None:
    parses_or_refuses(data)


@given(st.integers(min_value=0, max_value=len(a_reply()) - 1), st.integers(0, 255))
def test_any_changed_byte_parses_or_is_a_wire_error(where: int, value: int) -> None:
    data = bytearray(a_reply())
    data[where] = value
    parses_or_refuses(bytes(data))


@pytest.mark.parametrize(
    "address",
    [
        "unix:path=/run/user/1000/bus",
        "unix:path=/tmp/dbus-abc,guid=0123456789abcdef0123456789abcdef",
        "unix:abstract=/tmp/dbus-XyZ,guid=0123",
        "tcp:host=localhost,port=1234;unix:path=/tmp/second",
        "unix:path=/tmp/with%20space%2cand%3Bmore",
        "unix:path=/tmp/100%",
        "unix:path=/tmp/a;unix:path=/tmp/b",
    ],
)
def test_the_socket_is_the_one_jeepney_connects_to(address: str) -> None:
    assert dbus_wire.socket_address(address) == next(get_connectable_addresses(address))


@pytest.mark.parametrize("address", ["tcp:host=localhost,port=1", "unix:tmpdir=/tmp", "nonsense"])
def test_an_address_without_a_unix_socket_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="no unix socket"):
        dbus_wire.socket_address(address)


# ------------------------------------------------------------ on a real bus


@pytest.mark.desktop
def test_calls_on_a_real_dbus_daemon() -> None:
    with dbus_bus() as bus, dbus_wire.Connection(bus.address, 2.0) as conn:
        reply = conn.call(
            "GetId",
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            timeout=5.0,
        )
        assert not reply.is_error
        (bus_id,) = reply.body
        assert isinstance(bus_id, str) and len(bus_id) == 32
        # Nobody owns sitbreak's name on this bus: the bus says so, by name.
        missing = conn.call("GetStatus", flags=dbus_wire.NO_AUTO_START, timeout=5.0, **SITBREAK)
        assert missing.error_name in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NameHasNoOwner",
        )
        # The connection carries on after an error: a second call on it.
        again = conn.call(
            "GetId",
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            timeout=5.0,
        )
        assert again.body == (bus_id,)


# ------------------------------------------------------------ buses that misbehave


@pytest.fixture
def fake_bus(tmp_path: Path) -> Iterator[tuple[str, list[bytes]]]:
    """A socket that answers authentication with whatever the test puts in `script`."""
    path = tmp_path / "bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    script: list[bytes] = []
    done = threading.Event()

    def serve() -> None:
        server.settimeout(5)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)  # the NUL byte and AUTH
            for chunk in script:
                conn.sendall(chunk)
            done.wait(10)  # then silence, until the test ends

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"unix:path={path}", script
    finally:
        done.set()
        server.close()
        thread.join(5)


def test_a_refused_authentication_is_a_wire_error(fake_bus: tuple[str, list[bytes]]) -> None:
    address, script = fake_bus
    script.append(b"REJECTED EXTERNAL\r\n")
    with pytest.raises(WireError, match="refused authentication: REJECTED EXTERNAL"):
        dbus_wire.Connection(address, 2.0)


def test_a_bus_that_never_answers_times_out_in_time(fake_bus: tuple[str, list[bytes]]) -> None:
    address, _ = fake_bus
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        dbus_wire.Connection(address, 0.5)
    assert time.monotonic() - started < 3


def test_a_bus_that_never_answers_hello_is_a_wire_error_in_time(
    fake_bus: tuple[str, list[bytes]],
) -> None:
    # Not "sitbreak did not answer": the bus did not, so the CLI tries the socket.
    address, script = fake_bus
    script.append(b"OK 0123456789abcdef0123456789abcdef\r\n")
    with dbus_wire.Connection(address, 2.0) as conn:
        started = time.monotonic()
        with pytest.raises(WireError, match="did not answer Hello"):
            conn.call("GetStatus", timeout=0.5, **SITBREAK)
        assert time.monotonic() - started < 3


def hello_reply() -> bytes:
    hello = new_method_call(
        DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus"),
        "Hello",
    )
    hello.header.serial = 1  # the connection's first message
    data: bytes = new_method_return(hello, "s", (":1.42",)).serialise(1)
    return data


def test_a_call_nobody_answers_times_out_in_time(fake_bus: tuple[str, list[bytes]]) -> None:
    address, script = fake_bus
    script.append(b"OK 0123456789abcdef0123456789abcdef\r\n" + hello_reply())
    with dbus_wire.Connection(address, 2.0) as conn:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            conn.call("GetStatus", timeout=0.5, **SITBREAK)
        assert time.monotonic() - started < 3


def test_a_bus_that_sends_garbage_after_begin_is_a_wire_error(
    fake_bus: tuple[str, list[bytes]],
) -> None:
    address, script = fake_bus
    script.append(b"OK 0123456789abcdef0123456789abcdef\r\n")
    script.append(b"HTTP/1.1 200 OK\r\n\r\n")
    with dbus_wire.Connection(address, 2.0) as conn, pytest.raises(WireError):
        conn.call("GetStatus", timeout=2.0, **SITBREAK)


def test_a_huge_message_is_refused_unread(fake_bus: tuple[str, list[bytes]]) -> None:
    address, script = fake_bus
    script.append(b"OK 0123456789abcdef0123456789abcdef\r\n")
    script.append(b"l\x02\x00\x01" + struct.pack("<III", 1 << 30, 1, 8))
    with dbus_wire.Connection(address, 2.0) as conn, pytest.raises(WireError, match="over"):
        conn.call("GetStatus", timeout=2.0, **SITBREAK)


def test_a_bus_that_hangs_up_is_an_os_error(tmp_path: Path) -> None:
    # Reset or closed, whichever the kernel says: an OSError, which the CLI
    # takes as "cannot reach the session bus" and falls back to the socket.
    path = tmp_path / "bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def hang_up() -> None:
        conn, _ = server.accept()
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        with pytest.raises(OSError):
            dbus_wire.Connection(f"unix:path={path}", 2.0)
    finally:
        thread.join(5)
        server.close()
