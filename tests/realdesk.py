"""Real desktops for tests: GNOME Shell, sway with mako, KWin, Xfce's notification server.

Each fixture starts the real programs headless (recipes and pitfalls in
shared/REAL-DESKTOPS.md), in a directory of its own, with a private session
bus whose service directory holds only the services it means to have (the
notification server it starts itself is never D-Bus activated), and yields a
`RealDesktop`: the environment `sitbreak run` gets, a way to give the desktop
real input, and a way to read back what its notification server shows.

Nothing is left behind. Every process a fixture starts runs in a new process
group, with a marker variable in its environment that its children inherit
(D-Bus-activated helpers too, which the bus daemon starts in its own group):
at the end each group is killed, then every process still carrying the
marker, and the fixture fails if one survives. Nothing is killed by name:
other people's Xvfb, sway or dbus-daemon on the same machine are not ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from desktop import IN_CI, wait_for

#: The Debian packages these fixtures need (scripts/test.sh installs them).
PACKAGES = (
    "gnome-shell mutter gjs python3-dbusmock sway swayidle swaylock wtype mako-notifier "
    "kwin-wayland xfce4-notifyd dunst xvfb xdotool dbus libglib2.0-bin"
)
#: Notification servers that ship a D-Bus activation file for org.freedesktop.Notifications.
NOTIFICATION_SERVICES = (
    "org.knopwob.dunst.service",
    "fr.emersion.mako.service",
    "org.xfce.xfce4-notifyd.Notifications.service",
)
SYSTEM_SERVICES = Path("/usr/share/dbus-1/services")
#: The system's interpreter: python3-dbusmock is a Debian package, installed for it.
SYSTEM_PYTHON = "/usr/bin/python3"
MARKER = "SITBREAK_TEST_DESKTOP"
#: An unprivileged user for programs that refuse root (sway).
NOBODY = 65534


def require(*programs: str) -> None:
    """Skip (locally) or fail (CI=true) unless every program is installed."""
    missing = [p for p in programs if shutil.which(p) is None and not Path(p).exists()]
    if missing:
        message = f"needs {', '.join(missing)} (apt-get install {PACKAGES})"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)


def require_dbusmock() -> None:
    ok = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import dbusmock"], capture_output=True, check=False
    ).returncode
    if ok != 0:
        message = f"needs python3-dbusmock (apt-get install {PACKAGES})"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)


def version(package: str) -> str:
    res = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return res.stdout.strip() or "?"


# ------------------------------------------------------------------ processes


class Processes:
    """What one fixture started: process groups, and the marker their children carry."""

    def __init__(self, workdir: Path) -> None:
        self.marker = uuid.uuid4().hex
        self.workdir = workdir
        self.groups: list[subprocess.Popen[bytes]] = []

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, MARKER: self.marker}

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        *,
        user: int | None = None,
        stdout: int | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start `argv` in a new process group; its output goes to WORKDIR/NAME.log."""
        prefix: list[str] = []
        if user is not None and os.geteuid() == 0:
            prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
        log = (self.workdir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [*prefix, *argv],
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            stdout=log if stdout is None else stdout,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self.groups.append(proc)
        return proc

    def log(self, name: str, tail: int = 3000) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else "(no log)"

    def marked(self) -> list[psutil.Process]:
        """Every live process that carries our marker (our own test process never does)."""
        found = []
        needle = f"{MARKER}={self.marker}".encode()
        for proc in psutil.process_iter():
            try:
                with open(f"/proc/{proc.pid}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.append(proc)
            except (OSError, psutil.Error):
                continue
        return [p for p in found if _alive(p)]

    def stop_all(self) -> None:
        """End every group, gently then not; then any marked straggler. Fails if one survives."""
        for proc in reversed(self.groups):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in self.groups:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
        for proc in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.groups:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(3)
        for straggler in self.marked():
            with contextlib.suppress(psutil.Error):
                straggler.kill()
        gone_by = time.monotonic() + 5
        left = self.marked()
        while left and time.monotonic() < gone_by:
            time.sleep(0.05)
            left = self.marked()
        assert not left, f"processes left behind: {[(p.pid, _name(p)) for p in left]}"


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _name(proc: psutil.Process) -> str:
    try:
        return proc.name()
    except psutil.Error:
        return "?"


# ------------------------------------------------------------------ buses


def service_dir(where: Path, keep_notifications: str | None = None) -> Path:
    """Links to the system's session services minus every notification server not chosen."""
    where.mkdir(parents=True, exist_ok=True)
    for service in SYSTEM_SERVICES.glob("*.service"):
        if service.name in NOTIFICATION_SERVICES and service.name != keep_notifications:
            continue
        (where / service.name).symlink_to(service)
    return where


def _bus_config(kind: str, socket: Path, services: Path | None, permissive: bool) -> str:
    policy = (
        """
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>"""
        if permissive
        else """
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>"""
    )
    servicedir = f"<servicedir>{services}</servicedir>" if services else ""
    return f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{kind}</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  {servicedir}
  {policy}
  <limit name="reply_timeout">30000</limit>
</busconfig>
"""


def start_bus(
    procs: Processes,
    kind: str,
    env: dict[str, str],
    services: Path | None = None,
    user: int | None = None,
) -> str:
    """A private dbus-daemon (`kind` "session" or "system"); returns its address."""
    socket = procs.workdir / f"{kind}-bus.socket"
    config = procs.workdir / f"{kind}-bus.conf"
    config.write_text(_bus_config(kind, socket, services, permissive=kind == "system"))
    if user is not None and os.geteuid() == 0:
        os.chown(config, user, user)
    procs.start(
        f"{kind}-bus", ["dbus-daemon", "--nofork", f"--config-file={config}"], env, user=user
    )
    wait_for(socket.exists, 10, f"the {kind} bus's socket")
    if user is not None and os.geteuid() == 0:
        socket.chmod(0o777)  # root's clients and the user's alike
    return f"unix:path={socket}"


def dbus_call(
    env: dict[str, str],
    dest: str,
    path: str,
    method: str,
    *args: str,
    system: bool = False,
    timeout: float = 10,
) -> str:
    """`gdbus call`, its output (raises on an error reply)."""
    res = subprocess.run(
        [
            "gdbus",
            "call",
            "--system" if system else "--session",
            "--dest",
            dest,
            "--object-path",
            path,
            "--method",
            method,
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(f"{method} on {dest}: {res.stderr.strip()}")
    return res.stdout.strip()


def has_owner(env: dict[str, str], name: str, system: bool = False) -> bool:
    try:
        out = dbus_call(
            env,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            name,
            system=system,
            timeout=5,
        )
    except (RuntimeError, subprocess.TimeoutExpired):
        return False
    return out == "(true,)"


# ------------------------------------------------------------------ what a desktop shows


@dataclass
class Shown:
    """One notification as the desktop's own tools report it."""

    id: int
    app: str
    summary: str
    body: str
    urgency: int | None = None  # 0 low, 1 normal, 2 critical, where the tool says
    actions: tuple[str, ...] = ()
    banner: bool | None = None  # shown as a banner/popup now (None: the tool cannot tell)


@dataclass
class RealDesktop:
    """A running desktop: the environment sitbreak gets, input, and what is shown."""

    name: str
    env: dict[str, str]  # for `sitbreak run` and the desktop's tools
    versions: dict[str, str]
    start_s: float  # how long the fixture took to have the desktop ready
    procs: Processes
    input: Callable[[], None]  # one real input event (a key, a pointer move)
    shown: Callable[[], list[Shown]]  # what the notification server shows now
    invoke: Callable[[int, str], None] | None = None  # press a notification's button
    clear: Callable[[], None] = lambda: None  # close every notification (between tests)
    extra: dict[str, Any] = field(default_factory=dict)

    def type_for(self, seconds: float, every: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.input()
            time.sleep(every)


@contextlib.contextmanager
def _workdir(prefix: str, owner: int | None = None) -> Iterator[Path]:
    # Not pytest's tmp_path: that is private to root, and sway runs as another user.
    work = Path(tempfile.mkdtemp(prefix=f"sitbreak-{prefix}-"))
    if owner is not None and os.geteuid() == 0:
        os.chown(work, owner, owner)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _private_dir(path: Path, owner: int | None = None) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if owner is not None and os.geteuid() == 0:
        os.chown(path, owner, owner)
    return path


def _base_env(work: Path, runtime: Path) -> dict[str, str]:
    """The test's environment without any display or bus of the developer's own."""
    drop = (
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "DBUS_SESSION_BUS_ADDRESS",
        "DBUS_SYSTEM_BUS_ADDRESS",
        "XDG_SESSION_TYPE",
        "XDG_CURRENT_DESKTOP",
        "XDG_SESSION_ID",
        "XDG_SESSION_DESKTOP",
        "SWAYSOCK",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop}
    home = work / "home"
    _private_dir(home)
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        NO_AT_BRIDGE="1",
        GSETTINGS_BACKEND="memory",
    )
    return env


# ------------------------------------------------------------------ GNOME Shell

#: Names GNOME Shell owns itself once it is up.
GNOME_NAMES = ("org.gnome.Mutter.IdleMonitor", "org.gnome.Mutter.RemoteDesktop", "org.gnome.Shell")
#: Names its gjs helpers own, started by D-Bus activation at the first call.
GNOME_HELPERS = (
    ("org.freedesktop.Notifications", "/org/freedesktop/Notifications", "GetServerInformation"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "GetActive"),
)
#: GNOME Shell 43 hangs at start-up about once in 11 starts: give each start this long.
GNOME_START_S = 30.0
GNOME_TRIES = 3
#: The logind session GNOME Shell and sitbreak find through XDG_SESSION_ID.
GNOME_SESSION_ID = "c1"


def _system_bus_with_logind(procs: Processes, env: dict[str, str]) -> str:
    """A permissive private "system" bus with logind and GDM mocked by python-dbusmock."""
    address = start_bus(procs, "system", env)
    sys_env = dict(env, DBUS_SYSTEM_BUS_ADDRESS=address)
    procs.start(
        "logind-mock",
        [SYSTEM_PYTHON, "-m", "dbusmock", "--system", "--template", "logind"],
        sys_env,
    )
    wait_for(lambda: has_owner(sys_env, "org.freedesktop.login1", system=True), 20, "mock logind")
    login = ("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.DBus.Mock")
    dbus_call(sys_env, login[0], login[1], f"{login[2]}.AddSeat", "seat0", system=True)
    uid, user = os.getuid(), psutil.Process().username()
    dbus_call(
        sys_env,
        login[0],
        login[1],
        f"{login[2]}.AddSession",
        GNOME_SESSION_ID,
        "seat0",
        f"uint32 {uid}",
        user,
        "true",
        system=True,
    )
    procs.start(
        "gdm-mock",
        [
            SYSTEM_PYTHON,
            "-m",
            "dbusmock",
            "--system",
            "org.gnome.DisplayManager",
            "/org/gnome/DisplayManager/Manager",
            "org.gnome.DisplayManager.Manager",
        ],
        sys_env,
    )
    wait_for(lambda: has_owner(sys_env, "org.gnome.DisplayManager", system=True), 20, "mock GDM")
    dbus_call(
        sys_env,
        "org.gnome.DisplayManager",
        "/org/gnome/DisplayManager/Manager",
        "org.freedesktop.DBus.Mock.AddProperty",
        "org.gnome.DisplayManager.Manager",
        "Version",
        "<'43.0'>",
        system=True,
    )
    return address


class MutterInput:
    """Real input through Mutter's remote desktop API: its idle monitor sees it as a person's.

    Mutter ends a remote desktop session when the connection that created
    it closes, so this keeps one connection open (`close()` ends it).
    """

    NAME = "org.gnome.Mutter.RemoteDesktop"

    def __init__(self, address: str) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        self._new = new_method_call
        self._conn = open_dbus_connection(address)
        desktop = DBusAddress("/org/gnome/Mutter/RemoteDesktop", self.NAME, self.NAME)
        (path,) = self._ask(new_method_call(desktop, "CreateSession"))
        self._session = DBusAddress(path, self.NAME, f"{self.NAME}.Session")
        self._ask(new_method_call(self._session, "Start"))
        self._dx = 1.0

    def _ask(self, msg: Any) -> tuple[Any, ...]:
        from jeepney.wrappers import unwrap_msg

        return tuple(unwrap_msg(self._conn.send_and_get_reply(msg, timeout=10)))

    def __call__(self) -> None:
        self._dx = -self._dx
        self._ask(
            self._new(self._session, "NotifyPointerMotionRelative", "dd", (10 * self._dx, 5.0))
        )

    def close(self) -> None:
        self._conn.close()


def jcall(  # noqa: PLR0917 - the parts of one D-Bus call, in their usual order
    address: str,
    dest: str,
    path: str,
    interface: str,
    method: str,
    signature: str | None = None,
    body: tuple[Any, ...] = (),
    timeout: float = 10,
) -> tuple[Any, ...]:
    """One method call with jeepney on a connection of its own; raises on an error reply."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    with open_dbus_connection(address) as conn:
        msg = new_method_call(DBusAddress(path, dest, interface), method, signature, body)
        return tuple(unwrap_msg(conn.send_and_get_reply(msg, timeout=timeout)))


def _shell_eval(env: dict[str, str], script: str) -> Any:
    """org.gnome.Shell.Eval (needs --unsafe-mode): the value `script` returns."""
    ok, value = jcall(
        env["DBUS_SESSION_BUS_ADDRESS"],
        "org.gnome.Shell",
        "/org/gnome/Shell",
        "org.gnome.Shell",
        "Eval",
        "s",
        (script,),
    )
    assert ok, f"Eval failed: {value}"
    return json.loads(value) if value else None


_GNOME_CLEAR = "imports.ui.main.messageTray.getSources().forEach(s => s.destroy()); true"

#: What GNOME Shell's message tray holds from sitbreak, and whether a banner is up.
_GNOME_TRAY = r"""
(() => {
  const Main = imports.ui.main;
  const tray = Main.messageTray;
  const out = [];
  for (const source of tray.getSources()) {
    for (const n of source.notifications) {
      out.push({
        app: source.title, summary: n.title, body: n.bannerBodyText || '',
        urgency: n.urgency, actions: (n.actions || []).map(a => a.label),
        banner: tray._notification === n && tray._bannerBin.visible,
        id: n._sitbreakId || 0,
      });
    }
  }
  return out;
})()
"""


def _gnome_shown(env: dict[str, str]) -> list[Shown]:
    return [
        Shown(
            int(n["id"]),
            n["app"],
            n["summary"],
            n["body"],
            n["urgency"],
            tuple(n["actions"]),
            bool(n["banner"]),
        )
        for n in _shell_eval(env, _GNOME_TRAY)
    ]


def _gnome_invoke(env: dict[str, str], _id: int, label: str) -> None:
    script = (
        "(() => { const tray = imports.ui.main.messageTray;"
        " for (const s of tray.getSources()) for (const n of s.notifications)"
        f" for (const a of (n.actions || [])) if (a.label === {json.dumps(label)})"
        " { a.callback(); return true; } return false; })()"
    )
    assert _shell_eval(env, script) is True, f"no button {label!r} in GNOME's message tray"


@contextlib.contextmanager
def gnome_shell() -> Iterator[RealDesktop]:
    """GNOME Shell 43 headless on Wayland, logind and GDM mocked on a private system bus."""
    require("gnome-shell", "gjs", "dbus-daemon", "gdbus", "setpriv")
    require_dbusmock()
    began = time.monotonic()
    seats = Path("/run/systemd/seats")  # GNOME Shell locks only where logind "runs"
    made_seats = False
    if not seats.exists() and os.geteuid() == 0:
        seats.mkdir(parents=True)
        made_seats = True
    last_error = ""
    try:
        for attempt in range(1, GNOME_TRIES + 1):
            with _workdir("gnome") as work:
                procs = Processes(work)
                try:
                    desktop = _start_gnome(procs, work, began)
                except _StartHung as exc:
                    last_error = f"start {attempt}: {exc}"
                    procs.stop_all()
                    continue
                except BaseException:
                    procs.stop_all()
                    raise
                try:
                    desktop.extra["attempts"] = attempt
                    assert isinstance(desktop.input, MutterInput)
                    yield desktop
                finally:
                    procs.stop_all()
                return
        raise AssertionError(f"GNOME Shell did not start in {GNOME_TRIES} tries: {last_error}")
    finally:
        if made_seats:
            with contextlib.suppress(OSError):
                seats.rmdir()


class _StartHung(Exception):
    pass


def _start_gnome(procs: Processes, work: Path, began: float) -> RealDesktop:
    runtime = _private_dir(work / "runtime")
    env = _base_env(work, runtime)
    system = _system_bus_with_logind(procs, env)
    services = service_dir(work / "services")
    session = start_bus(procs, "session", env, services)
    env.update(
        DBUS_SYSTEM_BUS_ADDRESS=system,
        DBUS_SESSION_BUS_ADDRESS=session,
        XDG_SESSION_ID=GNOME_SESSION_ID,
        XDG_SESSION_TYPE="wayland",
        XDG_CURRENT_DESKTOP="GNOME",
        XDG_SESSION_DESKTOP="gnome",
    )
    shell = procs.start(
        "gnome-shell",
        [
            "gnome-shell",
            "--headless",
            "--wayland",
            "--no-x11",
            "--unsafe-mode",
            "--virtual-monitor",
            "1280x720",
            "--wayland-display",
            "wayland-gnome",
        ],
        env,
    )
    deadline = time.monotonic() + GNOME_START_S
    missing = list(GNOME_NAMES)
    while missing and time.monotonic() < deadline:
        if shell.poll() is not None:
            raise _StartHung(f"gnome-shell exited ({shell.returncode}): {procs.log('gnome-shell')}")
        missing = [n for n in missing if not has_owner(env, n)]
        if missing:
            time.sleep(0.2)
    if missing:
        raise _StartHung(f"no {', '.join(missing)} after {GNOME_START_S:g} s")
    for name, path, method in GNOME_HELPERS:
        while True:
            try:
                dbus_call(env, name, path, f"{name}.{method}", timeout=20)
                break
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                if time.monotonic() > deadline:
                    raise _StartHung(f"{name} did not answer: {exc}") from None
                time.sleep(0.5)
    env["WAYLAND_DISPLAY"] = "wayland-gnome"
    # Running as root, GNOME Shell greets with a "privileged user" banner that
    # would hold every other banner back in its queue: clear the tray first.
    _shell_eval(env, _GNOME_CLEAR)
    return RealDesktop(
        "gnome",
        env,
        {p: version(p) for p in ("gnome-shell", "mutter", "gjs", "python3-dbusmock")},
        time.monotonic() - began,
        procs,
        input=MutterInput(session),
        shown=lambda: _gnome_shown(env),
        invoke=lambda id_, label: _gnome_invoke(env, id_, label),
        clear=lambda: _shell_eval(env, _GNOME_CLEAR),
        extra={"shell": shell},
    )


# ------------------------------------------------------------------ sway + mako

SWAY_START_S = 20.0


def _wayland_socket(runtime: Path) -> str | None:
    names = [p.name for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")]
    return names[0] if names else None


def _makoctl(env: dict[str, str], *args: str) -> str:
    res = subprocess.run(
        ["makoctl", *args], env=env, capture_output=True, text=True, check=True, timeout=10
    )
    return res.stdout


def _mako_shown(env: dict[str, str]) -> list[Shown]:
    """`makoctl list` (JSON): what mako shows now."""
    listed = json.loads(_makoctl(env, "list"))
    shown = []
    for group in listed["data"]:
        for n in group:
            shown.append(
                Shown(
                    int(n["id"]["data"]),
                    n["app-name"]["data"],
                    n["summary"]["data"],
                    n["body"]["data"],
                    int(n["urgency"]["data"]) if "urgency" in n else None,
                    tuple(n.get("actions", {}).get("data", {}).values()),
                    True,
                )
            )
    return shown


@contextlib.contextmanager
def sway_mako(user_config: str = "", logind: bool = False) -> Iterator[RealDesktop]:
    """sway headless (as an unprivileged user when we are root) with mako, input by wtype.

    sway refuses root; its clients may be root (they connect to its socket).
    `user_config` is added to sway's config (its `exec` lines run as sway's
    children, as a person's do); with `logind`, a private system bus carries
    a mock logind (`_logind_for_sway`) that sway and its children see, and
    `extra["sway_config"]` is the config file sway was started with.
    """
    require("sway", "swayidle", "wtype", "mako", "makoctl", "dbus-daemon", "setpriv")
    if logind:
        require("swaylock", "busctl", "gdbus")
        require_dbusmock()
    began = time.monotonic()
    with _workdir("sway", owner=NOBODY) as work:
        procs = Processes(work)
        try:
            runtime = _private_dir(work / "runtime", owner=NOBODY)
            env = _base_env(work, runtime)
            config = work / "sway.conf"
            config.write_text("output HEADLESS-1 resolution 1280x720\n" + user_config)
            if logind:
                env.update(
                    DBUS_SYSTEM_BUS_ADDRESS=_logind_for_sway(procs, env),
                    XDG_SESSION_ID=SWAY_SESSION_ID,
                    XDG_CURRENT_DESKTOP="sway",
                )
            sway_env = dict(
                env,
                HOME=str(work),
                WLR_BACKENDS="headless",
                WLR_LIBINPUT_NO_DEVICES="1",
                WLR_RENDERER="pixman",
            )
            sway = procs.start("sway", ["sway", "-c", str(config)], sway_env, user=NOBODY)
            wait_for(
                lambda: _wayland_socket(runtime) or sway.poll() is not None,
                SWAY_START_S,
                "sway's Wayland socket",
            )
            assert sway.poll() is None, f"sway exited: {procs.log('sway')}"
            services = service_dir(work / "services")
            session = start_bus(procs, "session", env, services)
            env.update(
                DBUS_SESSION_BUS_ADDRESS=session,
                WAYLAND_DISPLAY=str(_wayland_socket(runtime)),
                XDG_SESSION_TYPE="wayland",
                XDG_CURRENT_DESKTOP="sway",
            )
            if logind:  # what sway gives the programs it starts: its IPC socket
                wait_for(lambda: list(runtime.glob("sway-ipc.*.sock")), SWAY_START_S, "sway IPC")
                env["SWAYSOCK"] = str(next(runtime.glob("sway-ipc.*.sock")))
            mako_config = work / "mako.conf"
            # Long enough to read back; sitbreak sets its own expiry on each prompt.
            mako_config.write_text("default-timeout=0\n")
            mako = procs.start("mako", ["mako", "-c", str(mako_config)], env)
            wait_for(
                lambda: has_owner(env, "org.freedesktop.Notifications") or mako.poll() is not None,
                SWAY_START_S,
                "mako to own org.freedesktop.Notifications",
            )
            assert mako.poll() is None, f"mako exited: {procs.log('mako')}"
        except BaseException:
            procs.stop_all()
            raise

        def key() -> None:
            subprocess.run(["wtype", "-k", "shift_l"], env=env, check=True, timeout=10)

        try:
            yield RealDesktop(
                "sway",
                env,
                {p: version(p) for p in ("sway", "swayidle", "wtype", "mako-notifier")},
                time.monotonic() - began,
                procs,
                input=key,
                shown=lambda: _mako_shown(env),
                invoke=lambda id_, action: _makoctl_invoke(env, id_, action),
                clear=lambda: _makoctl(env, "dismiss", "--all") and None,
                extra={"sway_config": config},
            )
        finally:
            procs.stop_all()


#: The logind session of the sway fixtures (XDG_SESSION_ID for sway and sitbreak alike).
SWAY_SESSION_ID = "c1"
LOGIN1 = "org.freedesktop.login1"
LOGIN1_PATH = "/org/freedesktop/login1"
LOGIN1_SESSION = "org.freedesktop.login1.Session"


def _logind_for_sway(procs: Processes, env: dict[str, str]) -> str:
    """A private "system" bus with python-dbusmock's logind, taught what real logind does.

    The mock's own LockSession does nothing and its GetSession("auto") names an
    object that does not exist. Real logind (org.freedesktop.login1(5)) sends
    the session's Lock signal on LockSession and resolves "auto" (method calls
    on /session/auto too) to the caller's session; so here LockSession and
    UnlockSession send Lock/Unlock from our one session, GetSession and
    GetSessionByPID name it, and /session/auto forwards SetLockedHint to it.
    LockedHint changes only through SetLockedHint, as in logind. Not real:
    logind lets only the session's owner set its hint; the mock lets anyone.
    """
    address = start_bus(procs, "system", env)
    Path(address.removeprefix("unix:path=")).chmod(0o777)  # sway's user connects too
    sys_env = dict(env, DBUS_SYSTEM_BUS_ADDRESS=address)
    procs.start(
        "logind-mock",
        [SYSTEM_PYTHON, "-m", "dbusmock", "--system", "--template", "logind"],
        sys_env,
    )
    wait_for(lambda: has_owner(sys_env, LOGIN1, system=True), 20, "mock logind")
    session = f"{LOGIN1_PATH}/session/{SWAY_SESSION_ID}"

    def mock(path: str, method: str, *args: str) -> None:
        dbus_call(sys_env, LOGIN1, path, f"org.freedesktop.DBus.Mock.{method}", *args, system=True)

    mock(LOGIN1_PATH, "AddSession", SWAY_SESSION_ID, "seat0", f"uint32 {NOBODY}", "nobody", "true")
    manager = "org.freedesktop.login1.Manager"
    signal_ = f'objects["{session}"].EmitSignal("{LOGIN1_SESSION}", "{{}}", "", [])'
    mock(LOGIN1_PATH, "AddMethod", manager, "LockSession", "s", "", signal_.format("Lock"))
    mock(LOGIN1_PATH, "AddMethod", manager, "UnlockSession", "s", "", signal_.format("Unlock"))
    mock(LOGIN1_PATH, "AddMethod", manager, "GetSession", "s", "o", f'ret = "{session}"')
    mock(LOGIN1_PATH, "AddMethod", manager, "GetSessionByPID", "u", "o", f'ret = "{session}"')
    forward = (
        f'objects["{session}"].UpdateProperties("{LOGIN1_SESSION}", {{"LockedHint": args[0]}})'
    )
    mock(
        LOGIN1_PATH,
        "AddObject",
        f"{LOGIN1_PATH}/session/auto",
        LOGIN1_SESSION,
        "@a{sv} {}",
        f"@a(ssss) [('SetLockedHint', 'b', '', {forward!r})]",
    )
    return address


def locked_hint(env: dict[str, str]) -> bool:
    out = dbus_call(
        env,
        LOGIN1,
        f"{LOGIN1_PATH}/session/{SWAY_SESSION_ID}",
        "org.freedesktop.DBus.Properties.Get",
        LOGIN1_SESSION,
        "LockedHint",
        system=True,
    )
    return out == "(<true>,)"


def lock_session(env: dict[str, str]) -> None:
    """What `loginctl lock-session` asks of logind (loginctl itself refuses to run
    where systemd is not PID 1, as here): LockSession of the caller's session."""
    dbus_call(
        env, LOGIN1, LOGIN1_PATH, "org.freedesktop.login1.Manager.LockSession", "", system=True
    )


def swaylocks(desktop: RealDesktop) -> list[psutil.Process]:
    """The swaylock processes this desktop's programs started (a lock on screen)."""
    return [p for p in desktop.procs.marked() if _name(p) == "swaylock"]


def unlock_swaylock(desktop: RealDesktop) -> None:
    """swaylock unlocks on SIGUSR1 (as after a right password) and exits 0."""
    for proc in swaylocks(desktop):
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: not swaylocks(desktop), 15, "swaylock to unlock and exit")


