"""`sitbreak doctor`: what sitbreak can and cannot see here, and what fixes each problem.

It looks at this machine and this session the way `sitbreak run` would:
the session type, every activity source (started and stopped again, in the
order `run` tries them), the lock, suspend, call and video signals, the
notification server, the config file, where the data lives, and the user
service. Nothing is changed and nothing is recorded.

The exit status says whether `sitbreak run` could work here, with run's own
codes: 0 yes, 2 the config is invalid, 3 no activity source works.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sitbreak import paths
from sitbreak.clock import SystemClock
from sitbreak.desktop import activity
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_CONFIG, EXIT_NO_SOURCE, EXIT_OK

if TYPE_CHECKING:
    from sitbreak.desktop.sway_lock import SwayFacts

#: How long the lock/suspend monitor may take to subscribe before doctor reports what it has.
CONTEXT_WAIT_S = 3.0
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"

OK, WARN, FAIL, INFO, SKIP = "ok", "warn", "FAIL", "info", "--"

SESSION_NAMES = {
    activity.X11: "X11",
    activity.WAYLAND: "Wayland",
    activity.NO_DISPLAY: "none (no graphical session in this environment)",
    activity.MACOS: "macOS",
    activity.WINDOWS: "Windows",
}


@dataclass
class Check:
    """One line of the report: what was looked at, how it is, and the fix if it is a problem."""

    area: str  # "activity", "lock", "notifications", "config", ...
    name: str
    status: str  # OK, WARN, FAIL, INFO or SKIP
    detail: str
    fix: str = ""


@dataclass
class Report:
    session: str  # activity.X11, WAYLAND, ...
    session_evidence: dict[str, str]
    preference: str  # [activity] source
    order: list[str]  # what `run` tries, in order
    chosen: str | None  # what `run` would use; None: it could not start
    exit_status: int
    checks: list[Check] = field(default_factory=list)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status in (FAIL, WARN) and c.fix]

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.exit_status == EXIT_OK,
            "exit_status": self.exit_status,
            "session": {"type": self.session, "evidence": self.session_evidence},
            "activity": {
                "preference": self.preference,
                "order": self.order,
                "chosen": self.chosen,
            },
            "checks": [asdict(c) for c in self.checks],
            "problems": [asdict(c) for c in self.problems],
        }


# ------------------------------------------------------------------ the checks


def diagnose(env: Mapping[str, str] = os.environ, config_path: Path | None = None) -> Report:
    """Look at everything; start and stop what needs trying; change nothing."""
    clock = SystemClock()
    config, config_checks = _config(config_path, env)
    preference = config.activity_source if config is not None else "auto"
    plan = activity.plan_sources(preference, env)
    activity_checks, chosen = _activity(plan, clock, env)
    prompt_checks = _guarded("config", _prompts_file, env)
    exit_status = EXIT_OK
    if chosen is None:
        exit_status = EXIT_NO_SOURCE
    if config is None or any(c.status == FAIL for c in prompt_checks):
        exit_status = EXIT_CONFIG  # run gives up on its files before it looks for a source
    report = Report(
        session=plan.session,
        session_evidence=_session_evidence(env),
        preference=preference,
        order=list(plan.order),
        chosen=chosen,
        exit_status=exit_status,
    )
    report.checks += activity_checks
    report.checks += _guarded("lock", _context, clock, env)
    notification_checks = _notifications(env, config.notify_backend if config else "auto")
    report.checks += notification_checks
    report.checks += _running_notifications(notification_checks[0])
    report.checks += _guarded("tray", _desktop_bus, env, config.tray_show if config else "auto")
    report.checks += config_checks
    report.checks += prompt_checks
    server = config.activitywatch_server if config else ""
    report.checks += _guarded("activitywatch", _activitywatch, server)
    report.checks += _guarded("data", _data)
    if config is not None:
        report.checks += _guarded("sync", _sync, config)
    report.checks += _guarded("service", _service, env, plan.session)
    return report


def _guarded(area: str, check: Callable[..., list[Check]], *args: Any) -> list[Check]:
    """`check(*args)`, or a warning naming what could not be looked at: doctor is
    run when something is wrong, so an unreadable folder or a strange answer is
    one more finding in the report, never a traceback instead of it."""
    try:
        return check(*args)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        said = exc.strerror or str(exc)
        return [Check(area, "check", WARN, f"could not look at{where}: {said}")]
    except Exception as exc:
        return [Check(area, "check", WARN, f"could not be checked ({type(exc).__name__}: {exc})")]


def _session_evidence(env: Mapping[str, str]) -> dict[str, str]:
    names = ("XDG_SESSION_TYPE", "WAYLAND_DISPLAY", "DISPLAY", "XDG_CURRENT_DESKTOP")
    return {name: env[name] for name in names if env.get(name)}


def _activity(
    plan: activity.Plan, clock: SystemClock, env: Mapping[str, str]
) -> tuple[list[Check], str | None]:
    probes = activity.probe_sources(plan, clock, env)
    chosen = next((p.name for p in probes if p.works), None)
    checks = []
    for probe in probes:
        if probe.works is None:
            status = SKIP
        elif not probe.works:
            status = INFO if chosen else FAIL
        else:
            status = OK
        detail = probe.detail
        if probe.name == chosen:
            detail = f"used by `sitbreak run`: {detail}"
            if probe.name == "logind":  # it works, but may take an empty chair for a person
                status = WARN
        checks.append(Check("activity", probe.name, status, detail, _source_fix(probe)))
    if chosen is None:
        checks.append(
            Check(
                "activity",
                "(none)",
                FAIL,
                "no activity source works here, so `sitbreak run` would exit (status 3). "
                + " ".join(f"{hint[0].upper()}{hint[1:]}." for hint in plan.hints),
                plan.fix,
            )
        )
    own = activity.desktop_own(env) if plan.preference == "auto" else None
    own_probe = next((p for p in probes if p.name == own), None)
    if chosen is not None and own_probe is not None and own_probe.works is False:
        # A desktop slow to answer (GNOME Shell starting) makes another source
        # look usable; run keeps trying the desktop's own and switches to it.
        checks.append(
            Check(
                "activity",
                "(not the desktop's own)",
                WARN,
                f"this desktop's own source, {own}, did not answer ({own_probe.detail}); "
                f"`sitbreak run` uses {chosen} meanwhile and switches to {own} as soon as "
                "it answers",
            )
        )
    if chosen == "logind":
        checks.append(
            Check(
                "activity",
                "(coarse)",
                WARN,
                "only logind's idle hint works: an empty chair counts as sitting until the "
                "desktop marks the session idle",
                plan.fix or activity.SWAYIDLE_FIX,
            )
        )
    return checks, chosen


def _source_fix(probe: activity.Probe) -> str:
    """A fix for a source that does not work, when there is one command for it."""
    if probe.works is not False:
        return ""
    if probe.name == "swayidle" and "not installed" in probe.detail:
        return activity.SWAYIDLE_FIX
    if "DISPLAY is not set" in probe.detail:
        return activity.IMPORT_ENV_FIX
    return ""


def _context(clock: SystemClock, env: Mapping[str, str]) -> list[Check]:
    from sitbreak.desktop import lockers, sway_lock
    from sitbreak.desktop.calls import CallDetector
    from sitbreak.desktop.dbus import DEFAULT_SYSTEM_BUS
    from sitbreak.desktop.lock_sleep import DBusContextMonitor
    from sitbreak.desktop.video import IdleInhibitDetector

    session_bus = env.get("DBUS_SESSION_BUS_ADDRESS") or None
    system_bus = env.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
    watched = lockers.watches_lockers(env)
    monitor = DBusContextMonitor(
        lambda _event: None, clock, session_bus, system_bus, locked_hint=not watched
    )
    monitor.start()
    try:
        monitor.wait_ready(CONTEXT_WAIT_S)
        lines = monitor.describe()
    finally:
        monitor.stop()
    sway = sway_lock.gather(env) if sway_lock.on_sway(env) else None
    names: list[str] | None = None
    if watched:
        try:
            names = lockers.own_process_names()
        except OSError:  # no /proc to list: said as such below
            names = []
    checks = [_lock_check(lines, env, sway, names), _suspend_check(lines)]

    mic, apps = (_unprefixed(line) for line in CallDetector().describe())
    mic_ok = "no ALSA capture devices" not in mic
    checks.append(Check("calls", "microphone", OK if mic_ok else INFO, mic))
    checks.append(Check("calls", "call apps", OK, apps))

    inhibit = IdleInhibitDetector(system_address=system_bus, session_address=session_bus)
    try:
        inhibit.poll()
        for line in inhibit.describe():
            name, _, text = line.partition(": ")
            checks.append(Check("videos", name, OK if "watching" in line else INFO, text))
    finally:
        inhibit.close()
    return checks


def _unprefixed(line: str) -> str:
    """ "calls: an open microphone counts..." without its "calls: "."""
    return line.partition(": ")[2] or line


def _lock_check(
    lines: list[str],
    env: Mapping[str, str],
    sway: SwayFacts | None = None,
    names: list[str] | None = None,
) -> Check:
    """A screen saver that runs announces its locks; logind's LockedHint is only heard
    if something sets it. On sway and the other wlroots desktops, where nothing does,
    the daemon watches the locker's process instead (`names`: this user's processes)."""
    from sitbreak.desktop.lockers import watches_lockers

    savers = [line for line in lines if "watching ActiveChanged" in line]
    logind = [line for line in lines if "watching LockedHint" in line]
    if watches_lockers(env) and names is not None:
        return _locker_check(names, sway, savers)
    if savers or logind:
        return Check("lock", "screen lock", OK, "; ".join(savers + logind))
    missing = [line for line in lines if ": connected (" not in line]  # bus addresses: noise
    return Check(
        "lock",
        "screen lock",
        WARN,
        "no screen-lock signal: a locked screen counts as a break only once the idle "
        f"limit has passed ({'; '.join(missing) or 'no D-Bus'})",
        _lock_fix(lines, env),
    )


def _lock_fix(lines: list[str], env: Mapping[str, str]) -> str:
    """What gives sitbreak a lock signal here: a screen saver's ActiveChanged on the
    session bus (GNOME Shell's org.gnome.ScreenSaver, Plasma's org.freedesktop.ScreenSaver)
    or logind's LockedHint on the system bus; the monitor's lines say which is missing."""
    if any("jeepney is not installed" in line for line in lines):
        return "install jeepney where sitbreak is installed (`pip install jeepney`): D-Bus needs it"
    steps = []
    if any(line.startswith("session bus: unavailable") for line in lines):
        steps.append(
            "run sitbreak inside your desktop session: screen lockers announce a lock on its "
            "session bus, and DBUS_SESSION_BUS_ADDRESS is not set here"
        )
    else:
        desktop = env.get("XDG_CURRENT_DESKTOP", "").lower()
        if "gnome" in desktop:
            steps.append(
                "GNOME Shell owns org.gnome.ScreenSaver: check that the shell runs in this "
                "session (`busctl --user status org.gnome.ScreenSaver`)"
            )
        elif "kde" in desktop:
            steps.append(
                "Plasma owns org.freedesktop.ScreenSaver: check that it runs in this session "
                "(`busctl --user status org.freedesktop.ScreenSaver`)"
            )
        else:
            steps.append(
                "sitbreak hears GNOME Shell's org.gnome.ScreenSaver, Plasma's "
                "org.freedesktop.ScreenSaver and logind's LockedHint; this desktop's locker "
                "offers neither screen saver, so a lock is heard only through logind"
            )
    if any(line.startswith(("system bus:", "logind (")) for line in lines):
        steps.append(
            "check that logind answers on the system bus (`busctl status org.freedesktop.login1`;"
            " systemd-logind, or elogind where systemd is not the init)"
        )
    return "; ".join(steps)


def _locker_check(names: list[str], sway: SwayFacts | None, savers: list[str]) -> Check:
    """The lock heard from the locker's process: ok, unless no process can be listed
    or sway's config locks with a program sitbreak does not know."""
    from sitbreak.desktop import lockers, sway_lock

    known = ", ".join(lockers.KNOWN_LOCKERS)
    if not names:
        return Check(
            "lock",
            "screen lock",
            WARN,
            "sitbreak hears a screen lock here from the locker's process, but could not list "
            f"this user's processes, so a lock by {known} is not heard. A locked screen is then "
            "seen only as idle time: it counts as a break once the idle limit has passed",
            "check that /proc shows this user's processes (`ls /proc/self/comm`)",
        )
    commands: list[tuple[str, str]] = []  # (where, command)
    if sway is not None:
        for run in sway.swayidles:
            commands += [(f"swayidle's `{event}`", cmd) for event, cmd in run.events]
        for line in sway_lock.joined_lines(sway.config or ""):
            cmd = lockers.exec_command(line)
            if cmd is not None and "swayidle" not in cmd:
                commands.append((f"`{line.strip()}` in sway's config", cmd))
    unknown = [
        (where, cmd, name) for where, cmd in commands for name in lockers.unknown_lockers(cmd)
    ]
    running = lockers.running_lockers(names)
    watching = (
        f"sitbreak watches this user's processes (their names only, every "
        f"{lockers.LOCKER_POLL_S:g} s) for {known}: the screen counts as locked while one "
        "runs, however it was started (a key, swayidle, a script)"
    )
    if unknown:
        said = "; ".join(
            f"{where} runs {name}, which it does not know" for where, _, name in unknown
        )
        return Check(
            "lock",
            "screen lock",
            WARN,
            f"{watching}; but {said}: that lock is seen only as idle time, a break once the "
            "idle limit has passed",
            f"lock with one of {known} instead",
        )
    now = f"running now: {', '.join(running)}" if running else "none runs now"
    return Check("lock", "screen lock", OK, "; ".join([f"{watching} ({now})", *savers]))


