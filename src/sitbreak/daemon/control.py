"""The daemon's control socket: how `sitbreak status|pause|resume|snooze` reach `sitbreak run`.

Protocol
--------
A Unix stream socket at ``runtime_dir()/control.sock`` (mode 0600, in a 0700
directory: only its owner can talk to the daemon). One request per connection:

1. the client sends one JSON object on one line, terminated by ``\\n``::

       {"cmd": "status"}
       {"cmd": "pause", "seconds": 1800}     # pause prompts for 30 min
       {"cmd": "pause"}                      # pause until "resume"
       {"cmd": "resume"}                     # end a pause and a snooze
       {"cmd": "snooze", "seconds": 600}     # push the next prompt back 10 min
       {"cmd": "break"}                      # "I am taking a break now"

2. the server answers one JSON object on one line, terminated by ``\\n``, and
   closes the connection: ``{"ok": true, ...}`` on success, or
   ``{"ok": false, "error": "a message for people"}``.

Rules the server enforces before the daemon sees anything (`parse_request`):

- the request line is UTF-8 JSON, at most 64 KiB (`MAX_REQUEST_BYTES`, not
  counting the newline), and arrives whole within `READ_TIMEOUT_S` of
  connecting; bytes after the newline are ignored;
- it is an object with a string ``cmd`` (one of `COMMANDS`) and nothing but
  ``cmd`` and ``seconds``: an unknown field is an error rather than ignored,
  since a misspelt ``"secs"`` would otherwise turn a 10-minute pause into an
  indefinite one;
- ``seconds`` is a JSON number, finite, > 0 and at most 7 days
  (`MAX_SECONDS`); ``snooze`` requires it, ``pause`` may omit it (indefinite),
  ``status``, ``resume`` and ``break`` must not have it. NaN and Infinity are not JSON and
  are refused as such.

The daemon's handler has the signature ``Callable[[Request], dict]``: it only
ever receives a valid `Request` and returns the whole response, which must be
a JSON-serialisable dict with a boolean ``"ok"``. Handler calls happen on
server threads, one at a time (never concurrently), but never on the thread
that called `ControlServer.start`. A handler that raises, or returns something
unusable, yields ``{"ok": false, "error": "internal error"}`` and a logged
traceback; the server keeps serving.
"""

from __future__ import annotations

import _socket
import collections
import datetime as dt
import json
import math
import os
import stat
import time
from collections.abc import Mapping

from sitbreak.daemon.statusbar import counted_today, daemon_zone, on_a_break, zone_name
from sitbreak.errors import SitbreakError
from sitbreak.storage.sync_words import across, sync_sentence
from sitbreak.text import breaks_sentence, count, duration, got_up_phrase
from sitbreak.timezones import resolve_tz

# The server's modules (socket, logging, threading, selectors, contextlib,
# paths) are imported where the server needs them, and typing only for the
# type checker: clients (`sitbreak status`, run by status bars every few
# seconds) import this module too, and pay only for what they use. The client
# connects with _socket, the socket module's C half: its Python half builds
# enums at import, 3 ms of every start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    import socket
    import threading
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any, Final


def _log() -> logging.Logger:
    import logging

    return logging.getLogger("sitbreak.control")


SOCKET_NAME: Final = "control.sock"
#: Longest request line the server reads (the newline not counted).
MAX_REQUEST_BYTES: Final = 64 * 1024
#: Longest answer the client reads: far above any status, but bounded.
MAX_RESPONSE_BYTES: Final = 1024 * 1024
#: Longest pause or snooze one request may ask for.
MAX_SECONDS: Final = 7 * 24 * 3600.0
#: How long a client has to send its whole request before the server gives up on it.
READ_TIMEOUT_S: Final = 2.0
#: "break": the person says they are taking a break now (the session ends
#: after a short idle instead of the full break_idle).
COMMANDS: Final = frozenset({"status", "pause", "resume", "snooze", "break"})

# Which commands take `seconds`: required, optional or forbidden.
_SECONDS_REQUIRED: Final = frozenset({"snooze"})
_SECONDS_OPTIONAL: Final = frozenset({"pause"})
_FIELDS: Final = frozenset({"cmd", "seconds"})


