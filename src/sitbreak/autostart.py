"""Starting `sitbreak run` with the desktop: the systemd user unit, and what to do without systemd.

`sitbreak service install` writes `sitbreak.service` into the user's systemd
unit directory with `ExecStart` pointing at *this* Python and enables it;
`uninstall` undoes that; `status` asks systemd how the service is doing and
says it in a sentence. Where systemd does not run (macOS, Windows, other init
systems), the same commands explain how to start sitbreak at login there, and
on Linux can write an XDG autostart entry instead.

Everything that touches the system goes through two seams, so tests can
replace them: the `systemctl` binary (``$SITBREAK_SYSTEMCTL``) and
`SYSTEMD_MARKER`, whose existence says that systemd is the init system.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sitbreak import paths
from sitbreak.errors import SitbreakError
from sitbreak.exits import NO_RESTART
from sitbreak.text import count, duration

UNIT_NAME = "sitbreak.service"
SYSTEMCTL_ENV = "SITBREAK_SYSTEMCTL"
#: Exists exactly when systemd is the running init system (what sd_booted() checks).
SYSTEMD_MARKER = Path("/run/systemd/system")
#: The shipped unit's ExecStart: valid anywhere, right when `sitbreak` is on the manager's PATH.
PLACEHOLDER_EXEC_START = "/usr/bin/env sitbreak run"
AUTOSTART_NAME = "sitbreak.desktop"
#: How long one systemctl call may take; `enable --now` waits for READY=1.
SYSTEMCTL_TIMEOUT_S = 120.0

# Variables that decide where sitbreak keeps its files: the installed unit
# repeats the ones set where `install` runs, so the service and the commands
# typed in a terminal (`sitbreak status`, reports) use the same files even when
# the user manager's environment differs from the shell's.
PINNED_ENV = (paths.HOME_ENV, paths.CONFIG_ENV, "XDG_CONFIG_HOME", "XDG_DATA_HOME")

#: The daemon's exit statuses that a restart cannot fix, and what they mean.
EXIT_MEANINGS = NO_RESTART

# The unit. `{...}` fields are filled by `render_unit`; everything else is
# systemd syntax (`%h` is the home directory, `%t` the runtime directory).
# The shipped systemd/sitbreak.service is this with the placeholder ExecStart;
# a test keeps the two identical.
_TEMPLATE = """\
# sitbreak: a sitting-time and posture-break monitor, as a systemd user service.
#
# `sitbreak service install` writes this file to ~/.config/systemd/user/ with
# ExecStart pointing at your installation, then runs
#   systemctl --user daemon-reload && systemctl --user enable --now sitbreak.service
# To install it by hand instead, copy it there and make sure ExecStart finds
# sitbreak (the user manager's PATH usually lacks ~/.local/bin).
# Logs: journalctl --user -u sitbreak    Reload the config: systemctl --user reload sitbreak

[Unit]
Description=sitbreak sitting-time and posture-break monitor
# Started and stopped with the desktop, whose DISPLAY/WAYLAND_DISPLAY and
# session bus the session exports to the user manager before this target.
PartOf=graphical-session.target
After=graphical-session.target
# A crash loop stops after 5 starts in 10 minutes; then
# `systemctl --user reset-failed sitbreak` and start it again.
StartLimitIntervalSec=10min
StartLimitBurst=5

[Service]
# READY=1 comes once the activity source works; WATCHDOG=1 from the main loop
# at half of WatchdogSec, so a hung loop gets killed and restarted.
Type=notify
NotifyAccess=main
WatchdogSec=60s
{environment}\
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=10s
# 2 bad config, 3 no activity source, 4 already running: a restart cannot help.
RestartPreventExitStatus={no_restart}
TimeoutStopSec=30s
StandardError=journal
SyslogIdentifier=sitbreak

# Sandboxing that a user manager applies without privileges (no_new_privs and
# seccomp filters). Left out on purpose:
# - ProtectSystem=, ReadWritePaths= and the other mount-namespace options: a
#   user manager can set them up only inside a user namespace (PrivateUsers=).
#   Without one they do nothing (checked on systemd 252); with PrivateUsers=yes
#   the service fails to start where unprivileged user namespaces are refused
#   (Ubuntu 24.04's default). PrivateTmp= would also hide the X11 sockets;
# - MemoryDenyWriteExecute=: it breaks JIT Pythons (PyPy) and libffi callbacks
#   without static trampolines, and guards little in an interpreter.
UMask=0077
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
SystemCallArchitectures=native

