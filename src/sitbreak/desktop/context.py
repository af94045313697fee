"""Context beyond keyboard and mouse: screen lock, suspend, calls and video.

Three detectors feed core events into the daemon's queue:

* `DBusContextMonitor` listens for screen lock/unlock and suspend/resume on
  D-Bus. One daemon thread per bus blocks on its socket, so it costs nothing
  while nothing happens.
* `CallDetector` answers "is the person in a call?": the microphone is open
  (an ALSA capture stream is running), or a known call app is burning CPU.
* `IdleInhibitDetector` answers "is something keeping the screen on?" (a video
  player, a presentation), from logind and the GNOME session manager.

The two poll-based detectors become events through `EdgeWatcher`. Nothing here
records or listens to anything: every signal is reduced to yes or no.

Anything missing (no bus, no logind, no screen saver service, no sound cards)
is normal on some desktops: it is logged once, shown by `describe()`, and the
rest carries on. Nothing here raises out of `start()` or `poll()`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil  # type: ignore[import-untyped, unused-ignore]

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

from sitbreak.clock import Clock
from sitbreak.core.model import (
    CallEnd,
    CallStart,
    Event,
    Lock,
    Resume,
    Suspend,
    Unlock,
    WatchEnd,
    WatchStart,
)

log = logging.getLogger(__name__)

#: How detectors hand events to the daemon (its `queue.put`: thread-safe).
Emit = Callable[[Event], None]

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
    if isinstance(exc, DBusErrorResponse):
        return str(exc.name)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------- lock and sleep (signals)

Note = Callable[..., None]


class _BusThread:
    """One bus connection and the daemon thread that blocks on it.

    `setup(conn, note)` subscribes and reads the initial state; it returns
    False when there is nothing on this bus worth listening to. `handle(conn,
    msg)` gets every signal afterwards, in the order the bus sent them.
    """

    def __init__(
        self,
        label: str,
        address: str,
        setup: Callable[[DBusConnection, Note], bool],
        handle: Callable[[DBusConnection, Message], None],
    ) -> None:
        self.label = label
        self.address = address
        self._setup = setup
        self._handle = handle
        self._lock = threading.Lock()
        self._conn: DBusConnection | None = None
        self._stopping = False
        self._notes: list[str] = []
        self.ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"sitbreak-dbus-{label}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def notes(self) -> list[str]:
        with self._lock:
            return list(self._notes)

    def note(self, text: str, level: int = logging.INFO) -> None:
        """Record a line for describe() and log it: each is said once."""
        log.log(level, "%s", text)
        with self._lock:
            self._notes.append(text)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            conn = self._conn
        if conn is not None:
            # shutdown(), unlike close(), wakes a thread blocked in select() on
            # this socket: it reads EOF and leaves its receive loop.
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        if self._thread.ident is not None:
            self._thread.join(STOP_TIMEOUT_S)

    def _run(self) -> None:
        try:
            conn = open_dbus_connection(self.address, auth_timeout=AUTH_TIMEOUT_S)
        except Exception as exc:  # a missing bus shows up as many exception types
            self.note(f"{self.label} bus: unavailable at {self.address} ({_reason(exc)})")
            self.ready.set()
            return
        with self._lock:
            if self._stopping:
                conn.close()
                self.ready.set()
                return
            self._conn = conn
        try:
            self._serve(conn)
        except Exception as exc:
            if not self._stopping:
                self.note(f"{self.label} bus: connection lost ({_reason(exc)})", logging.WARNING)
        finally:
            self.ready.set()
            conn.close()

    def _serve(self, conn: DBusConnection) -> None:
        # Every signal goes to this queue, including those that arrive while
        # setup waits for its replies, so none is lost between subscribing
        # and reading the initial state.
        signals: deque[Message] = deque()
        conn.filter(MatchRule(type="signal"), queue=signals)
        self.note(f"{self.label} bus: connected ({self.address})")
        if not self._setup(conn, self.note):
            return
        self.ready.set()
        while True:
            msg = conn.recv_until_filtered(signals)
            if HeaderFields.destination in msg.header.fields:
                # Broadcasts reach us only through our match rules, which name
                # the sender; a signal addressed to us could come from anyone.
                log.debug("ignoring unicast signal %s", _describe_message(msg))
                continue
            try:
                self._handle(conn, msg)
            except Exception:
                # One odd message must not end the watch.
                log.exception("could not handle D-Bus signal %s", _describe_message(msg))


class DBusContextMonitor:
    """Screen lock/unlock (ScreenSaver services, logind) and suspend/resume (logind).

    Events are emitted only on a change: a lock reported by logind and by a
    screen saver (or by KDE on both its paths) is one Lock. A lock already on
    at start is emitted as a Lock; an unlocked start emits nothing.

    Call start() once; stop() ends both threads. Neither raises.
    """

    def __init__(
        self,
        emit: Emit,
        clock: Clock,
        session_address: str | None = None,
        system_address: str | None = None,
    ) -> None:
        self._emit = emit
        self._clock = clock
        self._session_address = session_address
        self._system_address = system_address
        self._state_lock = threading.Lock()
        self._locked = False
        self._asleep = False
        self._threads: list[_BusThread] = []
        self._notes: list[str] = []
        self._started = False

    # ---- lifecycle

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if not HAVE_JEEPNEY:
            self._note("D-Bus: unavailable (jeepney is not installed; sitbreak needs it on Linux)")
            return
        session = self._session_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if session:
            self._threads.append(
                _BusThread("session", session, self._setup_session, self._on_session_signal)
            )
        else:
            self._note("session bus: unavailable (DBUS_SESSION_BUS_ADDRESS is not set)")
        system = (
            self._system_address or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
        )
        self._threads.append(
            _BusThread("system", system, self._setup_system, self._on_system_signal)
        )
        for bus in self._threads:
            try:
                bus.start()
            except RuntimeError as exc:  # out of threads: say so, watch the rest
                self._note(f"{bus.label} bus: could not start a thread ({exc})", logging.WARNING)
                bus.ready.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every bus has subscribed or given up; False on timeout.

        Signals sent before this returns True may be missed (tests, doctor).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for bus in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not bus.ready.wait(left):
                return False
        return True

    def stop(self) -> None:
        for bus in self._threads:
            bus.stop()

    def describe(self) -> list[str]:
        """What is watched and what is not available, one line each."""
        lines = list(self._notes)
        for bus in self._threads:
            lines.extend(bus.notes())
        return lines

    def _note(self, text: str, level: int = logging.INFO) -> None:
        log.log(level, "%s", text)
        self._notes.append(text)

    # ---- state changes (called from both bus threads)

    def _report_lock(self, locked: bool, source: str) -> None:
        with self._state_lock:
            if locked == self._locked:
                log.debug("%s says locked=%s (no change)", source, locked)
                return
            self._locked = locked
            event: Event = Lock(self._clock.now()) if locked else Unlock(self._clock.now())
            log.debug("%s -> %s", source, event)
            self._emit(event)

    def _report_sleep(self, asleep: bool) -> None:
        with self._state_lock:
            if asleep == self._asleep:
                return
            self._asleep = asleep
            event: Event = Suspend(self._clock.now()) if asleep else Resume(self._clock.now())
            log.debug("logind -> %s", event)
            self._emit(event)

    # ---- session bus: screen savers

    def _setup_session(self, conn: DBusConnection, note: Note) -> bool:
        for saver in SCREENSAVERS:
            # The sender condition makes the bus deliver only signals from
            # whoever owns the name (then or later), not look-alikes.
            _add_match(
                conn,
                MatchRule(
                    type="signal", sender=saver.name, interface=saver.name, member="ActiveChanged"
                ),
            )
            if not _name_has_owner(conn, saver.name):
                note(f"{saver.name}: not running; its ActiveChanged counts if it starts")
                continue
            active = _query_active(conn, saver)
            if active is None:
                note(
                    f"{saver.name}: watching ActiveChanged (GetActive did not answer)",
                    logging.WARNING,
                )
                continue
            note(f"{saver.name}: watching ActiveChanged (active at start: {_yes_no(active)})")
            # An initial "not active" says nothing new, and must not undo a
            # lock another service has just reported.
            if active:
                self._report_lock(True, saver.name)
        return True

    def _on_session_signal(self, conn: DBusConnection, msg: Message) -> None:
        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        if (
            interface not in _SCREENSAVER_NAMES
            or fields.get(HeaderFields.member) != "ActiveChanged"
        ):
            return
        active = _single_bool(msg.body)
        if active is None:
            log.warning("ignoring malformed %s: %r", _describe_message(msg), msg.body)
            return
        self._report_lock(active, str(interface))

    # ---- system bus: logind

    def _setup_system(self, conn: DBusConnection, note: Note) -> bool:
        if not _name_has_owner(conn, LOGIND):
            note(f"logind ({LOGIND}): not on the system bus; no suspend or LockedHint signals")
            return False
        _add_match(
            conn,
            MatchRule(
                type="signal",
                sender=LOGIND,
                interface=LOGIND_MANAGER,
                member="PrepareForSleep",
                path=LOGIND_PATH,
            ),
        )
        note("logind: watching PrepareForSleep (suspend and resume)")
        path, how = _find_session(conn)
        rule = MatchRule(
            type="signal",
            sender=LOGIND,
            interface=PROPERTIES,
            member="PropertiesChanged",
            path=path,
        )
        rule.add_arg_condition(0, LOGIND_SESSION)
        _add_match(conn, rule)
        locked = _locked_hint(conn, path)
        note(
            f"logind: watching LockedHint of session {path} ({how});"
            f" locked at start: {'unknown' if locked is None else _yes_no(locked)}"
        )
        if locked:  # as for the screen savers, only a lock is news at start
            self._report_lock(True, "logind")
        return True

    def _on_system_signal(self, conn: DBusConnection, msg: Message) -> None:
        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        if interface == LOGIND_MANAGER and member == "PrepareForSleep":
            asleep = _single_bool(msg.body)
            if asleep is None:
                log.warning("ignoring malformed %s: %r", _describe_message(msg), msg.body)
                return
            self._report_sleep(asleep)
        elif interface == PROPERTIES and member == "PropertiesChanged":
            # Only our session's object reaches here: the match rule names its path.
            locked = _changed_locked_hint(conn, msg, str(fields.get(HeaderFields.path)))
            if locked is not None:
                self._report_lock(locked, "logind")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _query_active(conn: DBusConnection, saver: ScreenSaverService) -> bool | None:
    """GetActive on the first of the service's paths that answers."""
    for path in saver.paths:
        try:
            active = _single_bool(
                _call(conn, _method(DBusAddress(path, saver.name, saver.name), "GetActive"))
            )
        except (DBusErrorResponse, TimeoutError) as exc:
            log.debug("%s GetActive on %s: %s", saver.name, path, _reason(exc))
            continue
        if active is not None:
            return active
    return None


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


