"""Installing sitbreak for real, as people do: helpers for the packaging and install.sh tests.

They build and install from PyPI's wheels into throwaway homes and venvs,
with an environment stripped of this test run's own settings (SITBREAK_HOME,
the desktop, the virtualenv), so that what they see is what a new user sees.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: pip, venv and a build can take a while on a loaded 2-core machine.
TIMEOUT_S = 900

#: What the checkout holds that is not source: left out of the copy that gets built.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)

#: This test run's settings that a new user's shell would not have.
_DROPPED_PREFIXES = ("SITBREAK_", "XDG_", "PIPX_", "PYTHON", "PYENV_VERSION", "VIRTUAL_ENV")
_DROPPED = {"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS", "CI"}


def source_copy(dest: Path) -> Path:
    """The checkout's source, copied: building it writes build/ and *.egg-info into it."""
    shutil.copytree(ROOT, dest, ignore=_NOT_SOURCE, symlinks=True)
    return dest


def user_env(home: Path, *, path: list[Path] | None = None, **extra: str) -> dict[str, str]:
    """A login-like environment for a new user whose home is `home` (created, 0700).

    PATH is `path` followed by the system directories, never ~/.local/bin
    unless `path` names it. XDG_RUNTIME_DIR is a private directory of its own,
    as logind would make.
    """
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime = home.parent / f"{home.name}-run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED and not k.startswith(_DROPPED_PREFIXES)
    }
    system = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([*(str(p) for p in path or []), *system]),
        XDG_RUNTIME_DIR=str(runtime),
        SHELL="/bin/bash",
    )
    env.update(extra)
    return env


def run(
    argv: list[str | Path], env: dict[str, str], *, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv`; with `check`, a failure shows its whole output."""
    res = subprocess.run(
        [str(a) for a in argv],
        env=env,
        cwd=cwd or env["HOME"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and res.returncode != 0:
        raise AssertionError(
            f"{shlex.join(str(a) for a in argv)} exited {res.returncode}\n"
            f"--- stdout\n{res.stdout}\n--- stderr\n{res.stderr}"
        )
    return res


def installed_names(python: Path, env: dict[str, str]) -> set[str]:
    """The distributions installed in `python`'s environment, lower-cased."""
    code = "import importlib.metadata as m\nfor d in m.distributions(): print(d.metadata['Name'])"
    return {n.strip().lower() for n in run([python, "-c", code], env).stdout.split()}


@dataclass
class Systemctl:
    """A stand-in `systemctl` on PATH: records its calls, answers like a user manager."""

    bin_dir: Path
    log: Path

    @property
    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def stub_systemctl(where: Path, *, user_session: bool, graphical: bool = False) -> Systemctl:
    """A `systemctl` in `where`/bin.

    Without `user_session` every `--user` call fails as it does where no user
    manager runs; with it, `graphical` says whether graphical-session.target
    is active (a desktop session that tells systemd about itself), and the
    service is "running" once `enable --now` was called.
    """
    bin_dir = where / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = where / "systemctl.log"
    q = shlex.quote(str(log))
    body = (
        'echo "Failed to connect to bus: No medium found" >&2; exit 1\n'
        if not user_session
        else f"""case "$*" in
  "--user show-environment") echo "HOME=$HOME" ;;
  "--user is-active --quiet graphical-session.target") exit {0 if graphical else 3} ;;
  "--user is-active --quiet sitbreak.service") grep -q -- "^--user enable --now" {q} || exit 3 ;;
  "--user is-enabled --quiet sitbreak.service") grep -q -- "^--user enable" {q} ;;
  "--user show sitbreak.service"*)
    if grep -q -- "^--user enable --now" {q}; then
      printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\nMainPID=4242\\n'
      printf 'UnitFileState=enabled\\n'
    elif grep -q -- "^--user enable" {q}; then
      printf 'LoadState=loaded\\nActiveState=inactive\\nSubState=dead\\nUnitFileState=enabled\\n'
    else
      printf 'LoadState=not-found\\nActiveState=inactive\\n'
    fi ;;
esac
"""
    )
    script = bin_dir / "systemctl"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {q}\n{body}')
    script.chmod(0o755)
    return Systemctl(bin_dir, log)
