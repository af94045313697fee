"""Starting the daemon for real: one per user, signals, logging, the wiring.

`sitbreak run` lands here. It takes the per-user lock, builds the real clock,
activity source, context monitors, notifier and store from the config and the
environment (`build_wiring`, once, completely), and hands them to `Daemon`,
which never edits them.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from sitbreak import paths
from sitbreak.clock import SystemClock
from sitbreak.config import Config, load_config
from sitbreak.daemon.control import socket_path
from sitbreak.daemon.loop import (
    CALL_POLL_S,
    WATCH_POLL_S,
    Daemon,
    Monitor,
    Periodic,
    SessionSink,
    Wiring,
    desktop_busy_check,
)
from sitbreak.daemon.sdnotify import SdNotifier
from sitbreak.daemon.statusbar import tray_view
from sitbreak.desktop.activity import FROM_COMMAND_LINE, FROM_CONFIG, Reselecting
from sitbreak.desktop.dnd import DoNotDisturb
from sitbreak.desktop.notify import ResilientNotifier, make_notifier
from sitbreak.desktop.source import ActivitySource, NoActivitySource
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_ALREADY_RUNNING, EXIT_CONFIG, EXIT_NO_SOURCE
from sitbreak.prompts import PromptWriter, load_library
from sitbreak.storage.store import Store, summaries_log_path
from sitbreak.storage.sync import open_link
from sitbreak.timezones import resolve_tz

log = logging.getLogger("sitbreak")

# syslog priorities, which journald reads from a "<N>" line prefix.
_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class _JournalFormatter(logging.Formatter):
    """Under systemd, prefix each line with its priority so warnings show as warnings."""

    def format(self, record: logging.LogRecord) -> str:
        return f"<{_PRIORITY.get(record.levelno, 6)}>{super().format(record)}"


#: Outside the journal, each line's own date, time and UTC offset: the log that an
#: autostarted sitbreak appends to (~/.local/share/sitbreak/sitbreak.log) spans days.
LOG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%z"


def setup_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", LOG_TIME_FORMAT)
        )
    root = logging.getLogger("sitbreak")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def _stop_hint(pid: str) -> str:
    """How to stop the running monitor: systemctl only where the service is installed
    (without systemd, "systemctl --user stop sitbreak" is a command that is not there)."""
    from sitbreak.autostart import UNIT_NAME, user_unit_dir

    if (user_unit_dir() / UNIT_NAME).exists():
        return f"`systemctl --user stop sitbreak` (the service) or `kill {pid}`"
    return f"`kill {pid}`"


class InstanceLock:
    """One daemon per user: an flock on a file in the private runtime directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        paths.ensure_private_dir(self.path.parent)
        f = open(self.path, "a+")  # noqa: SIM115 - held for the daemon's lifetime
        os.chmod(self.path, 0o600)
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            f.close()
            raise SitbreakError(
                f"sitbreak is already running (pid {pid}); see `sitbreak status`, "
                f"or stop it with {_stop_hint(pid)}"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def activitywatch_sinks(config: Config, store: Store) -> tuple[SessionSink, ...]:
    """The ActivityWatch poster when `[activitywatch] server` is set; none otherwise."""
    if not config.activitywatch_server:
        return ()
    import socket

    from sitbreak.storage.activitywatch_sink import ActivityWatchSink

    sink = ActivityWatchSink(config.activitywatch_server, socket.gethostname(), store=store)
    log.info(
        "posting sessions and breaks to ActivityWatch at %s, bucket %s", sink.server, sink.bucket
    )
    return (sink,)


def lock_path() -> Path:
    return paths.runtime_dir() / "sitbreak.lock"


def reload_running_daemon(path: Path | None = None) -> int | None:
    """Ask the running daemon to reload its config (SIGHUP); its pid, or None if none runs."""
    pid = running_daemon_pid(path)
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError:
        return None
    return pid


def running_daemon_pid(path: Path | None = None) -> int | None:
    """The running daemon's pid from its lock file; None if none runs.

    The pid in the lock file is only trusted while the lock is held: a stale
    file left by a daemon that died names a pid that may be someone else's.
    """
    path = path if path is not None else lock_path()
    try:
        f = open(path)  # noqa: SIM115 - closed below
    except OSError:
        return None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held: a daemon runs
        else:
            return None  # nobody holds it: no daemon
        try:
            return int(f.read().strip())
        except ValueError:
            return None


def build_wiring(
    config: Config,
    *,
    clock: SystemClock,
    source: ActivitySource,
    store: Store,
    notify: str,
    sd: SdNotifier,
) -> Wiring:
    """Every part `sitbreak run` uses, made once from the config and the environment.

    Each part is an argument of `Wiring`, which has no defaults, so none can
    be left out by accident: lock and sleep signals, calls, videos, Do Not
    Disturb and full screen, the notifier and its answers, the control
    socket, the D-Bus API, the summaries and systemd's notifications.
    """
    from sitbreak.desktop.calls import CallDetector
    from sitbreak.desktop.dbus_api import MonitorService
    from sitbreak.desktop.edges import CallWatcher, WatchWatcher
    from sitbreak.desktop.lock_sleep import DBusContextMonitor
    from sitbreak.desktop.lockers import LockerWatch, watches_lockers
    from sitbreak.desktop.tray import TrayIcon
    from sitbreak.desktop.video import IdleInhibitDetector

    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    emit = inbox.put
    backend = make_notifier(notify or config.notify_backend, on_response=emit)
    # On sway and the other wlroots desktops the locker announces nothing, and
    # LockedHint is set only by a user's own swayidle line around swaylock. The
    # locker's process is the lock itself, so there it is the one source of truth:
    # LockedHint, which can only say the same a moment earlier (or, with
    # `swaylock -f`, clear itself at once), is not listened to, and a lock is never
    # counted twice. logind still tells of suspend and resume.
    lockers = watches_lockers(os.environ)
    monitors: tuple[Monitor, ...] = (DBusContextMonitor(emit, clock, locked_hint=not lockers),)
    if lockers:
        monitors += (LockerWatch(emit, clock),)
    return Wiring(
        clock=clock,
        inbox=inbox,
        source=source,
        notifier=ResilientNotifier(backend),
        store=store,
        monitors=monitors,
        periodic=(
            Periodic("calls", CallWatcher(CallDetector(), emit, clock).poll, CALL_POLL_S),
            Periodic("videos", WatchWatcher(IdleInhibitDetector(), emit, clock).poll, WATCH_POLL_S),
            desktop_busy_check(DoNotDisturb(), emit, clock),
        ),
        sinks=activitywatch_sinks(config, store),
        control_path=socket_path(),
        # On the session bus where there is one (each says so in the log where not).
        publishers=(
            MonitorService(bus),
            TrayIcon(
                bus,
                show=config.tray_show,
                describe=lambda status, now: tray_view(status, now, resolve_tz(config.timezone)),
                actions={
                    "report": lambda: open_report(config.path),
                    "settings": lambda: open_settings(config.path),
                },
                tz=lambda: resolve_tz(config.timezone),
                clock=clock.now,
            ),
        ),
        summaries_path=summaries_log_path(),
        service_notify=sd.notify,
        watchdog_s=sd.watchdog_s,
        sync=open_link(config),
    )


def open_report(config_path: Path | None) -> None:
    """The tray's "Today's report": write today's HTML report, open it in the browser."""
    out = paths.ensure_private_dir(paths.runtime_dir()) / "report-today.html"
    command = [sys.executable, "-m", "sitbreak", "report", "today", "--format", "html"]
    command += ["--output", str(out)] + (["--config", str(config_path)] if config_path else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SitbreakError(f"could not write today's report: {done.stderr.strip()}")
    _xdg_open(out)


#: What a config file made by the tray's "Settings" starts with.
NEW_CONFIG = """\
# sitbreak's configuration. Every key, its default and what it does:
#   sitbreak config show     (and config/sitbreak.toml in the sources)
# Check this file after editing: sitbreak config check
"""


def open_settings(config_path: Path | None) -> None:
    """The tray's "Settings": open the config file, made (commented, empty) if missing."""
    path = config_path or paths.user_config_path()
    if not path.exists():
        paths.ensure_private_dir(path.parent)
        path.write_text(NEW_CONFIG)
        path.chmod(0o600)
    _xdg_open(path)


def _xdg_open(path: Path) -> None:
    opener = shutil.which("xdg-open")
    if opener is None:
        raise SitbreakError(f"cannot open {path}: xdg-open is not installed (xdg-utils)")
    subprocess.Popen(
        [opener, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def run(
    config_path: Path | None,
    log_level: str = "INFO",
    source_pref: str | None = None,
    notify: str = "auto",
) -> int:
    """`sitbreak run`: returns the process exit status."""
    setup_logging(log_level)
    try:
        config = load_config(config_path)
        tz = resolve_tz(config.timezone)
        writer = PromptWriter(load_library(paths.config_dir() / "prompts.toml"))
    except ConfigError as exc:
        log.error("config error: %s", exc)
        return EXIT_CONFIG
    lock = InstanceLock(lock_path())
    try:
        lock.acquire()
    except SitbreakError as exc:
        log.error("%s", exc)
        return EXIT_ALREADY_RUNNING
    clock = SystemClock()
    try:
        # Started, or why not; chosen again whenever it fails (see Reselecting).
        source = Reselecting(
            source_pref or config.activity_source,
            clock,
            origin=FROM_COMMAND_LINE if source_pref else FROM_CONFIG,
        )
        source.start()
    except NoActivitySource as exc:
        log.error("%s", exc)
        lock.release()
        return EXIT_NO_SOURCE
    except ConfigError as exc:
        log.error("config error: %s", exc)
        lock.release()
        return EXIT_CONFIG
    try:
        wiring = build_wiring(
            config, clock=clock, source=source, store=Store.open(), notify=notify, sd=SdNotifier()
        )
        daemon = Daemon(config, wiring, tz, writer)
        _install_signals(daemon)
        return daemon.run()
    finally:
        lock.release()


def _install_signals(daemon: Daemon) -> None:
    def stop(_sig: int, _frame: object) -> None:
        # Interrupts the engine if it is working: a stop never waits for it.
        daemon.stop_now()

    def reload(_sig: int, _frame: object) -> None:
        daemon.reload()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