def _locked_hint(conn: DBusConnection, path: str) -> bool | None:
    try:
        value = _get_property(conn, LOGIND, path, LOGIND_SESSION, "LockedHint")
    except (DBusErrorResponse, TimeoutError, ValueError) as exc:
        log.info("logind LockedHint of %s unavailable: %s", path, _reason(exc))
        return None
    return value if isinstance(value, bool) else None


def _changed_locked_hint(conn: DBusConnection, msg: Message, path: str) -> bool | None:
    """LockedHint from a PropertiesChanged(s, a{sv}, as), or None if it did not change."""
    body = msg.body
    if not (len(body) == 3 and isinstance(body[1], dict) and isinstance(body[2], list)):
        log.warning("ignoring malformed %s: %r", _describe_message(msg), body)
        return None
    if body[0] != LOGIND_SESSION:
        return None
    if "LockedHint" in body[1]:
        value = _variant_value(body[1]["LockedHint"])
        if not isinstance(value, bool):
            log.warning("ignoring non-boolean LockedHint %r", value)
            return None
        return value
    if "LockedHint" in body[2]:  # invalidated without a value: ask for it
        return _locked_hint(conn, path)
    return None


# ------------------------------------------------------------ edges to events


class Poller(Protocol):
    def poll(self) -> bool: ...