def _suspend_check(lines: list[str]) -> Check:
    watching = [line for line in lines if "watching PrepareForSleep" in line]
    if watching:
        return Check("suspend", "suspend", OK, "; ".join(watching))
    return Check(
        "suspend",
        "suspend",
        OK,
        "logind is not reachable; a suspend is still noticed after the resume, from the "
        "clocks (CLOCK_BOOTTIME runs on while asleep, CLOCK_MONOTONIC does not)",
    )


class _NoServer(Exception):
    """No notification server answers; `fix` is the command that would give one, if any."""

    def __init__(self, why: str, fix: str = "") -> None:
        super().__init__(why)
        self.fix = fix


def _notifications(env: Mapping[str, str], backend: str) -> list[Check]:
    if backend in ("log", "plyer"):
        how = "to the log only" if backend == "log" else "through plyer"
        return [Check("notifications", "server", INFO, f"prompts go {how} (as configured)")]
    try:
        info, caps = _notification_server(env.get("DBUS_SESSION_BUS_ADDRESS") or None)
    except _NoServer as exc:
        return [
            Check(
                "notifications",
                "server",
                WARN,
                f"no notification server: {exc}; prompts would only be logged",
                exc.fix,
            )
        ]
    server, vendor, version, spec = info
    if not vendor:
        return [Check("notifications", "server", OK, server)]
    caps_text = ", ".join(caps) or "none"
    detail = f"{server} {version} ({vendor}), spec {spec}; capabilities: {caps_text}"
    return [Check("notifications", "server", OK, detail)]


