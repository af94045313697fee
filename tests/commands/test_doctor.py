"""`sitbreak doctor` on real desktops: Xvfb, no display at all, and GNOME on "Wayland".

The three desktop cases run the real command (`python -m sitbreak doctor`)
in a subprocess whose environment is the session under test: Xvfb with a
private bus and dunst; nothing at all; a private bus where the test's own
GNOME idle monitor runs, with WAYLAND_DISPLAY set and no DISPLAY. The
system bus always points nowhere, so the machine's own logind never
answers. The config and service checks call `diagnose()` directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from test_idle_sources import FakeMutter, headless_sway
from test_signals import serving

from desktop import Desktop, desktop, require_tool
from sitbreak.daemon import diagnose as doctor
from sitbreak.desktop.activity import IMPORT_ENV_FIX

SRC = str(Path(__file__).resolve().parents[2] / "src")
NO_SYSTEM_BUS = "unix:path=/nonexistent/system_bus_socket"
#: What decides the session, the buses and the service: removed, then set per test.
SESSION_VARS = (
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_SESSION_TYPE",
    "XDG_CURRENT_DESKTOP",
    "XDG_SESSION_ID",
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_SYSTEM_BUS_ADDRESS",
    "SITBREAK_SYSTEMCTL",
)

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="doctor's desktop cases are Linux sessions"
)


def session_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SESSION_VARS}
    env["DBUS_SYSTEM_BUS_ADDRESS"] = NO_SYSTEM_BUS
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
    env.update(values)
    return env


def run_doctor(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sitbreak", "doctor", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def as_json(env: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    res = run_doctor(env, "--json")
    assert res.stdout, res.stderr
    return res.returncode, json.loads(res.stdout)


def check(report: dict[str, Any], area: str, name: str) -> dict[str, Any]:
    found = [c for c in report["checks"] if c["area"] == area and c["name"] == name]
    assert len(found) == 1, f"{area}/{name}: {found}"
    return found[0]


# ------------------------------------------------------------ three desktops


@pytest.fixture
def desk() -> Iterator[Desktop]:
    with desktop(with_dunst=True) as d:
        yield d


@linux_only
@pytest.mark.desktop
def test_doctor_on_xvfb_chooses_x11(desk: Desktop) -> None:
    env = session_env(DISPLAY=desk.display, DBUS_SESSION_BUS_ADDRESS=desk.bus.address)
    status, report = as_json(env)
    assert status == 0
    assert report["ok"] is True
    assert report["session"] == {"type": "x11", "evidence": {"DISPLAY": desk.display}}
    assert report["activity"]["chosen"] == "x11"
    assert report["activity"]["order"] == ["x11", "gnome", "freedesktop", "pynput", "logind"]
    assert check(report, "activity", "x11")["status"] == "ok"
    assert check(report, "activity", "pynput")["status"] == "ok"  # tried too, though not chosen
    gnome = check(report, "activity", "gnome")
    assert gnome["status"] == "info"  # does not work, but needs no fix: x11 does
    assert "not a GNOME session" in gnome["detail"]
    assert check(report, "activity", "swayidle")["status"] == "--"
    server = check(report, "notifications", "server")
    assert server["status"] == "ok"
    assert "dunst" in server["detail"] and "capabilities: " in server["detail"]
    assert "body" in server["detail"]
    assert report["problems"] == [
        c for c in report["checks"] if c["status"] in ("FAIL", "warn") and c["fix"]
    ]

    text = run_doctor(env)
    assert text.returncode == 0, text.stderr
    assert f"Session: X11 (DISPLAY={desk.display})" in text.stdout
    assert "`sitbreak run` would work here, watching activity with x11." in text.stdout
    assert "  ok    x11          used by `sitbreak run`: X display" in text.stdout


@linux_only
def test_doctor_without_any_display_says_run_cannot_work_and_the_fix() -> None:
    env = session_env()
    res = run_doctor(env)
    assert res.returncode == doctor.EXIT_NO_SOURCE == 3
    out = res.stdout
    assert "Session: none: no DISPLAY, WAYLAND_DISPLAY or XDG_SESSION_TYPE" in out
    assert "`sitbreak run` could not work here" in out
    assert "x11          not tried: DISPLAY is not set" in out
    assert "gnome        no session bus (DBUS_SESSION_BUS_ADDRESS is not set)" in out
    # The one command, whole on one line under "To fix".
    fixes = out.split("To fix", 1)[1]
    assert f"    {IMPORT_ENV_FIX}\n" in fixes
    # No bus hears a lock either: where to run it, and what to check for logind.
    lock_fix = fixes.split("  lock / screen lock:\n    ", 1)[1].split("\n", 1)[0]
    assert lock_fix.startswith("run sitbreak inside your desktop session")
    assert "`busctl status org.freedesktop.login1`" in lock_fix
    assert "Traceback" not in res.stderr

    status, report = as_json(env)
    assert status == 3
    assert report["ok"] is False
    assert report["activity"]["chosen"] is None
    assert {"area": "activity", "name": "(none)"}.items() <= report["problems"][0].items()
    assert report["problems"][0]["fix"] == IMPORT_ENV_FIX


BARE_BUS = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextlib.contextmanager
def bare_bus(tmp_path: Path) -> Iterator[str]:
    """A session bus with no service directories: nothing on it can be D-Bus-activated.

    (tests/desktop.py's buses use the standard session config, where an
    installed dunst is activatable.)"""
    require_tool("dbus-daemon")
    config = tmp_path / "bare-bus.conf"
    config.write_text(BARE_BUS.format(dir=tmp_path))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().decode().strip()
        assert address, "dbus-daemon printed no address"
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


@linux_only
def test_doctor_on_wayland_with_gnome_chooses_gnome(tmp_path: Path) -> None:
    with bare_bus(tmp_path) as address, serving(FakeMutter(address)):
        env = session_env(
            WAYLAND_DISPLAY="wayland-test",
            XDG_SESSION_TYPE="wayland",
            DBUS_SESSION_BUS_ADDRESS=address,
        )
        status, report = as_json(env)
    assert status == 0, report
    assert report["session"]["type"] == "wayland"
    assert report["activity"]["chosen"] == "gnome"
    assert report["activity"]["order"] == ["gnome", "freedesktop", "swayidle", "logind"]
    assert "org.gnome.Mutter.IdleMonitor answers" in check(report, "activity", "gnome")["detail"]
    for name in ("x11", "pynput"):
        refused = check(report, "activity", name)
        assert refused["status"] == "--"
        assert "this is a Wayland session" in refused["detail"]
    # No notification server on that bus: said, with a fix, but run works anyway.
    server = check(report, "notifications", "server")
    assert (server["status"], server["fix"]) == ("warn", "sudo apt install dunst")


@linux_only
@pytest.mark.desktop
def test_doctor_on_sway_chooses_swayidle(tmp_path: Path) -> None:
    with headless_sway(tmp_path) as wayland:
        status, report = as_json(session_env(XDG_SESSION_TYPE="wayland", **wayland))
    assert status == 0, report
    assert report["activity"]["chosen"] == "swayidle"
    assert check(report, "activity", "gnome")["status"] == "info"  # no session bus at all
    detail = check(report, "activity", "swayidle")["detail"]
    # True on sway 1.7, which has only the older KDE idle protocol, and on newer ones.
    assert "runs (the compositor's idle protocol)" in detail and "ext-idle" not in detail


# ------------------------------------------------------------ config and service


def quiet_env(**values: str) -> dict[str, str]:
    """No display, no buses: the activity part fails fast, the rest is what is tested."""
    env = session_env(**values)
    env.pop("PYTHONPATH")
    return env


def test_doctor_reports_an_invalid_config_with_runs_exit_status(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text('[prompts]\nmove_after = 30\n[activity]\nsource = "webcam"\n')
    report = doctor.diagnose(quiet_env(EDITOR="vi"), bad)
    assert report.exit_status == doctor.EXIT_CONFIG == 2
    config = next(c for c in report.checks if c.area == "config")
    assert config.status == doctor.FAIL
    assert "move_after" in config.detail
    assert config.fix == f"vi {bad}"
    assert "the config file is invalid" in doctor.render(report)


def test_a_broken_prompts_file_is_reported_as_it_stops_run(tmp_path: Path) -> None:
    # `sitbreak run` reads prompts.toml beside the config and exits 2 on a broken one:
    # doctor must not say it would work.
    prompts = Path(os.environ["SITBREAK_HOME"]) / "config" / "prompts.toml"
    prompts.parent.mkdir(parents=True)
    prompts.write_text('[[prompt]]\nid = "wall"\nkind = "move"\ntitle = "Stand up"\n')
    report = doctor.diagnose(quiet_env(EDITOR="vi"), None)
    assert report.exit_status == doctor.EXIT_CONFIG
    check = next(c for c in report.checks if c.name == "prompts file")
    assert check.status == doctor.FAIL and str(prompts) in check.detail
    assert check.fix == f"vi {prompts}"
    shown = doctor.render(report)
    assert "your prompts.toml is invalid" in shown and "would work here" not in shown


def test_a_folder_doctor_cannot_read_is_a_finding_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Seen running doctor as another user: the autostart folder could not be read.
    from sitbreak import autostart

    class Unreadable:
        def exists(self) -> bool:
            raise PermissionError(13, "Permission denied", "/home/me/.config/autostart")

    monkeypatch.setattr(autostart, "detect", lambda env: autostart.Host("linux", None))
    monkeypatch.setattr(autostart, "autostart_path", lambda env: Unreadable())
    report = doctor.diagnose(quiet_env(), None)
    service = [c for c in report.checks if c.area == "service"]
    assert [(c.status, c.detail) for c in service] == [
        (doctor.WARN, "could not look at /home/me/.config/autostart: Permission denied")
    ]
    assert "could not look at" in doctor.render(report)


def test_a_valid_prompts_file_is_said_to_be_valid(tmp_path: Path) -> None:
    prompts = Path(os.environ["SITBREAK_HOME"]) / "config" / "prompts.toml"
    prompts.parent.mkdir(parents=True)
    prompts.write_text('[[prompt]]\nid = "move-walk"\nenabled = false\n')
    report = doctor.diagnose(quiet_env(), None)
    check = next(c for c in report.checks if c.name == "prompts file")
    assert (check.status, check.detail) == (doctor.OK, f"{prompts} is valid")


def test_doctor_reports_a_valid_config_file(tmp_path: Path) -> None:
    good = tmp_path / "config.toml"
    good.write_text('[prompts]\nmove_after = "45m"\n')
    report = doctor.diagnose(quiet_env(), good)
    config = next(c for c in report.checks if c.area == "config")
    assert (config.status, config.detail) == (doctor.OK, f"{good} is valid")
    data = {c.name: c.detail for c in report.checks if c.area == "data"}
    home = Path(os.environ["SITBREAK_HOME"])
    assert data["database"] == f"{home / 'data' / 'sitbreak.db'} (SQLite, not created yet)"


STUB_SYSTEMCTL = """\
#!{python}
import sys
args = sys.argv[1:]
if "show-environment" in args:
    print({environment!r})