class EdgeWatcher:
    """Turns successive yes/no answers into start and end events.

    `poll()` asks once and emits `start(t)` when the answer turns true and
    `end(t)` when it turns false, stamped with `clock.now()`. A poll that
    raises keeps the previous answer (logged once until it works again).
    """

    def __init__(
        self,
        poll: Callable[[], bool],
        on_event_types: tuple[Callable[[float], Event], Callable[[float], Event]],
        emit: Emit,
        clock: Clock,
    ) -> None:
        self._poll = poll
        self._start, self._end = on_event_types
        self._emit = emit
        self._clock = clock
        self._on = False
        self._failing = False

    @property
    def active(self) -> bool:
        return self._on

    def poll(self) -> bool:
        try:
            on = bool(self._poll())
        except Exception:
            if not self._failing:
                log.exception("context poll failed; keeping the last answer")
            self._failing = True
            return self._on
        self._failing = False
        if on != self._on:
            self._on = on
            self._emit((self._start if on else self._end)(self._clock.now()))
        return on


class CallWatcher(EdgeWatcher):
    """CallStart/CallEnd from a CallDetector (or anything with poll() -> bool)."""

    def __init__(self, detector: Poller, emit: Emit, clock: Clock) -> None:
        super().__init__(detector.poll, (CallStart, CallEnd), emit, clock)