def start_hint(environ: Mapping[str, str] | None = None) -> str:
    """How to start the monitor, for what is installed here: the service, the autostart
    entry, or neither. Found with os.path alone (a status bar runs this every few seconds);
    the places are autostart.user_unit_dir() and autostart.autostart_path() (a test keeps
    them the same)."""
    env = os.environ if environ is None else environ
    config = env.get("XDG_CONFIG_HOME") or ""
    if not os.path.isabs(config):  # the XDG spec: a relative value is ignored
        config = os.path.join(os.path.expanduser("~"), ".config")
    if os.path.exists(os.path.join(config, "systemd", "user", "sitbreak.service")):
        return "Start it with `systemctl --user start sitbreak` (the service is installed)."
    if os.path.exists(os.path.join(config, "autostart", "sitbreak.desktop")):
        return (
            "It starts with your desktop session (autostart entry);"
            " to start it now: `sitbreak run &`."
        )
    return (
        "Start it with `sitbreak run`, or `sitbreak service install` to have it start"
        " with your session."
    )


class ProtocolError(SitbreakError):
    """A control request is malformed or asks for something invalid."""


class DaemonNotRunning(SitbreakError):
    """Nothing answers on the control socket: the daemon is not running."""


class AlreadyRunning(SitbreakError):
    """Another daemon already answers on the control socket."""


def socket_path() -> Path:
    """Where the control socket lives. Only computes the path: `start` creates the directory."""
    from sitbreak import paths

    return paths.runtime_dir() / SOCKET_NAME


def _socket_name() -> str:
    """`socket_path()` as a string, for a client: found without pathlib (`sitbreak
    status` is run by status bars every few seconds)."""
    import os.path

    from sitbreak import paths

    return os.path.join(paths.runtime_dir_name(), SOCKET_NAME)


# ---------------------------------------------------------------- requests


class Request(collections.namedtuple("Request", ("cmd", "seconds"))):
    """A valid control request. Constructing one validates it (raises `ProtocolError`).

    An immutable tuple rather than a dataclass: clients import this module,
    and the dataclasses module costs `sitbreak status` milliseconds each start.
    """

    __slots__ = ()
    cmd: str
    seconds: float | None

    def __new__(cls, cmd: str, seconds: float | None = None) -> Request:
        if cmd not in COMMANDS:
            raise ProtocolError(
                f"unknown command {cmd!r}: expected one of {', '.join(sorted(COMMANDS))}"
            )
        if seconds is not None:
            if cmd not in _SECONDS_REQUIRED | _SECONDS_OPTIONAL:
                raise ProtocolError(f"{cmd} takes no 'seconds'")
            seconds = _check_seconds(seconds)  # ints become floats: handlers see one type
        elif cmd in _SECONDS_REQUIRED:
            raise ProtocolError(f"{cmd} needs 'seconds'")
        return super().__new__(cls, cmd, seconds)

    def to_json(self) -> dict[str, Any]:
        """The wire form of this request."""
        body: dict[str, Any] = {"cmd": self.cmd}
        if self.seconds is not None:
            body["seconds"] = self.seconds
        return body


def _check_seconds(value: object) -> float:
    # bool is an int subclass, and `true` for a duration is certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"'seconds' must be a number, not {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:  # an int too big for a float: certainly over the limit
        seconds = math.inf
    if not math.isfinite(seconds):
        raise ProtocolError("'seconds' must be a finite number")
    if seconds <= 0:
        raise ProtocolError(f"'seconds' must be positive, got {value}")
    if seconds > MAX_SECONDS:
        raise ProtocolError(f"'seconds' must be at most {MAX_SECONDS:.0f} (7 days), got {value}")
    return seconds


def _refuse_constant(name: str) -> float:
    # Python's json accepts NaN/Infinity by default; they are not JSON.
    raise ProtocolError(f"invalid JSON: {name} is not allowed")


