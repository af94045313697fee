"""`bash scripts/install.sh`, as a new user meets it: a fresh home, ~/.local/bin not on PATH.

Each scenario is a machine people have: a desktop with a systemd user session,
a systemd machine reached over ssh (no desktop yet), a desktop without
systemd, and a machine with neither. systemd is a stub `systemctl` on PATH
(install.sh hands the same one to `sitbreak service`); the desktop is Xvfb.
Installs need PyPI's wheels. Tests that do not uninstall share one venv, as
running install.sh again (an upgrade) reuses it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop import xvfb
from installs import ROOT, Systemctl, run, stub_systemctl, user_env

pytestmark = pytest.mark.install

INSTALL_SH = ROOT / "scripts" / "install.sh"
PATH_ADVICE = (
    "== ~/.local/bin is not on your PATH, so your shell does not find `sitbreak` yet.\n"
    "   Add it for new terminals:  echo 'export PATH=\"$HOME/.local/bin:$PATH\"' >> ~/.bashrc\n"
    '   and in this terminal:      export PATH="$HOME/.local/bin:$PATH"\n'
)


@pytest.fixture(scope="module")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shared") / "venv"


def install_sh(
    home: Path, *args: str, systemctl: Systemctl, venv: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run install.sh as the user whose home is `home`; stdout and stderr together."""
    environ = user_env(home, path=[systemctl.bin_dir], **{"PYTHON": sys.executable, **env})
    if venv is not None:
        environ["SITBREAK_VENV"] = str(venv)
    return subprocess.run(
        ["bash", str(INSTALL_SH), *args],
        env=environ,
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
        check=False,
    )