elif "show" in args:
    print({show!r})
"""

RUNNING = (
    "LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=4242"
)


@pytest.mark.parametrize(
    ("show", "environment", "expected"),
    [
        ("LoadState=not-found\nActiveState=inactive", "", ("warn", "sitbreak service install")),
        (
            "LoadState=loaded\nActiveState=failed\nExecMainStatus=3\nUnitFileState=enabled",
            "",
            ("warn", "systemctl --user restart sitbreak"),
        ),
        (RUNNING, "HOME=/home/x\nWAYLAND_DISPLAY=wayland-1", ("ok", "")),
    ],
    ids=["not-installed", "failed", "running"],
)
def test_doctor_reports_the_user_service(
    tmp_path: Path, show: str, environment: str, expected: tuple[str, str]
) -> None:
    stub = tmp_path / "systemctl"
    stub.write_text(
        STUB_SYSTEMCTL.format(python=sys.executable, show=show, environment=environment)
    )
    stub.chmod(0o755)
    env = quiet_env(SITBREAK_SYSTEMCTL=str(stub), WAYLAND_DISPLAY="wayland-1")
    report = doctor.diagnose(env)
    service = [c for c in report.checks if c.area == "service"]
    assert (service[0].status, service[0].fix) == expected
    assert len(service) == 1  # the running one's manager has WAYLAND_DISPLAY: nothing to add


def test_doctor_warns_when_the_service_cannot_see_the_session(tmp_path: Path) -> None:
    stub = tmp_path / "systemctl"
    stub.write_text(STUB_SYSTEMCTL.format(python=sys.executable, show=RUNNING, environment="A=b"))
    stub.chmod(0o755)
    report = doctor.diagnose(quiet_env(SITBREAK_SYSTEMCTL=str(stub), WAYLAND_DISPLAY="wayland-1"))
    env_check = next(c for c in report.checks if c.name == "service environment")
    assert env_check.status == doctor.WARN
    assert "no WAYLAND_DISPLAY" in env_check.detail
    assert env_check.fix == IMPORT_ENV_FIX


def test_doctor_shows_the_sync_folder_and_every_other_computer(tmp_path: Path) -> None:
    import time

    from sitbreak.storage.sync import SyncWriter

    folder = tmp_path / "Sync"
    folder.mkdir()
    now = time.time()
    laptop = SyncWriter(folder, "b" * 16, "laptop")
    laptop.activity(now - 40)
    laptop.tick(now - 40)
    ahead = SyncWriter(folder, "c" * 16, "old pc")
    ahead.record("hb", t=now + 600)  # its clock is ten minutes fast
    ahead.tick(now)
    (folder / ("c" * 16) / "2026-11-02.sync-conflict-20261102-090000-ABCDEFG.jsonl").write_text("")
    with open(
        folder / ("c" * 16) / f"{time.strftime('%Y-%m-%d', time.gmtime(now))}.jsonl", "a"
    ) as f:
        f.write("not a record\n")
    good = tmp_path / "config.toml"
    good.write_text(f'[sync]\nfolder = "{folder}"\nname = "desk"\n')
    report = doctor.diagnose(quiet_env(), good)
    checks = {c.name: c for c in report.checks if c.area == "sync"}
    assert (checks["folder"].status, checks["folder"].detail) == (
        doctor.OK,
        f"{folder} (writable); this computer's files there are kept 60 days ([sync] keep)",
    )
    assert checks["this computer"].detail.startswith("desk (")
    assert checks["laptop"].status == doctor.OK
    # The name is the check's own column: the detail does not say it again.
    assert checks["laptop"].detail.startswith("last record 4")  # 40-odd seconds ago
    assert checks["old pc"].status == doctor.WARN
    assert "its clock is 10 minutes ahead" in checks["old pc"].detail
    assert "1 bad line skipped" in checks["old pc"].detail
    assert checks["old pc"].fix.endswith(": 1 line is not a record")
    assert checks["conflict copies"].status == doctor.WARN
    assert checks["conflict copies"].detail.startswith("1 Syncthing conflict copy (")
    text = doctor.render(report)
    assert "Other computers ([sync] folder)" in text


def test_an_activitywatch_server_that_does_not_answer_is_shown_beside_its_fix(
    tmp_path: Path,
) -> None:
    """The text report had no ActivityWatch section: its warning was missing,
    and "To fix" named a problem the report above it never showed."""
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    good = tmp_path / "config.toml"
    good.write_text(f'[activitywatch]\nserver = "http://127.0.0.1:{port}"\n')
    report = doctor.diagnose(quiet_env(), good)
    (aw,) = [c for c in report.checks if c.area == "activitywatch"]
    assert aw.status == doctor.WARN and aw.fix
    text = doctor.render(report)
    section = text.split("\nActivityWatch ([activitywatch] server)\n", 1)[1].split("\n\n")[0]
    assert section.lstrip().startswith("warn  server  ")
    assert f"127.0.0.1:{port}" in section
    assert "?;" not in aw.detail and aw.detail.endswith(
        "is this its address? Sessions wait in memory (at most 1000) until it answers"
    )
    # Whatever "To fix" lists is shown in a section above it.
    above, fixes = text.split("\nTo fix\n", 1)
    for problem in report.problems:
        assert f"  {problem.area} / {problem.name}:" in fixes
        assert " ".join(problem.detail.split()) in " ".join(above.split()), problem


def test_every_area_doctor_looks_at_has_its_section_in_the_text() -> None:
    areas = {c.area for c in doctor.diagnose(quiet_env()).checks}
    shown = {area for area, _title in doctor.SECTIONS}
    assert areas <= shown, areas - shown


def test_doctor_gives_the_time_and_zone_of_a_computer_silent_for_days(tmp_path: Path) -> None:
    import datetime as dt
    import time
    from zoneinfo import ZoneInfo

    from sitbreak.storage.sync import SyncWriter

    folder = tmp_path / "Sync"
    folder.mkdir()
    then = time.time() - 3 * 86400
    old = SyncWriter(folder, "b" * 16, "old laptop")
    old.activity(then)
    old.tick(then)
    (folder / ("b" * 16) / ".syncthing.2026-11-30.jsonl.tmp").write_text("")
    good = tmp_path / "config.toml"
    good.write_text(
        f'[general]\ntimezone = "Asia/Tokyo"\n[sync]\nfolder = "{folder}"\nkeep = "30d"\n'
    )
    report = doctor.diagnose(quiet_env(), good)
    checks = {c.name: c for c in report.checks if c.area == "sync"}
    when = dt.datetime.fromtimestamp(then, ZoneInfo("Asia/Tokyo"))
    assert checks["old laptop"].detail.startswith(
        f"last record 3 days ago ({when:%a} {when.day} {when:%b} {when:%H:%M} JST)"
    )
    assert "kept 30 days ([sync] keep)" in checks["folder"].detail
    assert checks["being received"].detail == (
        "1 file Syncthing is still receiving (ignored until whole)"
    )


def test_doctor_says_when_the_sync_folder_is_missing(tmp_path: Path) -> None:
    good = tmp_path / "config.toml"
    good.write_text(f'[sync]\nfolder = "{tmp_path / "usb" / "Sync"}"\n')
    report = doctor.diagnose(quiet_env(), good)
    (check,) = [c for c in report.checks if c.area == "sync"]
    assert check.status == doctor.WARN
    assert "does not exist (not mounted, or not synced yet)" in check.detail


@pytest.mark.parametrize("failing", [True, False])
def test_doctor_says_when_the_running_sitbreak_only_logs_its_prompts(failing: bool) -> None:
    from sitbreak.daemon import control
    from sitbreak.daemon.control import ControlServer

    def running_sitbreak(request: object) -> dict[str, object]:
        if not failing:
            return {"ok": True, "notifications": "working", "notifications_problem": None}
        return {
            "ok": True,
            "notifications": "failing: prompts are logged",
            "notifications_problem": "dbus: org.freedesktop.Notifications has no owner",
        }

    with ControlServer(control.socket_path(), running_sitbreak):
        report = doctor.diagnose(quiet_env())
    (running,) = [c for c in report.checks if c.name == "running sitbreak"]
    if not failing:
        assert (running.status, running.detail) == (doctor.OK, "shows its prompts")
        return
    assert running.status == doctor.WARN
    assert running.detail == (
        "prompts are only being logged: it cannot show notifications "
        "(dbus: org.freedesktop.Notifications has no owner); it tries again every 5 minutes"
    )
    assert running.fix  # the command that gives a notification server
    assert running in report.problems