[Install]
WantedBy=graphical-session.target
"""


# ------------------------------------------------------------------ quoting


def _escape(text: str, *, dollar: bool) -> str:
    """Escape for a unit file: `%` starts a specifier, `$` a variable (in Exec lines only)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return text.replace("$", "$$") if dollar else text


def _word(escaped: str) -> str:
    """One word of a command line: quoted when it holds blanks, quotes or backslashes."""
    if not escaped or any(c.isspace() or c in "\"\\'" for c in escaped):
        return f'"{escaped}"'
    return escaped


def _environment_line(name: str, value: str) -> str:
    return f'Environment="{_escape(f"{name}={value}", dollar=False)}"\n'


# ------------------------------------------------------------------ the unit


def exec_argv() -> list[str]:
    """This installation's daemon: this Python, not resolved (a venv's python is a link)."""
    if not sys.executable:
        raise SitbreakError("cannot tell which Python runs sitbreak (sys.executable is empty)")
    return [sys.executable, "-m", "sitbreak", "run"]


def render_unit(
    exec_start: Sequence[str] | None = None, environment: Mapping[str, str] | None = None
) -> str:
    """The unit text; with no arguments, exactly the shipped systemd/sitbreak.service."""
    command = (
        PLACEHOLDER_EXEC_START
        if exec_start is None
        # systemd expands $VARIABLES in the arguments but not in the program path.
        else " ".join(_word(_escape(a, dollar=i > 0)) for i, a in enumerate(exec_start))
    )
    return _TEMPLATE.format(
        exec_start=command,
        environment="".join(_environment_line(k, v) for k, v in (environment or {}).items()),
        no_restart=" ".join(str(code) for code in EXIT_MEANINGS),
    )


def pinned_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The file-location variables set here, made absolute (the service runs elsewhere)."""
    pinned: dict[str, str] = {}
    for name in PINNED_ENV:
        value = env.get(name)
        if value:
            pinned[name] = str(Path(value).expanduser().absolute())
    return pinned


def installed_unit(env: Mapping[str, str] | None = None) -> str:
    """The unit `service install` writes: this Python, this installation's file locations."""
    return render_unit(exec_argv(), pinned_environment(os.environ if env is None else env))


def user_unit_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the user manager reads the user's own units ($XDG_CONFIG_HOME/systemd/user)."""
    return _xdg_config_home(env) / "systemd" / "user"


def _xdg_config_home(env: Mapping[str, str] | None) -> Path:
    environ = os.environ if env is None else env
    value = environ.get("XDG_CONFIG_HOME")
    # The XDG spec: a relative value is invalid and ignored.
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".config"


