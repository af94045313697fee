"""Whether a screen lock on sway can reach sitbreak: what `doctor` looks at.

swaylock tells nobody it locked (swaywm/swaylock#382), and neither swaylock
1.7 nor swayidle 1.8 ever sets logind's LockedHint, the one lock signal
sitbreak can hear on sway (measured on a real sway: docs/desktops.md,
"Screen lock on sway"). A lock is heard only when whatever starts swaylock
sets the hint around it, and the usual place for that is swayidle's `lock`
handler, which runs when logind is asked to lock (`loginctl lock-session`).

This module gathers the facts: the swayidle processes on this Wayland
display (their command lines: the user's own processes, read, never kept),
the config the running sway loaded (`swaymsg -t get_config`) and the file
it came from. `sitbreak.daemon.diagnose` turns them into words. Nothing here
changes anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]

from sitbreak.desktop.swayidle import IDLE_WORD

#: The call that tells logind this session is locked (true) or not (false).
SET_LOCKED_HINT = (
    "busctl call org.freedesktop.login1 /org/freedesktop/login1/session/auto "
    "org.freedesktop.login1.Session SetLockedHint b"
)
#: The swayidle line that makes every lock through logind heard: the lock
#: handler sets LockedHint, runs swaylock, and clears the hint when swaylock
#: ends with an unlock (exit 0). A second swaylock while one is up fails at
#: once (exit 2) and leaves the hint alone; `&` keeps swayidle free while locked.
SWAYIDLE_PARTS = (
    "exec swayidle -w",
    "timeout 300 'loginctl lock-session'",
    "before-sleep 'loginctl lock-session'",
    f"lock '{{ {SET_LOCKED_HINT} true; swaylock && {SET_LOCKED_HINT} false; }} &'",
)
SWAYIDLE_LINE = " ".join(SWAYIDLE_PARTS)
#: The same, as the docs show it: sway joins a line that ends in a backslash to the next.
SWAYIDLE_LINES = " \\\n    ".join(SWAYIDLE_PARTS)
#: A lock key that goes through logind, and so through the line above.
LOCK_KEY_LINE = "bindsym $mod+l exec loginctl lock-session"
#: swayidle's events and how many arguments each takes after its name.
_EVENTS = {
    "timeout": 2,
    "resume": 1,
    "before-sleep": 1,
    "after-resume": 1,
    "lock": 1,
    "unlock": 1,
    "idlehint": 1,
}
_OPTIONS_WITH_VALUE = ("-C", "-S")
SWAYMSG_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class SwayidleRun:
    """One swayidle process: its events as (event, command) pairs, in its order."""

    pid: int
    events: tuple[tuple[str, str], ...]
    source: str  # "its command line", or the config file it read

    def commands(self, event: str) -> list[str]:
        return [cmd for name, cmd in self.events if name == event]


@dataclass(frozen=True)
class SwayFacts:
    """What doctor found of this sway session's lock set-up."""

    swayidles: tuple[SwayidleRun, ...]
    config_file: str  # the file to edit, "~/" for the home directory
    config: str | None  # the config sway loaded; None if it could not be read
    config_problem: str = ""  # why it could not be read
    unreadable: tuple[int, ...] = field(default=())  # swayidle pids whose details we cannot see


def parse_swayidle(argv: Sequence[str]) -> tuple[tuple[str, str], ...] | None:
    """swayidle's events from its arguments (after the program name); None if none are given."""
    events: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _OPTIONS_WITH_VALUE:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        takes = _EVENTS.get(arg)
        if takes is None:  # not swayidle's syntax: stop rather than guess
            break
        values = list(argv[i + 1 : i + 1 + takes])
        if arg == "idlehint" or not values:
            i += 1 + takes
            continue
        events.append((arg, values[-1]))
        i += 1 + takes
    return tuple(events) if events else None


def parse_swayidle_config(text: str) -> tuple[tuple[str, str], ...]:
    """Events from a swayidle config file: one event a line, quoted as on its command line."""
    events: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            words = shlex.split(stripped)
        except ValueError:
            continue
        events.extend(parse_swayidle(words) or ())
    return tuple(events)


def sets_locked_hint(command: str, value: bool) -> bool:
    """Whether a shell command sets logind's LockedHint to `value` (by any D-Bus tool)."""
    word = "true" if value else "false"
    return any(re.search(rf"\b{word}\b", part) for part in command.split("SetLockedHint")[1:])


def daemonizes_swaylock(command: str) -> bool:
    """Whether the command runs `swaylock -f`, which returns as soon as the screen is locked."""
    for part in re.split(r"[;&|(){}]+", command):
        words = part.split()
        names = [Path(word).name for word in words]
        if "swaylock" in names:
            after = words[names.index("swaylock") + 1 :]
            if any(w == "--daemonize" or re.fullmatch(r"-[a-zA-Z]*f[a-zA-Z]*", w) for w in after):
                return True
    return False


def runs_swaylock(command: str) -> bool:
    """Whether a shell command starts swaylock (naming it to pkill or pidof does not)."""
    for part in re.split(r"[;&|(){}]+", command):
        words = part.split()
        if words and Path(words[0]).name in ("pkill", "killall", "pgrep", "pidof"):
            continue
        if any(Path(word).name == "swaylock" for word in words):
            return True
    return False


