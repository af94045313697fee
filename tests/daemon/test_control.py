"""The control socket: protocol round trips, robustness against bad clients, status text."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import select
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitbreak.daemon import control
from sitbreak.daemon.control import (
    AlreadyRunning,
    ControlServer,
    DaemonNotRunning,
    ProtocolError,
    Request,
    format_status,
    parse_request,
)
from sitbreak.errors import SitbreakError

# Short enough that tests which wait for a server-side timeout stay fast.
READ_TIMEOUT = 0.3


class Recorder:
    """A handler that remembers every request and echoes it back."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> dict[str, Any]:
        self.requests.append(request)
        return {"ok": True, "cmd": request.cmd, "seconds": request.seconds}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[ControlServer]:
    srv = ControlServer(control.socket_path(), recorder, read_timeout=READ_TIMEOUT)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _connect(path: Path, timeout: float = 2.0) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    conn.connect(str(path))
    return conn


def _recv_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def exchange(path: Path, data: bytes) -> dict[str, Any]:
    """Send raw bytes, read the whole answer (the server closes after one), decode it."""
    with _connect(path) as conn:
        conn.sendall(data)
        raw = _recv_all(conn)
    assert raw.endswith(b"\n"), raw
    answer: dict[str, Any] = json.loads(raw)
    return answer