def _running_notifications(server: Check) -> list[Check]:
    """What the running sitbreak says of its prompts: shown, or only logged (and why)."""
    from sitbreak.daemon import control
    from sitbreak.desktop.notify import RETRY_AFTER_S

    try:
        status = control.request("status", timeout=2.0)
    except SitbreakError:
        return []  # not running (or not answering): the service check says so
    if not status.get("ok") or status.get("notifications", "working") == "working":
        return [Check("notifications", "running sitbreak", OK, "shows its prompts")]
    why = status.get("notifications_problem") or "the notification server refused"
    # Install a server if there is none; else have it try again now.
    fix = server.fix if server.status != OK and server.fix else "systemctl --user restart sitbreak"
    return [
        Check(
            "notifications",
            "running sitbreak",
            WARN,
            f"prompts are only being logged: it cannot show notifications ({why}); "
            f"it tries again every {RETRY_AFTER_S // 60:.0f} minutes",
            fix,
        )
    ]


def _desktop_bus(env: Mapping[str, str], show: str) -> list[Check]:
    """The tray icon (is there a StatusNotifierWatcher to show it?) and the D-Bus API."""
    from sitbreak.desktop.dbus_client import BUS_NAME, BusClient, NotOnBus
    from sitbreak.desktop.tray import WATCHER

    if show == "false":
        return [Check("tray", "tray icon", INFO, "off ([tray] show = false)")]
    level = WARN if show == "true" else INFO
    try:
        with BusClient(env.get("DBUS_SESSION_BUS_ADDRESS") or "") as client:
            watcher = _has_owner(client, WATCHER)
            api = _has_owner(client, BUS_NAME)
    except NotOnBus as exc:
        return [Check("tray", "tray icon", level, f"not shown: {exc}")]
    checks = []
    if watcher:
        checks.append(Check("tray", "tray icon", OK, f"shown: the panel offers a tray ({WATCHER})"))
    else:
        checks.append(
            Check(
                "tray",
                "tray icon",
                level,
                f"not shown: no {WATCHER} on the session bus, so this desktop's panel shows "
                "no tray items (GNOME shows them with the AppIndicator extension); status "
                "bars can show sitbreak instead: `sitbreak status --format BAR --follow` "
                "(docs/status-bars.md in sitbreak's source has each bar's lines)",
                "sudo apt install gnome-shell-extension-appindicator" if show == "true" else "",
            )
        )
    checks.append(
        Check(
            "tray",
            "D-Bus API",
            OK if api else INFO,
            f"{BUS_NAME} is served by the running sitbreak"
            if api
            else f"{BUS_NAME} is not on the session bus (sitbreak is not running in this session)",
        )
    )
    return checks