class WatchWatcher(EdgeWatcher):
    """WatchStart/WatchEnd from an IdleInhibitDetector (or anything with poll() -> bool)."""

    def __init__(self, detector: Poller, emit: Emit, clock: Clock) -> None:
        super().__init__(detector.poll, (WatchStart, WatchEnd), emit, clock)


# ---------------------------------------------------------------------- calls

#: Process names (or executable names) of call apps, compared case-insensitively
#: with any ".exe" dropped. Chosen for the apps' main A/V process only:
#: ZoomWebviewHost is left out because it renders Zoom's chat and home panels
#: (CPU while chatting, not in calls); the meeting itself runs in "zoom".
DEFAULT_CALL_APPS: tuple[str, ...] = (
    "zoom",  # Zoom on Linux and Windows
    "zoom.us",  # Zoom on macOS
    "teams",  # classic Microsoft Teams
    "ms-teams",  # new Microsoft Teams (Windows)
    "msteams",  # new Microsoft Teams (macOS)
    "teams-for-linux",  # the community Teams client most Linux users have
    "skype",
    "skypeforlinux",
    "slack",  # huddles
    "jitsi-meet",  # Jitsi Meet's Electron app
    "webex",
    "ciscocollabhost",  # Webex's own process name
    "discord",  # voice channels
)

#: How often to look for newly started call apps; in between only the known
#: pids are read, a handful of /proc reads per poll.
# Listing every process costs 3-15 ms (80-500 processes): done every 5 minutes
# it stays well under the daemon's CPU budget. A call app started since the
# last scan is seen late, but an open microphone is seen at once.
RESCAN_S = 300.0


def _normalise(name: str) -> str:
    name = name.strip().lower()
    return name.removesuffix(".exe")


@dataclass(slots=True)
class _Tracked:
    proc: Any  # psutil.Process
    app: str
    cpu_s: float | None  # user+system CPU seconds at the previous poll