def _dead_socket(path: Path) -> None:
    """Leave a socket file behind with nobody listening, as a crashed daemon does."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    ("cmd", "seconds"),
    [("status", None), ("pause", 1800), ("pause", None), ("resume", None), ("snooze", 600.5)],
)
def test_each_command_round_trips(
    server: ControlServer, recorder: Recorder, cmd: str, seconds: float | None
) -> None:
    answer = control.request(cmd, seconds)
    expected = None if seconds is None else float(seconds)
    assert answer == {"ok": True, "cmd": cmd, "seconds": expected}
    assert recorder.requests == [Request(cmd, expected)]


def test_socket_path_is_in_the_runtime_dir_and_looking_it_up_creates_nothing(
    sitbreak_home: Path,
) -> None:
    path = control.socket_path()
    assert path == sitbreak_home / "run" / "control.sock"
    assert not path.parent.exists()


def test_socket_is_0600_in_a_0700_dir_whatever_the_umask(
    umask_022: None, recorder: Recorder
) -> None:
    path = control.socket_path()
    with ControlServer(path, recorder):
        assert stat.S_ISSOCK(path.lstat().st_mode)
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        # The umask is tightened only around bind(), then put back.
        assert os.umask(0o022) == 0o022


def test_socket_is_never_wider_than_0600_even_before_chmod(
    umask_022: None, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With chmod disabled, what is left is the mode bind() created the file with.
    monkeypatch.setattr(Path, "chmod", lambda self, mode: None)
    path = control.socket_path()
    with ControlServer(path, recorder):
        assert _mode(path) == 0o600


def test_the_socket_appears_only_once_it_listens(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client that finds the file must be able to connect: seen as "sitbreak
    # is not running" from `sitbreak status` run right after the daemon started.
    path = control.socket_path()
    seen_at_listen: list[bool] = []

    class Watched(socket.socket):
        def listen(self, *args: Any) -> None:
            seen_at_listen.append(path.exists())
            super().listen(*args)

    monkeypatch.setattr(socket, "socket", Watched)
    with ControlServer(path, recorder):
        assert seen_at_listen == [False]
        assert stat.S_ISSOCK(path.lstat().st_mode)
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no staging name left
        assert control.request("status")["ok"] is True


def test_a_socket_path_at_the_length_limit_still_works(tmp_path: Path, recorder: Recorder) -> None:
    # The staging name must not be longer than the final one (108 bytes in all).
    base = tmp_path / "r"
    path = base / ("d" * (107 - len(str(base)) - len("/") - len("/control.sock"))) / "control.sock"
    assert len(str(path)) == 107
    with ControlServer(path, recorder):
        assert stat.S_ISSOCK(path.lstat().st_mode)


def test_stop_removes_the_socket_and_clients_then_see_no_daemon(server: ControlServer) -> None:
    server.stop()
    assert not server.path.exists()
    server.stop()  # a second stop is harmless
    with pytest.raises(DaemonNotRunning):
        control.request("status")


def test_stop_leaves_a_newer_daemons_socket_alone(recorder: Recorder) -> None:
    path = control.socket_path()
    old = ControlServer(path, recorder)
    old.start()
    path.unlink()  # as if a newer daemon had taken over the path
    with ControlServer(path, recorder):
        old.stop()
        assert path.exists()
        assert control.request("status")["ok"] is True


def test_handler_calls_never_overlap(recorder: Recorder) -> None:
    active = 0
    most = 0
    lock = threading.Lock()

    def slow(request: Request) -> dict[str, Any]:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.1)
        with lock:
            active -= 1
        return {"ok": True}

    answers: list[dict[str, Any]] = []
    with ControlServer(control.socket_path(), slow):
        clients = [
            threading.Thread(target=lambda: answers.append(control.request("status")))
            for _ in range(3)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=3)
    assert answers == [{"ok": True}] * 3
    assert most == 1


# ---------------------------------------------------------------- no daemon, stale, live


def test_no_daemon_gives_a_friendly_message(sitbreak_home: Path) -> None:
    with pytest.raises(DaemonNotRunning) as info:
        control.request("status")
    message = str(info.value)
    assert "the monitor is not running" in message
    assert str(control.socket_path()) in message
    assert "`sitbreak run`" in message  # nothing installed here: run it, or install it
    assert "`sitbreak service install`" in message


def test_how_to_start_it_follows_what_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitbreak import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert "`sitbreak service install`" in control.start_hint()
    # Installed without systemd: the desktop starts it at login.
    entry = autostart.autostart_path()
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\n")
    assert control.start_hint() == (
        "It starts with your desktop session (autostart entry); to start it now: `sitbreak run &`."
    )
    # The user service is there: the service manager starts it, not a terminal.
    unit = autostart.user_unit_dir() / autostart.UNIT_NAME
    unit.parent.mkdir(parents=True)
    unit.write_text("[Unit]\n")
    assert control.start_hint() == (
        "Start it with `systemctl --user start sitbreak` (the service is installed)."
    )
    # A relative XDG_CONFIG_HOME is ignored, as the spec says and autostart does.
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert "`sitbreak service install`" in control.start_hint()


def test_socket_file_with_nobody_listening_is_not_running() -> None:
    path = control.socket_path()
    _dead_socket(path)
    with pytest.raises(DaemonNotRunning, match="sitbreak run"):
        control.request("status")


def test_stale_socket_is_replaced(recorder: Recorder) -> None:
    path = control.socket_path()
    _dead_socket(path)
    # Binding over the old file would fail (EADDRINUSE): answering proves it was replaced.
    with ControlServer(path, recorder):
        assert control.request("resume") == {"ok": True, "cmd": "resume", "seconds": None}


def test_live_socket_raises_already_running(server: ControlServer, recorder: Recorder) -> None:
    second = ControlServer(server.path, recorder)
    with pytest.raises(AlreadyRunning, match="already running"):
        second.start()
    # The first daemon is untouched: its socket is still there and answers.
    assert control.request("status")["ok"] is True


def test_a_file_that_is_not_a_socket_is_not_deleted(recorder: Recorder) -> None:
    path = control.socket_path()
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_text("precious")
    with pytest.raises(SitbreakError, match="not a socket"):
        ControlServer(path, recorder).start()
    assert path.read_text() == "precious"


# ---------------------------------------------------------------- bad requests

BIG = control.MAX_REQUEST_BYTES


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"hello\n", "invalid JSON"),
        (b"\xff\xfe\n", "not valid UTF-8"),
        (b"[1, 2]\n", "must be a JSON object, not an array"),
        (b'"status"\n', "must be a JSON object, not a string"),
        (b"null\n", "must be a JSON object, not null"),
        (b"[" * 60000 + b"\n", "invalid JSON"),
        (b"{}\n", "needs a string 'cmd'"),
        (b'{"cmd": 3}\n', "needs a string 'cmd'"),
        (b'{"cmd": "reboot"}\n', "unknown command 'reboot'"),
        (b'{"cmd": "pause", "secs": 600}\n', "unknown field(s): secs"),
        (b'{"cmd": "snooze"}\n', "snooze needs 'seconds'"),
        (b'{"cmd": "status", "seconds": 5}\n', "status takes no 'seconds'"),
        (b'{"cmd": "snooze", "seconds": -5}\n', "must be positive"),
        (b'{"cmd": "snooze", "seconds": 0}\n', "must be positive"),
        (b'{"cmd": "snooze", "seconds": NaN}\n', "NaN is not allowed"),
        (b'{"cmd": "pause", "seconds": Infinity}\n', "Infinity is not allowed"),
        (b'{"cmd": "pause", "seconds": 1e999}\n', "finite"),
        (b'{"cmd": "pause", "seconds": 1' + b"0" * 400 + b"}\n", "finite"),
        (b'{"cmd": "pause", "seconds": 1' + b"0" * 5000 + b"}\n", "invalid JSON"),
        (b'{"cmd": "snooze", "seconds": "600"}\n', "must be a number, not str"),
        (b'{"cmd": "snooze", "seconds": true}\n', "must be a number, not bool"),
        (b'{"cmd": "pause", "seconds": 604801}\n', "at most 604800"),
        (b"x" * (BIG + 1) + b"\n", "request too large"),
        (
            b"x" * (BIG + 100),  # no newline: the server stops reading at the limit
            "request too large",
        ),
        (b'{"cmd": "status"}', "missing \\n"),  # EOF (below) before the newline
    ],
)
def test_bad_requests_get_an_error_and_the_server_carries_on(
    server: ControlServer, recorder: Recorder, raw: bytes, error: str
) -> None:
    with _connect(server.path) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)
        answer = json.loads(_recv_all(conn))
    assert answer["ok"] is False
    assert error in answer["error"]
    assert recorder.requests == []
    assert control.request("status") == {"ok": True, "cmd": "status", "seconds": None}


def test_request_of_exactly_the_limit_is_accepted(server: ControlServer) -> None:
    body = b'{"cmd": "status"}'
    raw = body + b" " * (BIG - len(body)) + b"\n"
    assert exchange(server.path, raw)["ok"] is True


def test_bytes_after_the_newline_are_ignored(server: ControlServer, recorder: Recorder) -> None:
    assert exchange(server.path, b'{"cmd": "resume"}\n{"cmd": "status"}\n')["cmd"] == "resume"
    assert [r.cmd for r in recorder.requests] == ["resume"]


def test_a_stalled_client_does_not_block_another(recorder: Recorder) -> None:
    # A read timeout far beyond the client's: the second request only succeeds
    # if it is served while the first connection is still stalled.
    with ControlServer(control.socket_path(), recorder, read_timeout=5.0) as srv:
        with _connect(srv.path) as stalled:
            stalled.sendall(b'{"cmd": "sta')
            result: list[dict[str, Any]] = []
            other = threading.Thread(target=lambda: result.append(control.request("status")))
            other.start()
            other.join(timeout=1.0)
            assert result == [{"ok": True, "cmd": "status", "seconds": None}]
            stalled.setblocking(False)
            with pytest.raises(BlockingIOError):
                stalled.recv(1)  # still waiting on its request: nothing sent yet
        # stop() must not wait for the stalled connection's 5 s either.
        started = time.monotonic()
        srv.stop()
        assert time.monotonic() - started < 1.0


def test_a_stalled_client_is_answered_with_a_timeout(server: ControlServer) -> None:
    started = time.monotonic()
    with _connect(server.path) as conn:
        conn.sendall(b'{"cmd": "status"')
        answer = json.loads(_recv_all(conn))
    assert answer == {"ok": False, "error": "timed out waiting for a complete request line"}
    assert time.monotonic() - started < READ_TIMEOUT + 1.0


def test_trickling_a_byte_at_a_time_does_not_extend_the_deadline(server: ControlServer) -> None:
    started = time.monotonic()
    with _connect(server.path) as conn:
        # Each byte arrives well within READ_TIMEOUT of the last; the server must
        # still give up READ_TIMEOUT after the connection opened, not after the last byte.
        while time.monotonic() - started < 3 * READ_TIMEOUT:
            with contextlib.suppress(OSError):  # the server may have closed already
                conn.sendall(b" ")
            if select.select([conn], [], [], 0.02)[0]:
                break
        answered_after = time.monotonic() - started
        answer = json.loads(_recv_all(conn))
    assert "timed out" in answer["error"]
    assert answered_after < 2 * READ_TIMEOUT


# ---------------------------------------------------------------- handler failures


def test_handler_exception_is_an_internal_error_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    def flaky(request: Request) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("boom")
        return {"ok": True}

    caplog.set_level(logging.ERROR, logger="sitbreak.control")
    with ControlServer(control.socket_path(), flaky):
        assert control.request("status") == {"ok": False, "error": "internal error"}
        assert control.request("status") == {"ok": True}
    [record] = caplog.records
    assert record.name == "sitbreak.control"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)


@pytest.mark.parametrize(
    "bad",
    [{"state": "sitting"}, {"ok": "yes"}, {"ok": True, "x": {1, 2}}, {"ok": True, "x": 1e999}],
)
def test_unusable_handler_answer_is_an_internal_error(bad: dict[str, Any]) -> None:
    with ControlServer(control.socket_path(), lambda request: bad):
        assert control.request("status") == {"ok": False, "error": "internal error"}


# ---------------------------------------------------------------- client side


def test_client_validates_before_connecting() -> None:
    # No daemon runs: a ProtocolError (not DaemonNotRunning) proves no connection was tried.
    with pytest.raises(ProtocolError, match="positive"):
        control.request("snooze", -1)
    with pytest.raises(ProtocolError, match="unknown command"):
        control.request("reboot")


def test_client_times_out_when_the_daemon_does_not_answer() -> None:
    path = control.socket_path()
    path.parent.mkdir(mode=0o700, parents=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
        mute.bind(str(path))
        mute.listen()  # connections are queued but never read or answered
        with pytest.raises(SitbreakError, match=r"did not answer within 0\.2 s"):
            control.request("status", timeout=0.2)


@pytest.mark.parametrize(
    ("answer", "error"),
    [(b"nonsense\n", "invalid JSON"), (b"[true]\n", "other than a response"), (b"", "bad answer")],
)
def test_client_rejects_a_garbled_answer(answer: bytes, error: str) -> None:
    path = control.socket_path()
    path.parent.mkdir(mode=0o700, parents=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as fake:
        fake.bind(str(path))
        fake.listen()

        def reply() -> None:
            conn, _ = fake.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(answer)

        thread = threading.Thread(target=reply)
        thread.start()
        with pytest.raises(SitbreakError, match=error):
            control.request("status", timeout=2.0)
        thread.join(timeout=2.0)


def test_parse_request_normalises_seconds_to_float() -> None:
    request = parse_request(b'{"cmd": "pause", "seconds": 1800}\n')
    assert request == Request("pause", 1800.0)
    assert isinstance(request.seconds, float)
    assert parse_request(b'{"cmd": "pause"}') == Request("pause", None)
    assert parse_request(b'{"cmd": "snooze", "seconds": 604800}').seconds == 604800.0


# ---------------------------------------------------------------- status text

NOW = dt.datetime(2024, 6, 3, 10, 54, 30, tzinfo=dt.timezone.utc).timestamp()
MIN = 60.0


def _status(**changes: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "ok": True,
        "state": "sitting",
        "paused_until": None,
        "session": {"start": NOW - 42 * MIN, "seated_s": 42 * MIN + 30},
        "next_prompt": {
            "kind": "move",
            "at": NOW + 30 * MIN,
            "why": "30 min of continuous sitting",
        },
        "today": {
            "sitting_s": 190 * MIN,
            "sessions": 6,
            "longest_session_s": 55 * MIN,
            "breaks": 5,
            "prompts": 7,
            "prompts_heeded": 3,
            "prompts_by_kind": {"move": 5, "posture": 2},
        },
        "in_call": False,
        "watching": False,
        "source": "x11-idle",
        "since": NOW - 42 * MIN,
    }
    status.update(changes)
    return status


def test_format_status_sitting() -> None:
    assert format_status(_status(), now=NOW, tz=dt.timezone.utc) == (
        "Sitting for 42 min 30 s (since 10:12). "
        "Next: stand up and move at 11:24 (30 min of continuous sitting).\n"
        "Today: 3 h 10 sitting in 6 sessions, longest 55 min, 5 breaks, 7 prompts "
        "(got up after 3 of 5 movement reminders)."
    )


def test_status_tells_times_in_the_monitors_zone_and_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """[general] timezone = "Asia/Tokyo" on a UTC machine: the journal said "session
    started at 19:12", `sitbreak status` "since 10:12", neither naming its zone."""
    monkeypatch.setenv("TZ", "UTC")
    text = format_status(_status(tz="Asia/Tokyo"), now=NOW)
    assert text.startswith(
        "Sitting for 42 min 30 s (since 19:12). Next: stand up and move at 20:24"
    )
    assert text.endswith("\nTimes are Asia/Tokyo time, the [general] timezone of your config.")
    # The machine's own zone: nothing to say.
    assert "Times are" not in format_status(_status(tz="UTC"), now=NOW)
    assert "(since 10:12)" in format_status(_status(tz="UTC"), now=NOW)