def bare_swaylock_bindings(config: str) -> list[str]:
    """sway config lines that start swaylock directly (keys, switches, exec lines)."""
    found = []
    for line in _joined_lines(config):
        stripped = line.strip()
        if stripped.startswith("#") or "swayidle" in stripped or not runs_swaylock(stripped):
            continue
        if "SetLockedHint" in stripped:
            continue
        found.append(stripped)
    return found


def _joined_lines(config: str) -> list[str]:
    """Config lines with backslash continuations joined, as sway reads them."""
    lines: list[str] = []
    pending = ""
    for raw in config.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


# ------------------------------------------------------------------ looking


def on_sway(env: Mapping[str, str]) -> bool:
    return "sway" in env.get("XDG_CURRENT_DESKTOP", "").lower() or bool(env.get("SWAYSOCK"))


def gather(env: Mapping[str, str]) -> SwayFacts:
    swayidles, unreadable = _swayidles(env)
    config, problem = _loaded_config(env)
    return SwayFacts(
        swayidles=tuple(swayidles),
        config_file=config_file(env),
        config=config,
        config_problem=problem,
        unreadable=tuple(unreadable),
    )


def _swayidles(env: Mapping[str, str]) -> tuple[list[SwayidleRun], list[int]]:
    """swayidle processes on this Wayland display, sitbreak's own left out."""
    runs: list[SwayidleRun] = []
    unreadable: list[int] = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if proc.info["name"] != "swayidle":
                continue
            argv = list(proc.info["cmdline"] or [])
            if any(IDLE_WORD in arg for arg in argv):
                continue  # the one sitbreak runs to watch activity
            their_env = proc.environ()
        except psutil.AccessDenied:
            # Another user's swayidle is not on our display; one of ours we cannot read, is.
            with contextlib.suppress(psutil.Error):
                if proc.uids().real == os.getuid():
                    unreadable.append(proc.pid)
            continue
        except psutil.Error:  # gone meanwhile
            continue
        if not _same_display(their_env, env):
            continue
        events = parse_swayidle(argv[1:])
        source = "its command line"
        if events is None:
            path = _swayidle_config_path(argv[1:], their_env)
            text = _read(path) if path else None
            events = parse_swayidle_config(text) if text is not None else ()
            source = _tilde(str(path), env) if path else "no config file"
        runs.append(SwayidleRun(proc.pid, events, source))
    return runs, unreadable


def _same_display(theirs: Mapping[str, str], ours: Mapping[str, str]) -> bool:
    def socket(e: Mapping[str, str]) -> str:
        name = e.get("WAYLAND_DISPLAY", "wayland-0")
        return name if name.startswith("/") else os.path.join(e.get("XDG_RUNTIME_DIR", ""), name)

    return socket(theirs) == socket(ours)


def _swayidle_config_path(argv: Sequence[str], env: Mapping[str, str]) -> Path | None:
    """The config file swayidle reads when given no events: -C, else its default places."""
    if "-C" in argv and argv.index("-C") + 1 < len(argv):
        return Path(argv[argv.index("-C") + 1])
    home = env.get("HOME", "")
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    for candidate in (Path(config_home, "swayidle/config"), Path(home, ".swayidle/config")):
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _loaded_config(env: Mapping[str, str]) -> tuple[str | None, str]:
    """The config the running sway loaded, over its IPC socket; or None and why not."""
    if not env.get("SWAYSOCK"):
        return None, "SWAYSOCK is not set here"
    swaymsg = shutil.which("swaymsg", path=env.get("PATH"))
    if swaymsg is None:
        return None, "swaymsg is not installed"
    try:
        res = subprocess.run(
            [swaymsg, "-r", "-t", "get_config"],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=SWAYMSG_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"swaymsg failed ({exc})"
    if res.returncode != 0:
        said = (res.stderr or res.stdout).strip().splitlines()
        return None, f"swaymsg failed ({said[-1] if said else f'status {res.returncode}'})"
    try:
        config = json.loads(res.stdout)["config"]
    except (ValueError, KeyError, TypeError):
        return None, "swaymsg gave no config"
    return (config, "") if isinstance(config, str) else (None, "swaymsg gave no config")


def config_file(env: Mapping[str, str]) -> str:
    """The file the running sway read its config from (`sway -c`, else sway's search order)."""
    home = env.get("HOME", "")
    with contextlib.suppress(KeyError, ValueError, IndexError, psutil.Error):
        pid = int(Path(env["SWAYSOCK"]).name.split(".")[2])  # sway-ipc.UID.PID.sock
        argv = psutil.Process(pid).cmdline()
        for flag in ("-c", "--config"):
            if flag in argv:
                return _tilde(argv[argv.index(flag) + 1], env)
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    search = (
        os.path.join(home, ".sway/config"),
        os.path.join(config_home, "sway/config"),
        os.path.join(home, ".i3/config"),
        os.path.join(config_home, "i3/config"),
    )
    found = next((p for p in search if os.path.isfile(p)), search[1])
    return _tilde(found, env)


def _tilde(path: str, env: Mapping[str, str]) -> str:
    home = env.get("HOME", "")
    if home and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")) :]
    return path


__all__ = [
    "LOCK_KEY_LINE",
    "SET_LOCKED_HINT",
    "SWAYIDLE_LINE",
    "SWAYIDLE_LINES",
    "SWAYIDLE_PARTS",
    "SwayFacts",
    "SwayidleRun",
    "bare_swaylock_bindings",
    "config_file",
    "daemonizes_swaylock",
    "gather",
    "on_sway",
    "parse_swayidle",
    "parse_swayidle_config",
    "runs_swaylock",
    "sets_locked_hint",
]