class CallDetector:
    """Is the person in a call? The microphone is open, or a call app is busy.

    (a) Linux: any ALSA capture substream RUNNING under `asound_root`. This
    catches calls in a browser too, since it is the microphone being open; it
    also fires for anything else recording (a voice memo, dictation), and it
    cannot see Bluetooth headsets that bypass ALSA.
    (b) A call app (matched by process or executable name) using more than
    `cpu_min_percent` of a core since the previous poll, summed over its
    processes (Electron apps split their work). Call apps sit in the tray all
    day, so being open is not a call; but heavy chatting in Slack or Discord
    can look like one.

    poll() is cheap: a few small file reads, plus one process-list scan at
    most every RESCAN_S. The first poll only sets the CPU baseline for (b).
    Use from one thread.
    """

    def __init__(
        self,
        apps: Sequence[str] = DEFAULT_CALL_APPS,
        cpu_min_percent: float = 5.0,
        asound_root: Path = Path("/proc/asound"),
    ) -> None:
        self._apps = {_normalise(a): a for a in apps if a.strip()}
        self._cpu_min_percent = cpu_min_percent
        self._asound_root = asound_root
        self._tracked: dict[tuple[int, float], _Tracked] = {}
        self._next_scan = float("-inf")
        self._last_measure: float | None = None

    def poll(self) -> bool:
        microphone = self.microphone_in_use()
        # Measure even when the microphone already says yes, so that the CPU
        # window stays one poll long.
        busy = self.busy_apps()
        return microphone or bool(busy)

    def microphone_in_use(self) -> bool:
        return any(_is_running(status) for status in self._capture_statuses())

    def busy_apps(self) -> list[str]:
        """Call apps above the CPU threshold since the previous call (as named in `apps`)."""
        now = time.monotonic()
        if now >= self._next_scan:
            self._rescan()
            self._next_scan = now + RESCAN_S
        elapsed = None if self._last_measure is None else now - self._last_measure
        self._last_measure = now
        used: dict[str, float] = {}
        for key, tracked in list(self._tracked.items()):
            try:
                times = tracked.proc.cpu_times()
            except psutil.Error:  # gone, or not ours to read
                del self._tracked[key]
                continue
            cpu_s = float(times.user + times.system)
            if tracked.cpu_s is not None and elapsed:
                used[tracked.app] = used.get(tracked.app, 0.0) + (cpu_s - tracked.cpu_s)
            tracked.cpu_s = cpu_s
        if not elapsed:
            return []
        return sorted(
            app for app, cpu_s in used.items() if cpu_s / elapsed * 100.0 > self._cpu_min_percent
        )

    def describe(self) -> list[str]:
        statuses = self._capture_statuses()
        if statuses:
            mic = (
                f"calls: an open microphone counts ({len(statuses)} ALSA capture"
                f" substreams under {self._asound_root}; in use now:"
                f" {_yes_no(any(_is_running(s) for s in statuses))})"
            )
        else:
            mic = f"calls: no ALSA capture devices under {self._asound_root}; only call apps count"
        if self._next_scan == float("-inf"):  # never polled: look now
            self._rescan()
        running = sorted({t.app for t in self._tracked.values()})
        apps = (
            f"calls: apps count above {self._cpu_min_percent:g}% of a core:"
            f" {', '.join(self._apps.values()) or 'none'}"
            f" (running: {', '.join(running) or 'none'})"
        )
        return [mic, apps]

    def _capture_statuses(self) -> list[Path]:
        # pcmNc is a capture device (pcmNp playback, which says nothing about calls).
        return sorted(self._asound_root.glob("card*/pcm*c/sub*/status"))

    def _match(self, name: str | None, exe: str | None) -> str | None:
        for candidate in (name, os.path.basename(exe) if exe else None):
            if candidate:
                app = self._apps.get(_normalise(candidate))
                if app is not None:
                    return app
        return None

    def _rescan(self) -> None:
        found: dict[tuple[int, float], _Tracked] = {}
        for proc in psutil.process_iter(["name", "exe"]):
            info = proc.info
            app = self._match(info.get("name"), info.get("exe"))
            if app is None:
                continue
            try:
                # (pid, start time) so that a reused pid is a new process.
                key = (proc.pid, proc.create_time())
            except psutil.Error:
                continue
            known = self._tracked.get(key)
            found[key] = known if known is not None else _Tracked(proc, app, None)
        self._tracked = found


def _is_running(status: Path) -> bool:
    try:
        text = status.read_text()
    except OSError:  # the device went away (a headset unplugged) between glob and read
        return False
    return any(line.strip() == "state: RUNNING" for line in text.splitlines())


# ------------------------------------------------------------------- watching