def write_file(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write `text` atomically; True when the file was created or changed."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)  # a unit or .desktop file is not secret; systemd warns on odd modes
    os.replace(tmp, path)
    return True


# ------------------------------------------------------------------ is systemd here?


@dataclass(frozen=True)
class Host:
    """What starts programs at login here."""

    platform: str  # sys.platform
    systemctl: str | None  # the binary to call, when systemd manages this session


def detect(
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    marker: Path | None = None,
    platform: str | None = None,
) -> Host:
    """systemd is used when `systemctl` exists and systemd is the init system.

    ``$SITBREAK_SYSTEMCTL`` names the binary and, being a deliberate choice,
    skips the init-system check (tests point it at a recording stub).
    """
    environ = os.environ if env is None else env
    plat = sys.platform if platform is None else platform
    chosen = environ.get(SYSTEMCTL_ENV)
    if chosen:
        return Host(plat, chosen)
    if not plat.startswith("linux"):
        return Host(plat, None)
    binary = which("systemctl")
    booted = (SYSTEMD_MARKER if marker is None else marker).exists()
    return Host(plat, binary if binary and booted else None)


# ------------------------------------------------------------------ systemctl


class SystemctlError(Exception):
    def __init__(self, args: Sequence[str], status: int, output: str) -> None:
        super().__init__(f"`systemctl {' '.join(args)}` failed (exit status {status})")
        self.status = status
        self.output = output.strip()


class Systemctl:
    """`systemctl --user ...`, with its output captured for friendlier messages."""

    def __init__(self, binary: str) -> None:
        self.binary = binary

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [self.binary, "--user", *args]
        try:
            res = subprocess.run(
                argv, capture_output=True, text=True, timeout=SYSTEMCTL_TIMEOUT_S, check=False
            )
        except OSError as exc:
            raise SystemctlError(["--user", *args], 127, f"{self.binary}: {exc}") from None
        except subprocess.TimeoutExpired:
            raise SystemctlError(
                ["--user", *args], 124, f"no answer within {SYSTEMCTL_TIMEOUT_S:.0f}s"
            ) from None
        if check and res.returncode != 0:
            raise SystemctlError(["--user", *args], res.returncode, res.stderr or res.stdout)
        return res


# ------------------------------------------------------------------ install / uninstall


def import_problem(python: str | None = None) -> str | None:
    """Why the service's `python -m sitbreak` would not find sitbreak, or None if it will.

    The service runs with the user manager's environment in the home
    directory: a sitbreak found only through PYTHONPATH or the current
    directory (a source checkout) is not there. Asking the interpreter itself,
    from /, is the one reliable check.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        res = subprocess.run(
            [python or sys.executable, "-c", "import sitbreak"],
            cwd="/",
            env=env,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {python or sys.executable}: {exc}"
    if res.returncode == 0:
        return None
    return (
        f"{python or sys.executable} finds sitbreak only through PYTHONPATH or the current "
        "directory, which the service will not have: install sitbreak into it first "
        "(pip install .), or the service will fail to start"
    )


def install(
    ctl: Systemctl,
    unit_text: str,
    out: TextIO,
    err: TextIO | None = None,
    unit_dir: Path | None = None,
    *,
    start: bool = True,
) -> int:
    """Write the unit, reload the manager, enable (and start) the service; say what was done.

    With `start` false the service is only enabled: it starts with the next
    graphical session (for installing where no desktop runs right now).
    """
    err = err or sys.stderr
    problem = import_problem()
    if problem:
        print(f"sitbreak: warning: {problem}", file=err)
    target = (unit_dir or user_unit_dir()) / UNIT_NAME
    existed = target.exists()
    # `enable --now` leaves a running service alone: one running an older unit
    # (say, from a moved virtualenv) is restarted below.
    was_running = existed and ServiceStatus.parse(_show(ctl)).running
    changed = write_file(target, unit_text)
    verb = "updated" if existed and changed else "wrote" if changed else "kept (unchanged)"
    print(f"{verb} {target}", file=out)
    try:
        ctl("daemon-reload")
        print("reloaded the systemd user manager (systemctl --user daemon-reload)", file=out)
        ctl("enable", "--now", UNIT_NAME) if start else ctl("enable", UNIT_NAME)
        if was_running and changed:
            ctl("try-restart", UNIT_NAME)
            print(f"restarted {UNIT_NAME} with the new unit", file=out)
    except SystemctlError as exc:
        code = _report_failure(exc, err)
        # Enabled but failed to start, most likely: say why, if systemd knows.
        state = ServiceStatus.parse(_show(ctl))
        if state.installed:
            print(state.describe(), file=err)
        return code
    print(
        f"enabled {UNIT_NAME}: it starts with your graphical session and is restarted "
        f"if it fails (systemctl --user enable{' --now' if start else ''} sitbreak.service)",
        file=out,
    )
    if start or was_running:
        print(ServiceStatus.parse(_show(ctl)).describe(), file=out)
    else:
        print(f"not started now: `systemctl --user start {UNIT_NAME}` starts it", file=out)
    return 0


def uninstall(
    ctl: Systemctl | None,
    out: TextIO,
    err: TextIO | None = None,
    unit_dir: Path | None = None,
    running_pid: int | None = None,
) -> int:
    """Stop and disable the service, remove the unit (and our autostart entry, if any).

    Without systemd nothing here stops the monitor: `running_pid`, the one
    running now, is named with the command that stops it."""
    target = (unit_dir or user_unit_dir()) / UNIT_NAME
    removed_any = _remove_autostart(out)
    if ctl is None:
        if not removed_any:
            print("nothing to remove: no systemd here and no autostart entry", file=out)
        if running_pid is not None:
            print(
                f"sitbreak is still running (pid {running_pid}) until you log out; "
                f"`kill {running_pid}` stops it now.",
                file=out,
            )
        return 0
    if not target.exists():
        if not removed_any:
            print(f"{UNIT_NAME} is not installed ({target} does not exist)", file=out)
        return 0
    try:
        ctl("disable", "--now", UNIT_NAME)
        print(f"stopped and disabled {UNIT_NAME}", file=out)
        target.unlink()
        print(f"removed {target}", file=out)
        ctl("daemon-reload")
        print("reloaded the systemd user manager", file=out)
    except SystemctlError as exc:
        return _report_failure(exc, err or sys.stderr)
    return 0


def _report_failure(exc: SystemctlError, err: TextIO) -> int:
    print(f"sitbreak: {exc}", file=err)
    if exc.output:
        print(f"  {exc.output}", file=err)
    if "bus" in exc.output.lower():
        print(
            "  systemctl cannot reach your user manager: run this from a terminal in your "
            "desktop session (not over plain ssh or sudo)",
            file=err,
        )
    else:
        print("  see: journalctl --user -u sitbreak -e", file=err)
    return 1


# ------------------------------------------------------------------ status

SHOW_PROPERTIES = (
    "LoadState",
    "ActiveState",
    "SubState",
    "ActiveEnterTimestamp",
    "UnitFileState",
    "MainPID",
    "Result",
    "ExecMainStatus",
)


def _show(ctl: Systemctl) -> str:
    """`systemctl --user show` output, or "" when systemctl cannot say."""
    try:
        res = ctl("show", UNIT_NAME, "-p", ",".join(SHOW_PROPERTIES), check=False)
    except SystemctlError:
        return ""
    return res.stdout if res.returncode == 0 else ""


@dataclass(frozen=True)
class ServiceStatus:
    """What `systemctl --user show sitbreak.service` says, in the terms people use."""

    props: Mapping[str, str]

    @classmethod
    def parse(cls, text: str) -> ServiceStatus:
        props: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                props[key.strip()] = value.strip()
        return cls(props)

    @property
    def installed(self) -> bool:
        return self.props.get("LoadState", "not-found") not in ("not-found", "")

    @property
    def enabled(self) -> bool:
        return self.props.get("UnitFileState", "") in ("enabled", "enabled-runtime", "linked")

    @property
    def running(self) -> bool:
        return self.props.get("ActiveState") in ("active", "reloading")

    @property
    def pid(self) -> int:
        value = self.props.get("MainPID", "0")
        return int(value) if value.isdigit() else 0

    def since(self) -> dt.datetime | None:
        """ActiveEnterTimestamp ("Tue 2024-11-19 10:20:30 CET"), in local time.

        systemctl prints it in our own local zone, so the zone name is dropped
        rather than looked up (abbreviations are ambiguous).
        """
        words = self.props.get("ActiveEnterTimestamp", "").split()
        if len(words) < 3:
            return None
        try:
            return dt.datetime.strptime(f"{words[1]} {words[2]}", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None

    def describe(self, now: dt.datetime | None = None) -> str:
        if not self.installed:
            return f"{UNIT_NAME} is not installed; `sitbreak service install` sets it up."
        start = (
            "enabled: starts with your graphical session"
            if self.enabled
            else "not enabled: it will not start by itself (`sitbreak service install`)"
        )
        return f"{UNIT_NAME}: {self._state(now)}; {start}."

    def _state(self, now: dt.datetime | None) -> str:
        active = self.props.get("ActiveState", "unknown")
        sub = self.props.get("SubState", "")
        if self.running:
            text = f"running (pid {self.pid})" if self.pid else "running"
            since = self.since()
            if since is not None:
                age = (now or dt.datetime.now()) - since
                text += f" since {since:%Y-%m-%d %H:%M} ({_age(age.total_seconds())})"
            return text
        if active == "failed":
            return "failed: " + self._failure() + " (journalctl --user -u sitbreak -e)"
        if sub == "auto-restart":
            return "restarting after a failure (journalctl --user -u sitbreak -e)"
        if active == "activating":
            return "starting" + (f" ({sub})" if sub else "")
        return "not running" if active == "inactive" else f"{active} ({sub})"

    def _failure(self) -> str:
        status = self.props.get("ExecMainStatus", "")
        if status.isdigit() and int(status) in EXIT_MEANINGS:
            return f"exit status {status}, {EXIT_MEANINGS[int(status)]}"
        result = self.props.get("Result", "")
        if result == "watchdog":
            return "it stopped answering the watchdog and was killed"
        if result == "start-limit-hit":
            return "it failed too often; `systemctl --user reset-failed sitbreak` to retry"
        return f"result {result or 'unknown'}, exit status {status or '?'}"


def _age(seconds: float) -> str:
    """How long the service has run: a duration, or whole days from two days on."""
    if seconds < 2 * 86400:
        return duration(seconds)
    return count(int(seconds // 86400), "day")


def status(
    ctl: Systemctl, out: TextIO, err: TextIO | None = None, now: dt.datetime | None = None
) -> int:
    """Print how the service is doing; LSB-style status: 0 running, 3 not."""
    try:
        res = ctl("show", UNIT_NAME, "-p", ",".join(SHOW_PROPERTIES))
    except SystemctlError as exc:
        return _report_failure(exc, err or sys.stderr)
    state = ServiceStatus.parse(res.stdout)
    print(state.describe(now), file=out)
    return 0 if state.running else 3


# ------------------------------------------------------------------ without systemd


def autostart_path(env: Mapping[str, str] | None = None) -> Path:
    return _xdg_config_home(env) / "autostart" / AUTOSTART_NAME


def _desktop_exec(argv: Sequence[str]) -> str:
    """A desktop entry's Exec= value: quoting rules of the Desktop Entry spec."""
    words = []
    for arg in argv:
        word = arg.replace("%", "%%")
        if any(c in word for c in " \t\n\"'\\><~|&;$*?#()`"):
            escaped = "".join("\\" + c if c in '"`$\\' else c for c in word)
            word = f'"{escaped}"'
        words.append(word.replace("\\", "\\\\"))  # string-value escaping, on top
    return " ".join(words)


def autostart_entry(argv: Sequence[str] | None = None) -> str:
    """An XDG autostart entry that runs sitbreak when the desktop session starts."""
    command = _desktop_exec(argv or exec_argv())
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=sitbreak\n"
        "Comment=Sitting-time and posture-break monitor\n"
        f"Exec={command}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent(argv: Sequence[str], log: Path) -> str:
    """A macOS LaunchAgent property list that runs sitbreak at login."""
    from xml.sax.saxutils import escape

    args = "\n".join(f"        <string>{escape(a)}</string>" for a in argv)
    return f"""\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>org.sitbreak</string>
    <key>ProgramArguments</key>
    <array>
{args}
    </array>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <dict>
        <key>SuccessfulExit</key>
        <false/>
    </dict>
    <key>StandardErrorPath</key>
    <string>{escape(str(log))}</string>
</dict>
</plist>
"""


def _windows_python(executable: str) -> str:
    """pythonw.exe beside python.exe, if any: no console window at every login."""
    path = Path(executable)
    quiet = path.with_name("pythonw.exe")
    return str(quiet) if path.name.lower() == "python.exe" and quiet.exists() else executable


def advice(host: Host, argv: Sequence[str] | None = None) -> str:
    """How to start `sitbreak run` at login on a machine without systemd."""
    argv = list(argv or exec_argv())
    if host.platform == "darwin":
        # launchd does not expand "~": the log path is spelled out.
        log = Path.home() / "Library" / "Logs" / "sitbreak.log"
        return (
            "systemd is not available on macOS; use a LaunchAgent instead. Save this as "
            "~/Library/LaunchAgents/org.sitbreak.plist:\n\n"
            + launch_agent(argv, log)
            + "\nlaunchd starts it at every login; to start it now:\n"
            "  launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/org.sitbreak.plist\n"
            f"Logs go to {log}. Allow the Python above under System Settings > "
            "Privacy & Security > Input Monitoring."
        )
    if host.platform == "win32":
        exe = _windows_python(argv[0])
        command = subprocess.list2cmdline([exe, *argv[1:]])
        tr = command.replace('"', '\\"')
        return (
            "systemd is not available on Windows; start sitbreak at login with Task "
            "Scheduler (from a Command Prompt):\n\n"
            # Inside /TR "...", the command's own quotes are escaped.
            f'  schtasks /Create /TN sitbreak /SC ONLOGON /RL LIMITED /TR "{tr}"\n\n'
            "or put a shortcut to this command in your Startup folder (Win+R, "
            f"shell:startup):\n  {command}\n"
        )
    return (
        "systemd does not manage this session, so there is no user service to install. "
        "Desktops start the programs listed in ~/.config/autostart/ at login; "
        "`sitbreak service install --autostart` writes "
        f"{autostart_path()}:\n\n" + autostart_entry(argv)
    )


def install_autostart(
    out: TextIO, argv: Sequence[str] | None = None, running_pid: int | None = None
) -> int:
    """Write the autostart entry; `running_pid` is the monitor running now, if any."""
    target = autostart_path()
    changed = write_file(target, autostart_entry(argv))
    print(f"{'wrote' if changed else 'kept (unchanged)'} {target}", file=out)
    if running_pid is not None:
        print(
            f"sitbreak is running now (pid {running_pid}), and starts with your desktop "
            "login from now on.",
            file=out,
        )
        return 0
    print(
        "sitbreak starts with your next desktop login; to start it now: "
        "`sitbreak run &` (logs go to the terminal, or your session's log).",
        file=out,
    )
    return 0


def _remove_autostart(out: TextIO) -> bool:
    target = autostart_path()
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    print(f"removed {target}", file=out)
    return True


def autostart_status(out: TextIO, running_pid: int | None) -> int:
    """Without systemd: what starts it at login and whether it runs now; exit 0 when it
    runs, 3 when not (the LSB codes `status` gives with systemd)."""
    target = autostart_path()
    where = (
        f"an autostart entry starts it at login ({target})"
        if target.exists()
        else "nothing starts it at login (`sitbreak service install --autostart`)"
    )
    print(f"systemd does not manage this session; {where}.", file=out)
    if running_pid is None:
        print("It is not running now (`sitbreak run &` starts it).", file=out)
        return 3
    print(f"It is running now (pid {running_pid}).", file=out)
    return 0


# ------------------------------------------------------------------ D-Bus activation

#: The D-Bus API's name (sitbreak.desktop.dbus_api.BUS_NAME; a test keeps them equal).
DBUS_NAME = "io.github.sitbreak.Monitor1"


def dbus_service_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the session bus looks for the user's activation files
    ($XDG_DATA_HOME/dbus-1/services, one of its standard service directories)."""
    environ = os.environ if env is None else env
    value = environ.get("XDG_DATA_HOME")
    data = Path(value) if value and Path(value).is_absolute() else Path.home() / ".local/share"
    return data / "dbus-1" / "services" / f"{DBUS_NAME}.service"


def _dbus_exec(argv: Sequence[str]) -> str:
    # dbus-daemon splits Exec= like a shell (single quotes protect everything).
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


def dbus_service_file(
    argv: Sequence[str] | None = None, environment: Mapping[str, str] | None = None
) -> str:
    """The activation file: a call to the D-Bus API starts sitbreak.

    Where systemd manages the session the bus asks it to start sitbreak.service
    (SystemdService=), so there is one sitbreak whichever way it was started;
    elsewhere the bus runs Exec= itself, with the file locations pinned as the
    unit pins them.
    """
    env = environment if environment is not None else pinned_environment(os.environ)
    command = [*(["/usr/bin/env", *(f"{k}={v}" for k, v in env.items())] if env else [])]
    command += list(argv or exec_argv())
    return (
        "# sitbreak's D-Bus API (docs/dbus-api.md): a call to io.github.sitbreak.Monitor1\n"
        "# starts sitbreak. Written by `sitbreak service install`; removed by uninstall.\n"
        "[D-BUS Service]\n"
        f"Name={DBUS_NAME}\n"
        f"Exec={_dbus_exec(command)}\n"
        f"SystemdService={UNIT_NAME}\n"
    )


def install_dbus_service(out: TextIO, argv: Sequence[str] | None = None) -> None:
    target = dbus_service_path()
    changed = write_file(target, dbus_service_file(argv))
    print(
        f"{'wrote' if changed else 'kept (unchanged)'} {target} "
        "(a D-Bus call to sitbreak starts it)",
        file=out,
    )


def remove_dbus_service(out: TextIO) -> bool:
    target = dbus_service_path()
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    print(f"removed {target}", file=out)
    return True