def parse_request(raw: bytes) -> Request:
    """Validate one request line (with or without its newline) into a `Request`."""
    if len(raw.rstrip(b"\n")) > MAX_REQUEST_BYTES:
        raise ProtocolError(f"request too large (over {MAX_REQUEST_BYTES} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("request is not valid UTF-8") from exc
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError, or an int over Python's 4300-digit limit
        raise ProtocolError(f"invalid JSON: {exc}") from exc
    except RecursionError as exc:  # e.g. 64 KiB of "[": nested too deep for the parser
        raise ProtocolError("invalid JSON: nested too deeply") from exc
    return request_from_json(body)


def request_from_json(body: object) -> Request:
    """Validate a decoded request (the socket's JSON, or a D-Bus call's arguments) into a `Request`.

    The one place requests are checked, whichever way they arrive.
    """
    if not isinstance(body, dict):
        raise ProtocolError(f"request must be a JSON object, not {_json_type(body)}")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise ProtocolError(f"unknown field(s): {', '.join(unknown)}")
    cmd = body.get("cmd")
    if not isinstance(cmd, str):
        raise ProtocolError("request needs a string 'cmd'")
    return Request(cmd, body.get("seconds"))


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# ---------------------------------------------------------------- server

if TYPE_CHECKING:
    Handler = Callable[[Request], dict[str, Any]]


class ControlServer:
    """Serves the control socket at `path` on background threads, answering via `handler`.

    One daemon thread waits for connections; each connection gets its own
    short-lived thread, so a client that stalls mid-request holds up nobody
    else. `read_timeout` bounds how long a connection may take to send its
    request; tests shorten it.
    """

    def __init__(self, path: Path, handler: Handler, *, read_timeout: float = READ_TIMEOUT_S):
        self.path = path
        self._handler = handler
        self._read_timeout = read_timeout
        import threading

        # Requests are read concurrently, but the daemon's handler runs one call
        # at a time so it needs no locking of its own.
        self._handler_lock = threading.Lock()
        # While serving: the listening socket, the accept loop's waker, its thread.
        self._running: tuple[socket.socket, socket.socket, threading.Thread] | None = None
        self._inode: tuple[int, int] | None = None

    def start(self) -> None:
        """Bind the socket (replacing a stale one) and serve in a daemon thread."""
        import socket
        import threading

        from sitbreak import paths

        if self._running is not None:
            raise RuntimeError("control server already started")
        paths.ensure_private_dir(self.path.parent)
        _clear_stale_socket(self.path)
        listener, self._inode = _listen_private(self.path)
        # Writing to `waker` wakes the accept loop at once, so it needs no polling
        # (a daemon running all day should not wake up for nothing) and stop() is instant.
        waker, wake_reader = socket.socketpair()
        thread = threading.Thread(
            target=self._accept_loop,
            args=(listener, wake_reader),
            name="sitbreak-control",
            daemon=True,
        )
        thread.start()
        self._running = (listener, waker, thread)

    def stop(self) -> None:
        """Stop serving, close and remove the socket. Safe to call twice.

        Connections still being served finish on their own (within the read timeout).
        """
        running, self._running = self._running, None
        if running is None:
            return
        listener, waker, thread = running
        waker.send(b"x")
        thread.join()
        waker.close()
        listener.close()
        self._unlink_if_ours()

    def __enter__(self) -> ControlServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _unlink_if_ours(self) -> None:
        # A newer daemon may have replaced our socket already; leave its socket alone.
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if (info.st_dev, info.st_ino) == self._inode:
            self.path.unlink(missing_ok=True)

    def _accept_loop(self, listener: socket.socket, wake_reader: socket.socket) -> None:
        import selectors

        with wake_reader, selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake_reader, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is wake_reader:
                        return
                    self._accept(listener)

    def _accept(self, listener: socket.socket) -> None:
        import threading

        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return  # the client gave up between select() and accept()
        except OSError:
            # Out of file descriptors, say: keep the daemon up, and do not spin.
            _log().exception("control: cannot accept a connection")
            time.sleep(0.1)
            return
        threading.Thread(
            target=self._serve_and_close, args=(conn,), name="sitbreak-control-conn", daemon=True
        ).start()

    def _serve_and_close(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.serve_connection(conn)
            except Exception:  # a bug of ours; the thread dies, the server must not
                _log().exception("control: unexpected error serving a connection")

    def serve_connection(self, conn: socket.socket) -> None:
        """Read one request from `conn` and answer it. Never raises for a bad client."""
        import contextlib

        try:
            deadline = time.monotonic() + self._read_timeout
            raw = _read_line(conn, MAX_REQUEST_BYTES, deadline, "request")
            response = self._respond(parse_request(raw))
        except ProtocolError as exc:
            response = _error(str(exc))
        # OSError: the client gave up or went away; nobody is left to tell.
        with contextlib.suppress(OSError):
            conn.sendall(_encode(response))

    def _respond(self, request: Request) -> dict[str, Any]:
        try:
            with self._handler_lock:
                response = self._handler(request)
            _check_response(response)
            _encode(response)  # fail here, inside the try, if it is not serialisable
        except Exception:
            _log().exception("control: handler failed on %s", request)
            return _error("internal error")
        return response


def _listen_private(path: Path) -> tuple[socket.socket, tuple[int, int]]:
    """A listening socket at `path`, never wider than 0600, and its (dev, inode).

    bind() creates the file with mode 0777 & ~umask, so tighten the umask for
    the call (it is process-wide, but the window is short and the directory is
    0700 anyway) and chmod afterwards in case the platform ignores it. The
    socket is bound under a temporary name and renamed into place once it
    listens: a client that finds `path` can connect (between bind and listen
    it would be refused, and `sitbreak status` right after a start would say
    sitbreak is not running).
    """
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Never longer than the final name: a socket path has a short limit (108 bytes).
    staging = path.with_name(f".s{os.getpid():x}"[: max(2, len(path.name))])
    staging.unlink(missing_ok=True)  # a crashed daemon's, with our pid reused
    old_umask = os.umask(0o177)
    try:
        sock.bind(str(staging))
    except OSError as exc:
        sock.close()
        raise SitbreakError(f"{path}: cannot create control socket: {exc.strerror or exc}") from exc
    finally:
        os.umask(old_umask)
    try:
        staging.chmod(0o600)
        info = staging.lstat()
        sock.listen(16)
        sock.setblocking(False)  # accept() only after select(); never block the loop
        os.replace(staging, path)
    except OSError as exc:
        sock.close()
        staging.unlink(missing_ok=True)
        raise SitbreakError(f"{path}: cannot set up control socket: {exc.strerror or exc}") from exc
    return sock, (info.st_dev, info.st_ino)


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket left by a crashed daemon; refuse if a daemon still answers on it."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        # Not something we left behind: do not delete a file we did not make.
        raise SitbreakError(
            f"{path} exists and is not a socket; remove it if sitbreak is not running"
        )
    if _answers(path):
        raise AlreadyRunning(
            f"sitbreak is already running (its control socket {path} answers); "
            "use `sitbreak status` to talk to it"
        )
    path.unlink(missing_ok=True)


def _answers(path: Path) -> bool:
    """Whether something accepts connections on the socket at `path`."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return False
        except TimeoutError:
            return True  # its backlog is full: alive but busy
        except OSError as exc:
            raise SitbreakError(f"{path}: cannot check control socket: {exc.strerror}") from exc
    return True


def _error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


def _check_response(response: object) -> None:
    if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
        raise TypeError(f"handler must return a dict with a bool 'ok', got {response!r}")


def _encode(message: Mapping[str, Any]) -> bytes:
    # allow_nan=False: NaN/Infinity would make the line invalid JSON for other clients.
    return json.dumps(message, allow_nan=False).encode("utf-8") + b"\n"


def _read_line(conn: _socket.socket, limit: int, deadline: float, what: str) -> bytes:
    """Read up to the first newline, at most `limit` bytes before it, by `deadline`.

    One deadline for the whole line rather than a timeout per recv, so a client
    trickling a byte a second cannot hold a connection open for long. `what`
    ("request", "answer") names the line in error messages.
    """
    buf = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout(f"timed out waiting for a complete {what} line")
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(65536)
        except TimeoutError as exc:
            raise _Timeout(f"timed out waiting for a complete {what} line") from exc
        except OSError as exc:
            raise ProtocolError(f"connection failed: {exc.strerror or exc}") from exc
        if not chunk:
            raise ProtocolError(f"connection closed before a complete {what} line (missing \\n?)")
        newline = chunk.find(b"\n")
        buf += chunk if newline < 0 else chunk[:newline]
        if len(buf) > limit:
            raise ProtocolError(f"{what} too large (over {limit} bytes)")
        if newline >= 0:
            return bytes(buf)


class _Timeout(ProtocolError):
    """The peer did not send a whole line in time."""


# ---------------------------------------------------------------- client


def request(
    cmd: str, seconds: float | None = None, path: Path | str | None = None, timeout: float = 5.0
) -> dict[str, Any]:
    """Send one command to the running daemon and return its answer.

    The answer is returned as is, ``{"ok": false, "error": ...}`` included:
    callers check ``ok``. Raises `ProtocolError` for an invalid command (before
    connecting), `DaemonNotRunning` when nothing listens, and `SitbreakError`
    when the daemon does not answer within `timeout` seconds or answers nonsense.
    """
    body = Request(cmd, seconds)
    sock_path = _socket_name() if path is None else path
    deadline = time.monotonic() + timeout
    conn = _connect(sock_path, timeout)
    try:
        conn.sendall(_encode(body.to_json()))
        raw = _read_line(conn, MAX_RESPONSE_BYTES, deadline, "answer")
    except (_Timeout, TimeoutError) as exc:
        raise _no_answer(sock_path, timeout) from exc
    except ProtocolError as exc:
        raise SitbreakError(f"bad answer from sitbreak on {sock_path}: {exc}") from exc
    except OSError as exc:
        raise SitbreakError(
            f"lost the connection to sitbreak on {sock_path}: {exc.strerror or exc}"
        ) from exc
    finally:
        conn.close()
    return _decode_response(raw, sock_path)


def _no_answer(path: Path | str, timeout: float) -> SitbreakError:
    return SitbreakError(
        f"sitbreak did not answer within {timeout:g} s on {path}; it may be busy or stuck"
    )


def _connect(path: Path | str, timeout: float) -> _socket.socket:
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(str(path))
    except OSError as exc:
        conn.close()
        raise _connect_error(path, exc, timeout) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_error(path: Path | str, exc: OSError, timeout: float) -> SitbreakError:
    if isinstance(exc, FileNotFoundError):
        return DaemonNotRunning(
            f"the monitor is not running (no control socket at {path}). {start_hint()}"
        )
    if isinstance(exc, ConnectionRefusedError):
        # The socket file of a daemon that died: nobody is listening on it.
        return DaemonNotRunning(
            f"the monitor is not running (nobody listening on the control socket at {path}). "
            f"{start_hint()}"
        )
    if isinstance(exc, TimeoutError):
        return _no_answer(path, timeout)
    return SitbreakError(f"cannot connect to sitbreak at {path}: {exc.strerror or exc}")


def _decode_response(raw: bytes, path: Path | str) -> dict[str, Any]:
    try:
        response = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SitbreakError(f"sitbreak answered with invalid JSON on {path}") from exc
    if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
        raise SitbreakError(f"sitbreak answered with something other than a response on {path}")
    return response


# ---------------------------------------------------------------- status text

_PROMPT_PHRASES: Final = {
    "move": "stand up and move",
    "posture": "check your posture",
    "stretch": "stretch",
    "hydrate": "drink some water",
    "breathe": "take a few slow breaths",
    "eyes": "rest your eyes",
}
_STATE_WORDS: Final = {
    "idle": "Idle",
    "away": "Away",
    "locked": "Screen locked",
    "suspended": "Suspended",
}


class _Clock(collections.namedtuple("_Clock", ("now", "tz"))):
    """Renders epoch times as local wall-clock times relative to today.

    A plain named tuple rather than typing's: `sitbreak status` does not import typing.
    """

    __slots__ = ()
    now: float
    tz: dt.tzinfo

    def at(self, t: float) -> str:
        when = dt.datetime.fromtimestamp(t, self.tz)
        days = (when.date() - dt.datetime.fromtimestamp(self.now, self.tz).date()).days
        hhmm = f"{when:%H:%M}"
        if days == 0:
            return hhmm
        if days == 1:
            return f"tomorrow {hhmm}"
        if days == -1:
            return f"yesterday {hhmm}"
        return f"{when:%a} {when.day} {when:%b} {hhmm}"


def clock_at(t: float, now: float, tz: dt.tzinfo) -> str:
    """`t` as a wall-clock time that names its day unless it is today's:
    '11:05', 'tomorrow 09:00', 'Fri 4 Dec 17:44'."""
    return _Clock(now, tz).at(t)


def format_status(
    status: Mapping[str, Any], *, now: float | None = None, tz: dt.tzinfo | None = None
) -> str:
    """The daemon's status answer as a short text for people (see the module for the shape).

    `now` and `tz` default to the current time and the daemon's zone; tests pin them.
    """
    clock = _Clock(time.time() if now is None else now, daemon_zone(status) if tz is None else tz)
    sentences = [
        _pause_sentence(status, clock),
        _state_sentence(status, clock),
        _snooze_sentence(status, clock),
        _next_sentence(status.get("next_prompt"), clock),
        _stillness_sentence(status),
    ]
    blind = _blind_sentence(status)
    lines = [blind] if blind else []
    lines.append(" ".join(s for s in sentences if s))
    notifications = _notifications_sentence(status)
    if notifications:
        lines.append(notifications)
    today = status.get("today")
    if isinstance(today, Mapping):
        computers = status.get("computers_today")
        names = [str(c) for c in computers] if isinstance(computers, list) else []
        sitting, longest = counted_today(status, clock.tz)
        counted = {**today, "sitting_s": sitting, "longest_session_s": longest}
        lines.append(_today_line(counted, names, on_break=on_a_break(status)))
    breaks = status.get("breaks")
    if isinstance(breaks, Mapping):
        lines.append(breaks_sentence(breaks))
    shared = status.get("sync")
    if isinstance(shared, Mapping):
        lines.append(sync_sentence(shared, clock.now, clock.tz))
    refused = status.get("config_refused")
    if isinstance(refused, Mapping):
        lines.append(_refused_sentence(refused, clock))
    reloads = status.get("config_reloads_today") or []
    if reloads:
        times = " and ".join(clock.at(t) for t in reloads)
        lines.append(
            f"The config was reloaded today at {times}: today's figures follow the settings "
            "before and after."
        )
    zone = status.get("tz")
    if tz is None and isinstance(zone, str) and zone != zone_name(resolve_tz(None)):
        lines.append(f"Times are {zone} time, the [general] timezone of your config.")
    return "\n".join(lines)


def _refused_sentence(refused: Mapping[str, Any], clock: _Clock) -> str:
    """An edited config that a reload refused: the running monitor goes on with the one before."""
    problems = [str(p) for p in refused.get("problems") or []]
    at = refused.get("at")
    when = f" at {clock.at(at)}" if isinstance(at, int | float) else ""
    first = f": {problems[0]}" if problems else ""
    more = f" (and {count(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
    return (
        f"Your config file was refused{when}, so the config before it is still in use{first}"
        f"{more}. Fix it (`sitbreak config check` lists every problem), then reload again."
    )


def _blind_sentence(status: Mapping[str, Any]) -> str:
    """Said first: while no activity can be seen, nothing else status says is measured."""
    activity = status.get("activity")
    if not isinstance(activity, str) or not activity.startswith("not seen"):
        return ""
    why = activity.removeprefix("not seen").lstrip(": ").splitlines()[0]
    return (
        f"sitbreak cannot see keyboard or mouse activity right now ({why}), so sitting is "
        "not being measured; `sitbreak doctor` shows what works here."
    )


def _pause_sentence(status: Mapping[str, Any], clock: _Clock) -> str:
    until = status.get("paused_until")
    if until is not None:
        return f"Paused until {clock.at(until)}."
    if status.get("paused"):  # paused with no end: "until resume" travels as null
        return "Paused until you resume (`sitbreak resume`)."
    return ""


def resumable(status: Mapping[str, Any]) -> list[str]:
    """What holds prompts in `status` that `sitbreak resume` ends: "pause", "snooze", both
    or neither."""
    held = ["pause"] if status.get("paused") else []
    return held + (["snooze"] if status.get("snoozed_until") is not None else [])


def resumed_sentence(before: Mapping[str, Any]) -> str:
    """What `sitbreak resume` says it did, from the status just before it."""
    held = resumable(before)
    if not held:
        return "Nothing to resume: prompts were not paused or snoozed."
    ended = " and the ".join(held)
    return f"Prompts are back: the {ended} {'is' if len(held) == 1 else 'are'} over."


def _snooze_sentence(status: Mapping[str, Any], clock: _Clock) -> str:
    until = status.get("snoozed_until")
    return "" if until is None else f"Snoozed until {clock.at(until)}."


def _notifications_sentence(status: Mapping[str, Any]) -> str:
    """Prompts nobody sees must not go unnoticed: say so, and why."""
    said = str(status.get("notifications", "working"))
    if said == "working":
        return ""
    why = status.get("notifications_problem")
    reason = f" ({why})" if why else ""
    return (
        f"Prompts are only being logged: notifications cannot be shown{reason}. "
        "`sitbreak doctor` says how to fix it."
    )


def _state_sentence(status: Mapping[str, Any], clock: _Clock) -> str:
    state = str(status.get("state", "unknown"))
    session = status.get("session")
    since = status.get("since")
    if state == "sitting" and isinstance(session, Mapping):
        seated, start = _session_parts(session, clock)
        return (
            f"Sitting for {seated}." if start is None else f"Sitting for {seated} (since {start})."
        )
    word = _STATE_WORDS.get(state, state.capitalize())
    text = word if since is None else f"{word} since {clock.at(since)}"
    if isinstance(session, Mapping) and state != "away":
        # Idle or locked inside a session that is still open: say how long it is so far.
        seated, start = _session_parts(session, clock)
        text += (
            f" (this session: {seated})" if start is None else f" ({seated} seated since {start})"
        )
    return text + "."


def _session_parts(session: Mapping[str, Any], clock: _Clock) -> tuple[str, str | None]:
    """The session's seated time and its start as text ('42 min', '10:12')."""
    start = session.get("start")
    return (
        duration(session.get("seated_s", 0.0)),
        None if start is None else clock.at(start),
    )


def _next_sentence(prompt: object, clock: _Clock) -> str:
    if not isinstance(prompt, Mapping):
        return ""
    kind = str(prompt.get("kind", ""))
    text = f"Next: {_PROMPT_PHRASES.get(kind, kind or 'a prompt')}"
    at = prompt.get("at")
    if at is not None:
        text += f" at {clock.at(at)}"
    why = prompt.get("why")
    return f"{text} ({why})." if why else f"{text}."


def _stillness_sentence(status: Mapping[str, Any]) -> str:
    # During a call or a video the engine counts stillness as sitting; say so,
    # or "Idle" not arriving would look like a bug.
    if status.get("in_call"):
        return "In a call, so stillness counts as sitting."
    if status.get("watching"):
        return "Watching a video, so stillness counts as sitting."
    return ""


def _today_line(
    today: Mapping[str, Any], computers: Sequence[str] = (), *, on_break: bool = False
) -> str:
    """Today's figures; with a sync folder, how many computers' input they cover."""
    sessions = int(today.get("sessions", 0))
    if sessions == 0:
        return "Today: no sitting yet."
    prompts = int(today.get("prompts", 0))
    by_kind = today.get("prompts_by_kind")
    moves = int(by_kind.get("move", 0)) if isinstance(by_kind, Mapping) else 0
    heeded = f" ({got_up_phrase(int(today.get('prompts_heeded', 0)), moves)})" if prompts else ""
    sitting = duration(today.get("sitting_s", 0.0))
    longest = duration(today.get("longest_session_s", 0.0))
    breaks = count(int(today.get("breaks", 0)) + on_break, "break")
    if on_break:
        breaks += " (the one now included)"
    return (
        f"Today: {sitting} sitting in {count(sessions, 'session')}, longest {longest}, "
        f"{breaks}, {count(prompts, 'prompt')}{heeded}{across(computers)}."
    )