class _LazyBus:
    """A connection opened on first use and reopened after it breaks.

    Problems are logged once each (a missing bus would otherwise be logged
    every poll); `status` is the latest state, for describe().
    """

    def __init__(self, label: str, address: str | None, missing: str) -> None:
        self.label = label
        self._address = address
        self._conn: DBusConnection | None = None
        self._said: set[str] = set()
        self.status = f"{label}: not asked yet" if address else f"{label}: unavailable ({missing})"
        if not address:
            self._problem(self.status)

    def call(self, msg: Message) -> tuple[Any, ...] | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            return _call(conn, msg)
        except DBusErrorResponse as exc:  # typically the service is not running
            self._problem(f"{self.label}: not available ({_reason(exc)})")
            return None
        except Exception as exc:  # a broken or hung connection: start afresh next time
            self._problem(f"{self.label}: {_reason(exc)}")
            self.close()
            return None

    def ok(self, text: str) -> None:
        self.status = f"{self.label}: {text}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> DBusConnection | None:
        if self._conn is None and self._address:
            try:
                self._conn = open_dbus_connection(self._address, auth_timeout=AUTH_TIMEOUT_S)
            except Exception as exc:
                self._problem(f"{self.label}: bus unavailable at {self._address} ({_reason(exc)})")
        return self._conn

    def _problem(self, text: str) -> None:
        self.status = text
        if text not in self._said:
            self._said.add(text)
            log.info("%s", text)


class IdleInhibitDetector:
    """Is something asking the screen to stay on (video, presentation)?

    True if logind lists an idle "block" inhibitor held by this user (another
    user's player says nothing about the person here), or GNOME's session
    manager says idle is inhibited. Poll every ~30 s from one thread; any
    failure counts as "no".
    """

    def __init__(
        self, system_address: str | None = None, session_address: str | None = None
    ) -> None:
        system: str | None = (
            system_address or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
        )
        session = session_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not HAVE_JEEPNEY:
            system = session = None
        missing = "jeepney is not installed" if not HAVE_JEEPNEY else None
        self._logind = _LazyBus("logind inhibitors", system, missing or "no system bus")
        self._gnome = _LazyBus(
            "GNOME idle inhibition", session, missing or "DBUS_SESSION_BUS_ADDRESS is not set"
        )

    def poll(self) -> bool:
        if not HAVE_JEEPNEY:  # said once, at construction
            return False
        return self._logind_inhibited() or self._gnome_inhibited()

    def describe(self) -> list[str]:
        return [self._logind.status, self._gnome.status]

    def close(self) -> None:
        self._logind.close()
        self._gnome.close()

    def _logind_inhibited(self) -> bool:
        reply = self._logind.call(_method(_logind_manager(), "ListInhibitors"))
        if reply is None:
            return False
        entries = reply[0] if len(reply) == 1 and isinstance(reply[0], list) else []
        uid = os.getuid()
        inhibited = any(_is_idle_block(entry, uid) for entry in entries)
        self._logind.ok(f"watching ListInhibitors (idle blocked now: {_yes_no(inhibited)})")
        return inhibited

    def _gnome_inhibited(self) -> bool:
        msg = _method(
            DBusAddress(GNOME_SESSION_MANAGER_PATH, GNOME_SESSION_MANAGER, GNOME_SESSION_MANAGER),
            "IsInhibited",
            "u",
            (GNOME_INHIBIT_IDLE,),
        )
        reply = self._gnome.call(msg)
        if reply is None:
            return False
        inhibited = _single_bool(reply) is True
        self._gnome.ok(f"watching IsInhibited (idle inhibited now: {_yes_no(inhibited)})")
        return inhibited


def _is_idle_block(entry: Any, uid: int) -> bool:
    """One ListInhibitors entry (what, who, why, mode, uid, pid)."""
    if not (isinstance(entry, tuple) and len(entry) == 6):
        return False
    what, _who, _why, mode, owner, _pid = entry
    return isinstance(what, str) and "idle" in what.split(":") and mode == "block" and owner == uid


__all__ = [
    "DEFAULT_CALL_APPS",
    "SCREENSAVERS",
    "CallDetector",
    "CallWatcher",
    "DBusContextMonitor",
    "EdgeWatcher",
    "Emit",
    "IdleInhibitDetector",
    "Poller",
    "WatchWatcher",
]