def _makoctl_invoke(env: dict[str, str], notification_id: int, action: str) -> None:
    _makoctl(env, "invoke", "-n", str(notification_id), action)


# ------------------------------------------------------------------ KWin

KWIN_START_S = 30.0


class WaylandWire:
    """A minimal Wayland client speaking the wire protocol over the compositor's socket.

    Enough to bind a global and send requests with integer, fixed and string
    arguments: KWin's `org_kde_kwin_fake_input`, which no packaged tool
    speaks, is how real input gets into a virtual KWin.
    """

    DISPLAY = 1

    def __init__(self, path: Path) -> None:
        import socket

        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(str(path))
        self._next = 2
        self._buf = b""
        self.globals: dict[str, tuple[int, int]] = {}
        self._registry = self._new()
        self.send(self.DISPLAY, 1, self._u(self._registry))  # wl_display.get_registry
        self.roundtrip()

    def _new(self) -> int:
        self._next += 1
        return self._next - 1

    @staticmethod
    def _u(*values: int) -> bytes:
        import struct

        return struct.pack(f"<{len(values)}I", *values)

    @staticmethod
    def fixed(value: float) -> bytes:
        import struct

        return struct.pack("<i", round(value * 256))

    @staticmethod
    def string(text: str) -> bytes:
        import struct

        raw = text.encode() + b"\0"
        return struct.pack("<I", len(raw)) + raw + b"\0" * (-len(raw) % 4)

    def send(self, obj: int, opcode: int, payload: bytes = b"") -> None:
        self._sock.sendall(self._u(obj, ((8 + len(payload)) << 16) | opcode) + payload)

    def _read(self) -> tuple[int, int, bytes]:
        import struct

        while len(self._buf) < 8:
            self._buf += self._recv()
        obj, word = struct.unpack_from("<II", self._buf)
        size = word >> 16
        while len(self._buf) < size:
            self._buf += self._recv()
        msg, self._buf = self._buf[:size], self._buf[size:]
        return obj, word & 0xFFFF, msg[8:]

    def _recv(self) -> bytes:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionError("the compositor closed the connection")
        return data

    def roundtrip(self) -> None:
        """wl_display.sync: every request so far is handled; globals are read."""
        import struct

        callback = self._new()
        self.send(self.DISPLAY, 0, self._u(callback))
        while True:
            obj, opcode, payload = self._read()
            if obj == self.DISPLAY and opcode == 0:
                raise RuntimeError(f"Wayland protocol error: {payload!r}")
            if obj == self._registry and opcode == 0:  # wl_registry.global
                name, length = struct.unpack_from("<II", payload)
                interface = payload[8 : 8 + length - 1].decode()
                (ver,) = struct.unpack_from("<I", payload, 8 + length + (-length % 4))
                self.globals[interface] = (name, ver)
            if obj == callback and opcode == 0:
                return

    def bind(self, interface: str, version: int) -> int:
        name, offered = self.globals[interface]
        obj = self._new()
        payload = self._u(name) + self.string(interface) + self._u(min(version, offered), obj)
        self.send(self._registry, 0, payload)
        return obj

    def close(self) -> None:
        self._sock.close()