def test_todays_sitting_goes_on_while_one_sits_still_as_the_first_line_does() -> None:
    """Reading for three minutes after the last keystroke: "Sitting for 42 min
    30 s", and the day's figures (stored up to that keystroke) must not say
    three minutes less."""
    session = {"start": NOW - 42 * MIN - 30, "seated_s": 42 * MIN + 30, "last_seen": NOW - 3 * MIN}
    today = {
        "sitting_s": 100 * MIN + 39 * MIN + 30,  # two earlier sessions and this one so far
        "sessions": 3,
        "longest_session_s": 39 * MIN + 30,
        "breaks": 2,
        "prompts": 0,
    }
    text = format_status(_status(session=session, today=today), now=NOW, tz=dt.timezone.utc)
    assert text.splitlines()[1] == (
        "Today: 2 h 22 sitting in 3 sessions, longest 42 min 30 s, 2 breaks, 0 prompts."
    )


def test_the_break_going_on_is_counted_while_it_lasts() -> None:
    """Up and away after two movement reminders: status said "Away since
    10:39. Today: ... 0 breaks, 3 prompts (2 heeded)", a break being counted
    only once it is over."""
    today = {
        "sitting_s": 42 * MIN,
        "sessions": 1,
        "longest_session_s": 42 * MIN,
        "breaks": 0,
        "prompts": 3,
        "prompts_heeded": 2,
        "prompts_by_kind": {"move": 2, "posture": 1},
    }
    status = _status(state="away", session=None, next_prompt=None, since=NOW - 15 * MIN)
    text = format_status({**status, "today": today}, now=NOW, tz=dt.timezone.utc)
    assert text.splitlines() == [
        "Away since 10:39.",
        "Today: 42 min sitting in 1 session, longest 42 min, 1 break (the one now included), "
        "3 prompts (got up after 2 of 2 movement reminders).",
    ]
    # Back at the desk, the break is over and in the day's own count.
    back = _status(today={**today, "breaks": 1})
    assert ", 1 break, 3 prompts" in format_status(back, now=NOW, tz=dt.timezone.utc)