def sitbreak(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([home / ".local" / "bin" / "sitbreak", *args], user_env(home, **env), check=False)


def checkout_state() -> str:
    """What git sees in the checkout, ignored files included (build/, *.egg-info)."""
    res = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--ignored"],
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout if res.returncode == 0 else ""


def test_with_a_desktop_session_it_becomes_a_running_user_service(
    tmp_path: Path, shared_venv: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # Debian and Ubuntu's ~/.profile puts ~/.local/bin on PATH at login, if it exists.
    (home / ".profile").write_text(
        'if [ -d "$HOME/.local/bin" ] ; then\n    PATH="$HOME/.local/bin:$PATH"\nfi\n'
    )
    systemctl = stub_systemctl(tmp_path / "stub", user_session=True, graphical=True)
    before = checkout_state()

    res = install_sh(home, systemctl=systemctl, venv=shared_venv, DISPLAY=":99")

    assert res.returncode == 0, res.stdout
    assert checkout_state() == before  # no build/ or *.egg-info left in the checkout
    assert "--user enable --now sitbreak.service" in systemctl.calls
    unit = (home / ".config" / "systemd" / "user" / "sitbreak.service").read_text()
    assert f"ExecStart={shared_venv}/bin/python -m sitbreak run\n" in unit
    assert not (home / ".config" / "autostart" / "sitbreak.desktop").exists()
    assert "== running, and it starts with your desktop from now on. " in res.stdout
    assert "Try: ~/.local/bin/sitbreak status\n" in res.stdout
    assert res.stdout.endswith(
        "== ~/.local/bin is not on your PATH, so your shell does not find `sitbreak` yet.\n"
        "   Your ~/.profile adds it when you next log in. Until then, in this terminal:\n"
        '     export PATH="$HOME/.local/bin:$PATH"\n'
    ), res.stdout


def test_systemd_without_a_desktop_enables_it_for_the_next_session(
    tmp_path: Path, shared_venv: Path
) -> None:
    home = tmp_path / "home"
    systemctl = stub_systemctl(tmp_path / "stub", user_session=True, graphical=False)
    local_bin = home / ".local" / "bin"

    # Over ssh, say: no display, and this user already has ~/.local/bin on PATH.
    res = install_sh(
        home,
        systemctl=systemctl,
        venv=shared_venv,
        PATH=os.pathsep.join([str(systemctl.bin_dir), str(local_bin), "/usr/bin", "/bin"]),
    )

    assert res.returncode == 0, res.stdout
    assert "--user enable sitbreak.service" in systemctl.calls
    assert not [c for c in systemctl.calls if "--now" in c or " start" in c]
    assert res.stdout.endswith(
        "== installed; it will start with your desktop session. Then try: sitbreak status\n"
    ), res.stdout
    assert "PATH" not in res.stdout


def test_a_desktop_that_does_not_tell_systemd_gets_an_autostart_entry(
    tmp_path: Path, shared_venv: Path
) -> None:
    # startx and a window manager: systemd runs, graphical-session.target does not.
    # The display cannot be opened either, so the monitor cannot start here.
    home = tmp_path / "home"
    systemctl = stub_systemctl(tmp_path / "stub", user_session=True, graphical=False)

    res = install_sh(
        home,
        systemctl=systemctl,
        venv=shared_venv,
        DISPLAY=":9876",
        DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={tmp_path}/no-system-bus",
    )

    assert res.returncode == 0, res.stdout  # installed: it just cannot start on this display
    assert not [c for c in systemctl.calls if "enable" in c]
    assert (home / ".config" / "autostart" / "sitbreak.desktop").exists()
    assert (
        "== this desktop does not start systemd's graphical-session.target, so a user\n"
        "   service would not start with it: an autostart entry does instead.\n"
        "== wrote ~/.config/autostart/sitbreak.desktop (desktops start what is listed there "
        "at login)\n"
        "== installed, but it cannot watch keyboard and mouse activity on this display.\n"
        "   `~/.local/bin/sitbreak doctor` says what it can see and how to fix it; "
        "the log: ~/.local/share/sitbreak/sitbreak.log\n" + PATH_ADVICE
    ) in res.stdout


def test_without_systemd_or_a_display_it_starts_with_the_desktop_session(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    venv = home / ".local" / "share" / "sitbreak" / "venv"  # the default
    systemctl = stub_systemctl(tmp_path / "stub", user_session=False)

    res = install_sh(home, systemctl=systemctl)

    assert res.returncode == 0, res.stdout
    entry = (home / ".config" / "autostart" / "sitbreak.desktop").read_text()
    assert f"Exec={venv}/bin/python -m sitbreak run\n" in entry
    assert res.stdout.startswith(
        f"== installing sitbreak with Python {sys.version.split()[0]} into "
        "~/.local/share/sitbreak/venv\n"
        "== installed sitbreak "
    ), res.stdout
    assert (
        "== wrote ~/.config/autostart/sitbreak.desktop (desktops start what is listed there "
        "at login)\n"
        "== installed; it will start with your desktop session. "
        "Then try: ~/.local/bin/sitbreak status\n" + PATH_ADVICE
    ) in res.stdout
    status = sitbreak(home, "status")  # nothing runs: there is no desktop
    assert status.returncode != 0
    assert "sitbreak is not running" in status.stderr

    # Uninstalling with --purge leaves nothing behind.
    (home / ".config" / "sitbreak").mkdir(parents=True)
    (home / ".config" / "sitbreak" / "config.toml").write_text("")
    res = install_sh(home, "--uninstall", "--purge", systemctl=systemctl)
    assert res.returncode == 0, res.stdout
    assert not venv.exists()
    assert not (home / ".local" / "bin" / "sitbreak").exists()
    assert not (home / ".config" / "autostart" / "sitbreak.desktop").exists()
    assert not (home / ".config" / "sitbreak").exists()
    assert not (home / ".local" / "share" / "sitbreak").exists()
    assert res.stdout.endswith(
        "== deleted ~/.config/sitbreak\n"
        "== sitbreak is uninstalled, and your data and config are deleted.\n"
    ), res.stdout


def test_without_systemd_on_a_display_it_starts_now_and_uninstall_keeps_the_data(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    venv = tmp_path / "venv"
    systemctl = stub_systemctl(tmp_path / "stub", user_session=False)
    with xvfb() as display:
        res = install_sh(home, systemctl=systemctl, venv=venv, DISPLAY=display)
        assert res.returncode == 0, res.stdout
        found = re.search(
            r"^== running now \(pid (\d+)\)\. Try: ~/\.local/bin/sitbreak status", res.stdout, re.M
        )
        assert found, res.stdout
        pid = int(found[1])
        try:
            assert "(log: ~/.local/share/sitbreak/sitbreak.log)" in res.stdout
            assert res.stdout.endswith(PATH_ADVICE), res.stdout
            status = sitbreak(home, "status", DISPLAY=display)
            assert status.returncode == 0, status.stderr
            log = home / ".local" / "share" / "sitbreak" / "sitbreak.log"
            assert log.stat().st_mode & 0o777 == 0o600

            res = install_sh(home, "--uninstall", systemctl=systemctl, venv=venv)
            assert res.returncode == 0, res.stdout
            assert f"== stopped the running sitbreak (pid {pid})\n" in res.stdout
        finally:
            stop(pid)
    assert not venv.exists()
    assert not (home / ".local" / "bin" / "sitbreak").exists()
    assert not (home / ".config" / "autostart" / "sitbreak.desktop").exists()
    assert (home / ".local" / "share" / "sitbreak" / "sitbreak.db").exists()
    assert res.stdout.endswith(
        "== sitbreak is uninstalled. Your data and settings are kept:\n"
        "   data (database, daily summaries): ~/.local/share/sitbreak\n"
        "   To delete them too: bash scripts/install.sh --uninstall --purge\n"
    ), res.stdout


def test_uninstall_cleans_up_after_a_venv_removed_by_hand(tmp_path: Path) -> None:
    home = tmp_path / "home"
    unit = home / ".config" / "systemd" / "user" / "sitbreak.service"
    entry = home / ".config" / "autostart" / "sitbreak.desktop"
    for path in (unit, entry):
        path.parent.mkdir(parents=True)
        path.write_text("left behind\n")
    link = home / ".local" / "bin" / "sitbreak"
    link.parent.mkdir(parents=True)
    link.symlink_to("/opt/someone-else/bin/sitbreak")  # not ours: left alone
    systemctl = stub_systemctl(tmp_path / "stub", user_session=True)

    res = install_sh(home, "--uninstall", systemctl=systemctl)

    assert res.returncode == 0, res.stdout
    assert not unit.exists() and not entry.exists()
    assert link.is_symlink()
    assert systemctl.calls[-2:] == ["--user disable --now sitbreak.service", "--user daemon-reload"]
    assert res.stdout == (
        "== no sitbreak installation in ~/.local/share/sitbreak/venv; removing what it left\n"
        "   stopped, disabled and removed ~/.config/systemd/user/sitbreak.service\n"
        "   removed ~/.config/autostart/sitbreak.desktop\n"
        "== left ~/.local/bin/sitbreak alone: it is another installation's "
        "(/opt/someone-else/bin/sitbreak)\n"
        "== sitbreak is uninstalled; it had no data or config to keep.\n"
    )


def test_too_old_a_python_is_named_with_what_to_do(tmp_path: Path) -> None:
    old = tmp_path / "python3.8"
    old.write_text('#!/bin/sh\n[ "$1" = -V ] && echo "Python 3.8.10"\nexit 1\n')
    old.chmod(0o755)
    systemctl = stub_systemctl(tmp_path / "stub", user_session=False)
    res = install_sh(tmp_path / "home", systemctl=systemctl, PYTHON=str(old))
    assert res.returncode == 1
    assert res.stdout == (
        f"sitbreak needs Python 3.10 or newer; {old} is Python 3.8.10.\n"
        "Install a newer Python and name it: PYTHON=python3.12 bash scripts/install.sh\n"
    )


def stop(pid: int) -> None:
    """End the monitor install.sh started, if the test failed before uninstall did."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