class KWinFakeInput:
    """Pointer motion through `org_kde_kwin_fake_input` (KWin with its permission checks off)."""

    AUTHENTICATE, POINTER_MOTION = 0, 1

    def __init__(self, socket_path: Path) -> None:
        self._wire = WaylandWire(socket_path)
        self.globals = dict(self._wire.globals)
        self._fake = self._wire.bind("org_kde_kwin_fake_input", 4)
        self._wire.send(
            self._fake,
            self.AUTHENTICATE,
            self._wire.string("sitbreak tests") + self._wire.string("real input for idle tests"),
        )
        self._wire.roundtrip()
        self._dx = 1.0

    def __call__(self) -> None:
        self._dx = -self._dx
        payload = self._wire.fixed(10 * self._dx) + self._wire.fixed(5)
        self._wire.send(self._fake, self.POINTER_MOTION, payload)
        self._wire.roundtrip()

    def close(self) -> None:
        self._wire.close()


def _dunstctl(env: dict[str, str], *args: str) -> str:
    res = subprocess.run(
        ["dunstctl", *args], env=env, capture_output=True, text=True, check=True, timeout=10
    )
    return res.stdout


def dunst_shown(env: dict[str, str]) -> list[Shown]:
    """What dunst shows now: only how many (dunstctl lists closed ones; BusWatch has the rest)."""
    return _unnamed(int(_dunstctl(env, "count", "displayed")))