def test_format_status_says_first_when_no_activity_can_be_seen() -> None:
    status = _status(
        state="away",
        session=None,
        next_prompt=None,
        since=NOW - 15 * MIN,
        source="swayidle",
        activity="not seen: swayidle: swayidle exited 5 times in a row (status 1)",
    )
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[:2] == [
        "sitbreak cannot see keyboard or mouse activity right now (swayidle: swayidle exited "
        "5 times in a row (status 1)), so sitting is not being measured; `sitbreak doctor` "
        "shows what works here.",
        "Away since 10:39.",
    ]
    seen = format_status(_status(activity="seen"), now=NOW, tz=dt.timezone.utc)
    assert "cannot see" not in seen


def test_format_status_uses_the_given_local_zone() -> None:
    text = format_status(_status(), now=NOW, tz=ZoneInfo("Europe/Berlin"))
    assert text.startswith(
        "Sitting for 42 min 30 s (since 12:12). Next: stand up and move at 13:24"
    )


def test_format_status_away_without_session() -> None:
    status = _status(state="away", session=None, next_prompt=None, since=NOW - 15 * MIN)
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[0] == "Away since 10:39."


def test_format_status_idle_inside_a_session_in_a_call() -> None:
    status = _status(state="idle", since=NOW - 4 * MIN, next_prompt=None, in_call=True)
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[0] == (
        "Idle since 10:50 (42 min 30 s seated since 10:12). "
        "In a call, so stillness counts as sitting."
    )