def _has_owner(client: Any, name: str) -> bool:
    from jeepney import message_bus

    reply = client.conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=2.0)
    return bool(reply.body and reply.body[0])


def _notification_server(address: str | None) -> tuple[tuple[str, str, str, str], list[str]]:
    """GetServerInformation and GetCapabilities; _NoServer saying why there is no answer."""
    from sitbreak.desktop.dbus import HAVE_JEEPNEY, _call, _method, _reason

    if not HAVE_JEEPNEY:
        raise _NoServer("jeepney is not installed")
    if not address:
        raise _NoServer("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    from jeepney import DBusAddress, message_bus
    from jeepney.io.blocking import open_dbus_connection

    try:
        conn = open_dbus_connection(address, auth_timeout=2.0)
    except Exception as exc:
        raise _NoServer(f"cannot reach the session bus ({_reason(exc)})") from None
    try:
        where = DBusAddress(NOTIFICATIONS_PATH, NOTIFICATIONS, NOTIFICATIONS)
        try:
            # no_auto_start: asking must not start a server (or a second one).
            info = _call(conn, _method(where, "GetServerInformation"))
            (caps,) = _call(conn, _method(where, "GetCapabilities"))
        except Exception as exc:
            (activatable,) = _call(conn, message_bus.ListActivatableNames())
            if NOTIFICATIONS in activatable:
                started = "not running yet: D-Bus starts it at the first prompt"
                return (started, "", "", ""), []
            raise _NoServer(
                f"{NOTIFICATIONS} is not on the session bus ({_reason(exc)})",
                "sudo apt install dunst",
            ) from None
        return (str(info[0]), str(info[1]), str(info[2]), str(info[3])), sorted(map(str, caps))
    finally:
        conn.close()


def _editor(env: Mapping[str, str]) -> str:
    """The editor a fix opens a file with: the person's own, else nano."""
    return env.get("VISUAL") or env.get("EDITOR") or "nano"


def _config(path: Path | None, env: Mapping[str, str]) -> tuple[Any, list[Check]]:
    from sitbreak.config import load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        shown = path or paths.explicit_config_path() or paths.user_config_path()
        editor = _editor(env)
        return None, [
            Check(
                "config",
                "config file",
                FAIL,
                f"invalid, `sitbreak run` would exit:\n{exc}",
                f"{editor} {shown}",
            )
        ]
    if config.path is None:
        detail = f"no config file at {paths.user_config_path()}: the defaults are in use"
    else:
        detail = f"{config.path} is valid"
    checks = [Check("config", "config file", OK, detail)]
    editor = _editor(env)
    checks += [
        Check("config", "config file", WARN, warning, f"{editor} {config.path}")
        for warning in config.warnings
    ]
    return config, checks


def _prompts_file(env: Mapping[str, str]) -> list[Check]:
    """The person's own prompts.toml, read as `sitbreak run` reads it: a broken one
    stops it as a broken config does. Nothing to say when there is none."""
    from sitbreak.prompts import load_library

    path = paths.config_dir() / "prompts.toml"
    if not path.exists():
        return []
    try:
        load_library(path)
    except ConfigError as exc:
        editor = _editor(env)
        return [
            Check(
                "config",
                "prompts file",
                FAIL,
                f"invalid, `sitbreak run` would exit:\n{exc}",
                f"{editor} {path}",
            )
        ]
    return [Check("config", "prompts file", OK, f"{path} is valid")]


def _activitywatch(server: str) -> list[Check]:
    """Whether the ActivityWatch server the daemon would post to answers."""
    if not server:
        return [
            Check(
                "activitywatch",
                "server",
                INFO,
                "not posting sessions to ActivityWatch ([activitywatch] server is empty)",
            )
        ]
    import socket

    from sitbreak.storage.activitywatch import (
        ActivityWatchError,
        request_json,
        sitbreak_bucket_id,
    )

    bucket = sitbreak_bucket_id(socket.gethostname())
    try:
        info = request_json(f"{server}/api/0/info", timeout_s=3.0)
    except ActivityWatchError as exc:
        reason = str(exc)  # may end in a question ("is this its address?")
        waiting = "sessions wait in memory (at most 1000) until it answers"
        said = (
            f"{reason} {waiting.capitalize()}" if reason.endswith("?") else f"{reason}; {waiting}"
        )
        return [
            Check(
                "activitywatch",
                "server",
                WARN,
                said,
                "start ActivityWatch (aw-qt, aw-server or aw-server-rust), or set "
                '[activitywatch] server = "" to post nowhere',
            )
        ]
    version = info.get("version") if isinstance(info, dict) else None
    what = f"ActivityWatch {version}" if isinstance(version, str) else "ActivityWatch"
    return [Check("activitywatch", "server", OK, f"{what} at {server}; sessions go to {bucket}")]


def _data() -> list[Check]:
    from sitbreak.storage.store import default_db_path, summaries_log_path

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        runtime = paths.runtime_dir()  # platformdirs warns when XDG_RUNTIME_DIR is not set
    runtime_note = "; ".join(str(w.message).split(",")[0] for w in said)
    db = default_db_path()
    size = f"{db.stat().st_size // 1024} KiB" if db.exists() else "not created yet"
    checks = [
        Check("data", "config dir", INFO, str(paths.config_dir())),
        Check("data", "database", INFO, f"{db} (SQLite, {size})"),
        Check("data", "daily summaries", INFO, str(summaries_log_path())),
        Check(
            "data",
            "runtime dir",
            INFO,
            f"{runtime} (lock and control socket)" + (f"; {runtime_note}" if runtime_note else ""),
        ),
    ]
    data_dir = paths.data_dir()
    existing = next((p for p in (data_dir, *data_dir.parents) if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK | os.X_OK):
        checks.append(
            Check(
                "data",
                "data dir",
                WARN,
                f"{existing or data_dir} is not writable by you; "
                "sitbreak would keep its figures in memory only",
                f"chmod u+rwx {existing}",
            )
        )
    return checks


def _sync(config: Any) -> list[Check]:
    """The synced folder: there and writable, this computer's name in it, and
    every other computer seen, how fresh, with a clock that is off or bad lines."""
    import time

    from sitbreak.storage import sync, sync_words
    from sitbreak.text import count
    from sitbreak.timezones import resolve_tz

    folder = sync.folder_of(config)
    if folder is None:
        return [Check("sync", "folder", INFO, "none: sitbreak sees this computer alone")]
    if not folder.is_dir():
        return [
            Check(
                "sync",
                "folder",
                WARN,
                f"{folder} does not exist (not mounted, or not synced yet): this computer's "
                "records wait in memory, the others' are not seen",
                f"mount it or let Syncthing create it; or mkdir -p {folder}",
            )
        ]
    checks = []
    if os.access(folder, os.W_OK | os.X_OK):
        kept = count(round(config.sync_keep / 86400), "day")
        checks.append(
            Check(
                "sync",
                "folder",
                OK,
                f"{folder} (writable); this computer's files there are kept {kept} ([sync] keep)",
            )
        )
    else:
        checks.append(
            Check("sync", "folder", WARN, f"{folder} is not writable", f"chmod u+rwx {folder}")
        )
    me = sync.known_host_id(paths.data_dir())
    name = config.sync_name.strip() or sync.default_name()
    ident = f"id {me}" if me else "no id yet: `sitbreak run` makes one"
    checks.append(Check("sync", "this computer", INFO, f"{name} ({ident})"))
    now = time.time()
    tz = resolve_tz(config.timezone)
    reader = sync.SyncReader(folder, me or "")
    reader.poll(now)
    if not reader.peers:
        checks.append(Check("sync", "others", INFO, "no other computer has written here yet"))
    for peer in reader.peers.values():
        d = peer.as_dict(now)
        detail = f"{sync_words.peer_state(d, now, tz)} (id {peer.id})"
        fixes = []
        if peer.skew_s > sync_words.SKEW_TOLERANCE_S:
            fixes.append(f"set the clock of {peer.name} right (timedatectl set-ntp true)")
        if peer.bad_lines:
            bad = count(peer.bad_lines, "line is not a record", "lines are not records")
            fixes.append(f"look at the files in {folder / peer.id}: {bad}")
        status = WARN if fixes else OK
        checks.append(Check("sync", peer.name, status, detail, "; ".join(fixes)))
    if reader.conflicts:
        checks.append(
            Check(
                "sync",
                "conflict copies",
                WARN,
                f"{count(reader.conflicts, 'Syncthing conflict copy', 'Syncthing conflict copies')}"
                " (*.sync-conflict-*), ignored",
                f"delete them: find {folder} -name '*.sync-conflict-*' -delete",
            )
        )
    if reader.temporary:
        checks.append(
            Check(
                "sync",
                "being received",
                INFO,
                f"{count(reader.temporary, 'file')} Syncthing is still receiving "
                "(ignored until whole)",
            )
        )
    return checks


def _service(env: Mapping[str, str], session: str) -> list[Check]:
    from sitbreak import autostart as unit

    host = unit.detect(env)
    if host.systemctl is None:
        entry = unit.autostart_path(env)
        if entry.exists():
            return [Check("service", "autostart", OK, f"no systemd; {entry} starts it at login")]
        return [
            Check(
                "service",
                "autostart",
                INFO,
                "no systemd user service here, and no autostart entry",
                "sitbreak service install --autostart",
            )
        ]
    ctl = unit.Systemctl(host.systemctl)
    try:
        res = ctl("show", unit.UNIT_NAME, "-p", ",".join(unit.SHOW_PROPERTIES), check=False)
    except unit.SystemctlError as exc:
        return [Check("service", "user service", INFO, f"systemctl cannot say: {exc.output}")]
    if res.returncode != 0:
        said = (res.stderr or res.stdout).strip().splitlines()
        return [
            Check(
                "service",
                "user service",
                INFO,
                f"systemctl --user: {said[-1] if said else res.returncode}",
            )
        ]
    state = unit.ServiceStatus.parse(res.stdout)
    if not state.installed:
        return [
            Check("service", "user service", WARN, state.describe(), "sitbreak service install")
        ]
    if not state.running:
        return [
            Check(
                "service",
                "user service",
                WARN,
                state.describe(),
                "systemctl --user restart sitbreak",
            )
        ]
    checks = [Check("service", "user service", OK, state.describe())]
    checks += _service_environment(ctl, session)
    return checks


def _service_environment(ctl: Any, session: str) -> list[Check]:
    """The user manager's environment: the service sees the display only if it was imported."""
    try:
        res = ctl("show-environment", check=False)
    except Exception:
        return []
    names = {line.partition("=")[0] for line in res.stdout.splitlines()}
    wanted = {activity.WAYLAND: "WAYLAND_DISPLAY", activity.X11: "DISPLAY"}.get(session)
    if res.returncode != 0 or wanted is None or wanted in names:
        return []
    return [
        Check(
            "service",
            "service environment",
            WARN,
            f"the user manager has no {wanted}: the running service may not see this session",
            activity.IMPORT_ENV_FIX,
        )
    ]


# ------------------------------------------------------------------ output


#: Report lines are wrapped to this many columns.
WIDTH = 100

#: The text report's sections, in order: (area, title). Every area a check has is here.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("activity", "Activity"),  # the title names the source setting and the order tried
    ("lock", "Screen lock"),
    ("suspend", "Suspend"),
    ("calls", "Calls"),
    ("videos", "Videos and presentations"),
    ("notifications", "Notifications"),
    ("tray", "Tray icon and D-Bus API ([tray] show)"),
    ("config", "Config"),
    ("activitywatch", "ActivityWatch ([activitywatch] server)"),
    ("data", "Data"),
    ("sync", "Other computers ([sync] folder)"),
    ("service", "Service"),
)


def render(report: Report) -> str:
    lines = ["sitbreak doctor: this machine, this session", ""]
    if report.session_evidence:
        evidence = ", ".join(f"{k}={v}" for k, v in report.session_evidence.items())
        lines.append(f"Session: {SESSION_NAMES[report.session]} ({evidence})")
    else:
        lines.append(
            "Session: none: no DISPLAY, WAYLAND_DISPLAY or XDG_SESSION_TYPE in this environment"
        )
    order = ", ".join(report.order)
    titles = dict(
        SECTIONS,
        activity=f'Activity ([activity] source = "{report.preference}"; tried: {order})',
    )
    for area, title in titles.items():
        checks = [c for c in report.checks if c.area == area]
        if checks:
            lines += ["", title, *_rows(checks)]
    if report.problems:
        lines += ["", "To fix"]
        for c in report.problems:
            lines += [f"  {c.area} / {c.name}:", f"    {c.fix}"]
    lines += ["", _verdict(report)]
    return "\n".join(lines) + "\n"


def _rows(checks: list[Check]) -> list[str]:
    width = max(len(c.name) for c in checks)
    indent = " " * (width + 10)
    rows = []
    for c in checks:
        first = f"  {c.status:<4}  {c.name:<{width}}  "
        for n, paragraph in enumerate(c.detail.splitlines() or [""]):
            rows += textwrap.wrap(
                paragraph,
                WIDTH,
                initial_indent=first if n == 0 else indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
                break_long_words=False,
            ) or [first.rstrip()]
    return rows


def _verdict(report: Report) -> str:
    if report.exit_status == EXIT_CONFIG:
        broken = [c.name for c in report.checks if c.area == "config" and c.status == FAIL]
        which = "your prompts.toml is" if broken == ["prompts file"] else "the config file is"
        return f"`sitbreak run` would not start: {which} invalid (see Config)."
    if report.chosen is None:
        return "`sitbreak run` could not work here: it cannot see keyboard/mouse activity."
    return f"`sitbreak run` would work here, watching activity with {report.chosen}."


def run_cli(config_path: Path | None, as_json: bool, out: TextIO = sys.stdout) -> int:
    """`sitbreak doctor [--json]`; returns the exit status."""
    # The monitors log what they find; doctor says it itself, without log noise.
    quiet = logging.getLogger("sitbreak")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    report = diagnose(os.environ, config_path)
    text = json.dumps(report.as_json(), indent=2) + "\n" if as_json else render(report)
    with contextlib.suppress(BrokenPipeError):  # `sitbreak doctor | head`
        out.write(text)
        out.flush()
    return report.exit_status