def _unnamed(count: int) -> list[Shown]:
    """`count` notifications whose content the server's tools do not tell (see BusWatch)."""
    return [Shown(0, "", "", "", banner=True) for _ in range(count)]


@contextlib.contextmanager
def kwin() -> Iterator[RealDesktop]:
    """KWin 5.27 virtual (Wayland), with dunst beside it: KWin alone has no notification server.

    The packaged kwin_wayland carries a file capability that an unprivileged
    sandbox refuses to exec, so a copy of it (same name: Qt finds its
    platform plugin by it) runs.
    """
    require("kwin_wayland", "swayidle", "dunst", "dunstctl", "dbus-daemon")
    began = time.monotonic()
    with _workdir("kwin") as work:
        procs = Processes(work)
        try:
            runtime = _private_dir(work / "runtime")
            env = _base_env(work, runtime)
            services = service_dir(work / "services")
            session = start_bus(procs, "session", env, services)
            env.update(DBUS_SESSION_BUS_ADDRESS=session)
            binary = work / "bin" / "kwin_wayland"
            binary.parent.mkdir()
            # copyfile, not copy2: the capability lives in an extended attribute.
            shutil.copyfile(str(shutil.which("kwin_wayland")), binary)
            binary.chmod(0o755)
            kwin_env = dict(env, KWIN_WAYLAND_NO_PERMISSION_CHECKS="1")
            compositor = procs.start(
                "kwin",
                [
                    str(binary),
                    "--virtual",
                    "--width",
                    "1280",
                    "--height",
                    "720",
                    "--socket",
                    "wayland-kwin",
                ],
                kwin_env,
            )
            socket_path = runtime / "wayland-kwin"
            wait_for(
                lambda: (
                    (socket_path.exists() and has_owner(env, "org.kde.KWin"))
                    or compositor.poll() is not None
                ),
                KWIN_START_S,
                "KWin's Wayland socket and org.kde.KWin",
            )
            assert compositor.poll() is None, f"KWin exited: {procs.log('kwin')}"
            env.update(
                WAYLAND_DISPLAY="wayland-kwin",
                XDG_SESSION_TYPE="wayland",
                XDG_CURRENT_DESKTOP="KDE",
            )
            dunst = procs.start("dunst", ["dunst"], env)
            wait_for(
                lambda: has_owner(env, "org.freedesktop.Notifications") or dunst.poll() is not None,
                KWIN_START_S,
                "dunst to own org.freedesktop.Notifications",
            )
            assert dunst.poll() is None, f"dunst exited: {procs.log('dunst')}"
            fake = KWinFakeInput(socket_path)
        except BaseException:
            procs.stop_all()
            raise
        try:
            yield RealDesktop(
                "kwin",
                env,
                {p: version(p) for p in ("kwin-wayland", "swayidle", "dunst")},
                time.monotonic() - began,
                procs,
                input=fake,
                shown=lambda: dunst_shown(env),
                clear=lambda: _dunstctl(env, "close-all") and None,
                extra={"globals": sorted(fake.globals)},
            )
        finally:
            fake.close()
            procs.stop_all()