def test_format_status_paused_until_a_time_tomorrow() -> None:
    until = dt.datetime(2024, 6, 4, 9, 0, tzinfo=dt.timezone.utc).timestamp()
    status = _status(paused_until=until, paused=True, next_prompt=None)
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[0] == (
        "Paused until tomorrow 09:00. Sitting for 42 min 30 s (since 10:12)."
    )


def test_format_status_paused_indefinitely() -> None:
    status = _status(paused_until=None, paused=True, next_prompt=None)
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[0] == (
        "Paused until you resume (`sitbreak resume`). Sitting for 42 min 30 s (since 10:12)."
    )


def test_format_status_no_session_yet_today() -> None:
    today = {
        "sitting_s": 0.0,
        "sessions": 0,
        "longest_session_s": 0.0,
        "breaks": 0,
        "prompts": 0,
        "prompts_heeded": 0,
    }
    status = _status(state="away", session=None, next_prompt=None, since=NOW - 3 * MIN, today=today)
    assert (
        format_status(status, now=NOW, tz=dt.timezone.utc)
        == "Away since 10:51.\nToday: no sitting yet."
    )


def test_format_status_singulars_and_no_prompts() -> None:
    today = {
        "sitting_s": 20 * MIN,
        "sessions": 1,
        "longest_session_s": 20 * MIN,
        "breaks": 1,
        "prompts": 0,
        "prompts_heeded": 0,
    }
    text = format_status(_status(today=today), now=NOW, tz=dt.timezone.utc)
    assert text.splitlines()[1] == (
        "Today: 20 min sitting in 1 session, longest 20 min, 1 break, 0 prompts."
    )


