"""The sd_notify sender: datagrams to $NOTIFY_SOCKET, a no-op outside systemd."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from sitbreak.daemon.sdnotify import SdNotifier


@pytest.fixture
def listener(tmp_path: Path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield path, sock
    sock.close()


def test_lines_arrive_as_one_datagram(listener) -> None:
    path, sock = listener
    sd = SdNotifier({"NOTIFY_SOCKET": str(path)})
    sd.notify("READY=1", "STATUS=sitting for 5 min")
    assert sock.recv(4096) == b"READY=1\nSTATUS=sitting for 5 min"
    sd.close()


def test_an_abstract_socket_name_is_understood() -> None:
    name = f"sitbreak-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        SdNotifier({"NOTIFY_SOCKET": "@" + name}).notify("WATCHDOG=1")
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_outside_systemd_nothing_happens() -> None:
    sd = SdNotifier({})
    assert not sd.enabled
    assert sd.watchdog_s is None
    sd.notify("READY=1")  # no socket, no error


def test_the_watchdog_interval_is_ours_only_when_the_pid_matches() -> None:
    assert SdNotifier({"WATCHDOG_USEC": "30000000"}).watchdog_s == 30.0
    mine = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert SdNotifier(mine).watchdog_s == 30.0
    theirs = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}
    assert SdNotifier(theirs).watchdog_s is None


def test_a_vanished_socket_is_logged_once_never_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sd = SdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    sd.notify("READY=1")
    sd.notify("WATCHDOG=1")
    assert sum("cannot notify systemd" in r.message for r in caplog.records) == 1