# ------------------------------------------------------------------ the bus's own record


@dataclass
class Notified:
    """One Notify call seen on the session bus, and the id the server answered."""

    serial: int
    sender: str
    app: str
    replaces: int
    summary: str
    body: str
    actions: tuple[str, ...]
    urgency: int | None
    id: int | None = None  # from the server's reply


class BusWatch:
    """Every Notify call, its reply, and the server's signals, as the bus carried them.

    A monitor connection (org.freedesktop.DBus.Monitoring.BecomeMonitor) sees
    all traffic for org.freedesktop.Notifications: the evidence where the
    server's own tools cannot say what it shows.
    """

    def __init__(self, address: str) -> None:
        import threading

        from jeepney.io.blocking import open_dbus_connection

        self._conn = open_dbus_connection(address)
        rules = [
            "type='method_call',interface='org.freedesktop.Notifications'",
            "type='method_return'",
            "type='error'",
            "type='signal',interface='org.freedesktop.Notifications'",
        ]
        from jeepney import DBusAddress, new_method_call

        monitoring = DBusAddress(
            "/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus.Monitoring"
        )
        self._conn.send_and_get_reply(
            new_method_call(monitoring, "BecomeMonitor", "asu", (rules, 0)), timeout=5
        )
        self.calls: list[Notified] = []
        self.signals: list[tuple[str, tuple[Any, ...]]] = []  # (member, body)
        self.replies: dict[tuple[str, int], list[str]] = {}  # (to, serial) -> ["return"/"error"]
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from jeepney import HeaderFields, MessageType

        try:
            while True:
                msg = self._conn.receive()
                fields = msg.header.fields
                kind = msg.header.message_type
                with self._lock:
                    # Calls to the well-known name only: GNOME's gjs helper that
                    # owns it passes each on to the shell under its unique name.
                    if (
                        kind is MessageType.method_call
                        and fields.get(HeaderFields.member) == "Notify"
                        and fields.get(HeaderFields.destination) == "org.freedesktop.Notifications"
                    ):
                        app, replaces, _icon, summary, body, actions, hints, _t = msg.body
                        urgency = hints.get("urgency", (None, None))[1]
                        self.calls.append(
                            Notified(
                                msg.header.serial,
                                fields.get(HeaderFields.sender, ""),
                                app,
                                replaces,
                                summary,
                                body,
                                tuple(actions),
                                urgency,
                            )
                        )
                    elif kind in (MessageType.method_return, MessageType.error):
                        key = (
                            fields.get(HeaderFields.destination, ""),
                            fields.get(HeaderFields.reply_serial, -1),
                        )
                        self.replies.setdefault(key, []).append(kind.name)
                        for call in self.calls:
                            if (
                                kind is MessageType.method_return
                                and (call.sender, call.serial) == key
                                and call.id is None
                            ):
                                call.id = int(msg.body[0])
                    elif kind is MessageType.signal:
                        self.signals.append((fields.get(HeaderFields.member, ""), msg.body))
        except Exception:  # closed
            return

    def notified(self, app: str = "sitbreak") -> list[Notified]:
        with self._lock:
            return [c for c in self.calls if c.app == app]

    def close(self) -> None:
        import socket

        with contextlib.suppress(OSError):
            self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(2)
        self._conn.close()