def test_format_status_snoozed_says_until_when_and_the_next_prompt_after_it() -> None:
    status = _status(
        snoozed_until=NOW + 10 * MIN,
        next_prompt={"kind": "move", "at": NOW + 10 * MIN, "why": "after the snooze"},
    )
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[0] == (
        "Sitting for 42 min 30 s (since 10:12). Snoozed until 11:04. "
        "Next: stand up and move at 11:04 (after the snooze)."
    )


def test_format_status_says_when_prompts_are_only_being_logged_and_why() -> None:
    status = _status(
        notifications="failing: prompts are logged",
        notifications_problem="dbus: org.freedesktop.Notifications has no owner",
    )
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[1] == (
        "Prompts are only being logged: notifications cannot be shown "
        "(dbus: org.freedesktop.Notifications has no owner). "
        "`sitbreak doctor` says how to fix it."
    )


def test_format_status_away_with_nobody_seen_yet_gives_no_time() -> None:
    status = _status(state="away", session=None, next_prompt=None, since=None)
    assert format_status(status, now=NOW, tz=dt.timezone.utc).splitlines()[0] == "Away."


def test_format_status_says_how_long_idle_makes_a_break_and_why() -> None:
    learned = {"after_s": 361.0, "source": "learned", "pauses": 212, "known_breaks": 1}
    text = format_status(_status(breaks=learned), now=NOW, tz=dt.timezone.utc)
    assert text.splitlines()[-1] == (
        "Breaks: after 6 min idle, learned from 212 pauses, 1 of them a known break."
    )
    one = {"after_s": 510.0, "source": "default", "pauses": 1, "known_breaks": 0}
    assert format_status(_status(breaks=one), now=NOW, tz=dt.timezone.utc).splitlines()[-1] == (
        "Breaks: after 8 min 30 s idle (still learning your pauses: 1 so far)."
    )


def test_the_client_looks_for_the_socket_where_the_server_makes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client finds the path without pathlib (start-up time): the same path.
    assert control._socket_name() == str(control.socket_path())
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o700)
    monkeypatch.delenv("SITBREAK_HOME")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert (
        control._socket_name() == str(control.socket_path()) == f"{runtime}/sitbreak/control.sock"
    )
