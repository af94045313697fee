"""Screen lock heard from the locker's own process, where nothing announces it.

On sway and the other wlroots compositors the screen locker tells nobody it
locked (swaywm/swaylock#382), and neither swaylock nor swayidle sets logind's
LockedHint (measured on a real sway: docs/desktops.md, "Screen lock on sway").
What does show is the locker itself: the screen is locked exactly while
swaylock (or gtklock, waylock, hyprlock) runs. `LockerWatch` looks every
`LOCKER_POLL_S` seconds at the *names* of this user's own processes (nothing
else of them is read, nothing is kept) and emits a Lock when a known locker
appears and an Unlock when the last one is gone.

Process names are per user, not per display: a locker this user runs in
another graphical login on the same computer counts too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]

from sitbreak.clock import Clock
from sitbreak.core.model import Lock, Unlock
from sitbreak.desktop.edges import EdgeWatcher, Emit

log = logging.getLogger(__name__)

#: The Wayland screen lockers known to announce nothing: their process is the lock.
KNOWN_LOCKERS = ("swaylock", "gtklock", "waylock", "hyprlock")
#: Desktops (XDG_CURRENT_DESKTOP, any of its ':'-separated names) where they are what locks.
WLROOTS_DESKTOPS = ("sway", "hyprland", "river", "wayfire", "labwc")
#: Seconds between looks: a lock is heard at most this late. One look opens one
#: short file per process (0.8 ms for 98 processes, measured: docs/desktops.md).
LOCKER_POLL_S = 2.0
#: How long stop() waits for the watch thread.
STOP_TIMEOUT_S = 2.0

#: The names of this user's processes, asked once a look.
ProcessNames = Callable[[], Iterable[str]]


def watches_lockers(env: Mapping[str, str]) -> bool:
    """Whether this session's screen lock is heard from the locker's process."""
    desktops = env.get("XDG_CURRENT_DESKTOP", "").lower().split(":")
    return (
        any(d in WLROOTS_DESKTOPS for d in desktops)
        or bool(env.get("SWAYSOCK"))
        or bool(env.get("HYPRLAND_INSTANCE_SIGNATURE"))
    )


def own_process_names() -> list[str]:
    """The names (the kernel's `comm`) of this user's processes; nothing else is read.

    /proc/PID/comm is owned by the process's user, so one open, fstat and
    read each tells both whose process it is and what it is called.
    """
    uid = os.getuid()
    names: list[str] = []
    for pid in psutil.pids():
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            fd = os.open(f"/proc/{pid}/comm", os.O_RDONLY)
            try:
                if os.fstat(fd).st_uid == uid:
                    names.append(os.read(fd, 64).decode(errors="replace").strip())
            finally:
                os.close(fd)
    return names


def running_lockers(names: Iterable[str]) -> list[str]:
    """The known lockers among these process names, each once, in KNOWN_LOCKERS' order."""
    present = set(names)
    return [name for name in KNOWN_LOCKERS if name in present]


def programs(command: str) -> list[str]:
    """The programs a shell command starts: the first word of each of its parts."""
    found = []
    for part in re.split(r"[;&|(){}]+", command):
        words = [w.strip("'\"") for w in part.split() if "=" not in w.split("/")[0]]
        while words and words[0] in ("exec", "nohup", "setsid", "--no-startup-id"):
            words = words[1:]
        if words:
            found.append(Path(words[0]).name)
    return found


def unknown_lockers(command: str) -> list[str]:
    """Programs in a command that look like screen lockers but are not known ones.

    Their lock is not heard: sitbreak looks for KNOWN_LOCKERS by name only.
    """
    return [
        name
        for name in programs(command)
        if "lock" in name.lower() and name not in KNOWN_LOCKERS and name != "flock"
    ]


def exec_command(line: str) -> str | None:
    """What a sway config line runs (`exec`, `exec_always`, a key's `exec`), or None."""
    found = re.search(r"\bexec(?:_always)?\s+(?:--no-startup-id\s+)?(.*)", line.strip())
    return found.group(1) if found and not line.strip().startswith("#") else None


class LockerWatch:
    """Lock while a known screen locker of this user runs, Unlock when none does.

    A monitor: start() begins a thread that looks at once (a locker already up
    is a Lock stamped then) and every `every` seconds after; stop() ends it.
    A look that fails keeps the last answer (logged once). Neither raises.
    `processes` is where the names come from: `own_process_names` for real,
    a list the test changes for a scenario.
    """

    def __init__(
        self,
        emit: Emit,
        clock: Clock,
        processes: ProcessNames = own_process_names,
        every: float = LOCKER_POLL_S,
    ) -> None:
        self._processes = processes
        self.every = every
        self._edges = EdgeWatcher(self._locked, (Lock, Unlock), emit, clock)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: list[str] = []

    @property
    def locked(self) -> bool:
        return self._edges.active

    def _locked(self) -> bool:
        lockers = running_lockers(self._processes())
        if lockers != self._seen:
            log.debug("screen lockers running: %s", ", ".join(lockers) or "none")
            self._seen = lockers
        return bool(lockers)

    def poll(self) -> bool:
        """One look; emits Lock or Unlock if the answer changed. True while locked."""
        return self._edges.poll()

    def start(self) -> None:
        if self._thread is not None:
            return
        for line in self.describe():
            log.info("%s", line)
        self._thread = threading.Thread(target=self._run, name="sitbreak-lockers", daemon=True)
        try:
            self._thread.start()
        except RuntimeError as exc:  # out of threads: say so, carry on without
            log.warning("could not start the screen locker watch (%s)", exc)

    def _run(self) -> None:
        while True:
            self.poll()
            if self._stopping.wait(self.every):
                return

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread.ident is not None:
            self._thread.join(STOP_TIMEOUT_S)

    def describe(self) -> list[str]:
        return [
            f"screen lockers: watching this user's processes for {', '.join(KNOWN_LOCKERS)} "
            f"every {self.every:g} s (names only); locked while one runs"
        ]


__all__ = [
    "KNOWN_LOCKERS",
    "LOCKER_POLL_S",
    "WLROOTS_DESKTOPS",
    "LockerWatch",
    "exec_command",
    "own_process_names",
    "programs",
    "running_lockers",
    "unknown_lockers",
    "watches_lockers",
]