# ------------------------------------------------------------------ Xfce on Xvfb

#: Debian installs it under the architecture's library directory, off PATH.
XFCE_NOTIFYD = next(
    iter(sorted(Path("/usr/lib").glob("*/xfce4/notifyd/xfce4-notifyd"))),
    Path("/usr/lib/xfce4/notifyd/xfce4-notifyd"),
)


def _xfce_popups(env: dict[str, str]) -> int:
    """How many of xfce4-notifyd's popup windows are on screen (mapped) now."""
    res = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--class", "xfce4-notifyd"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    return len(res.stdout.split())


@contextlib.contextmanager
def xfce_notifyd() -> Iterator[RealDesktop]:
    """Xvfb with xfce4-notifyd owning org.freedesktop.Notifications; input with xdotool."""
    require("Xvfb", "xdotool", str(XFCE_NOTIFYD), "dbus-daemon")
    began = time.monotonic()
    with _workdir("xfce") as work:
        procs = Processes(work)
        try:
            runtime = _private_dir(work / "runtime")
            env = _base_env(work, runtime)
            read_fd, write_fd = os.pipe()
            xvfb = subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    "1280x720x24",
                    "-nolisten",
                    "tcp",
                ],
                pass_fds=(write_fd,),
                env=procs.env(env),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            procs.groups.append(xvfb)
            os.close(write_fd)
            with os.fdopen(read_fd) as numbers:
                number = numbers.readline().strip()
            assert number, f"Xvfb did not start ({xvfb.poll()})"
            env["DISPLAY"] = f":{number}"
            services = service_dir(
                work / "services", keep_notifications="org.xfce.xfce4-notifyd.Notifications.service"
            )
            env["DBUS_SESSION_BUS_ADDRESS"] = start_bus(procs, "session", env, services)
            env.update(XDG_SESSION_TYPE="x11", XDG_CURRENT_DESKTOP="XFCE")
            notifyd = procs.start("xfce4-notifyd", [str(XFCE_NOTIFYD)], env)
            wait_for(
                lambda: (
                    has_owner(env, "org.freedesktop.Notifications") or notifyd.poll() is not None
                ),
                20,
                "xfce4-notifyd to own org.freedesktop.Notifications",
            )
            assert notifyd.poll() is None, f"xfce4-notifyd exited: {procs.log('xfce4-notifyd')}"
        except BaseException:
            procs.stop_all()
            raise
        position = [100]

        def move() -> None:
            position[0] = 300 - position[0]
            subprocess.run(
                ["xdotool", "mousemove", str(position[0]), "200"], env=env, check=True, timeout=10
            )

        def shown() -> list[Shown]:
            return _unnamed(_xfce_popups(env))

        try:
            yield RealDesktop(
                "xfce",
                env,
                {p: version(p) for p in ("xfce4-notifyd", "xvfb")},
                time.monotonic() - began,
                procs,
                input=move,
                shown=shown,
            )
        finally:
            procs.stop_all()
