"""Activity on wlroots compositors (sway, Hyprland, river, labwc...) and KWin: swayidle.

Only a Wayland client holding an idle notification learns when input stops
and resumes (ext-idle-notify-v1, or the older org_kde_kwin_idle that sway 1.7
offers alone); swayidle is that client and speaks whichever is there. sitbreak runs it as a
child:

    swayidle -w timeout 1 'echo sitbreak-idle' resume 'echo sitbreak-active'

The commands write a word on swayidle's stdout, a pipe sitbreak reads, so
they cost one `sh` per transition and carry no information but the word.
A supervisor thread reads the pipe, and when swayidle dies restarts it after
a back-off (BACKOFF_FIRST_S, doubling up to BACKOFF_MAX_S; a run of
HEALTHY_RUN_S starts the count again). stop() kills swayidle and anything it
runs (its own process group). If sitbreak itself is killed, the next
command finds the pipe closed and kills swayidle (`kill $PPID`: with -w
swayidle runs each command as its direct child), so none is left behind.

Timing: "idle" comes TIMEOUT_S after the last input, so that input was at
"idle" minus TIMEOUT_S; "active" comes with the first input after an idle.
In between the person is active and each poll reports the present, at most
TIMEOUT_S after the real latest input. After (re)starting swayidle nothing
is known until the first "active": input going on while it starts is seen
from the first pause of TIMEOUT_S on.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import IO

from sitbreak.clock import Clock
from sitbreak.desktop.source import LatestInput, SourceLost, SourceUnavailable
from sitbreak.text import count

log = logging.getLogger(__name__)

#: swayidle's own prefix on its messages ("2026-12-01 14:36:18 - [Line 1116] "): our log has times.
_SWAYIDLE_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - \[[^\]]*\] ")

IDLE_WORD = "sitbreak-idle"
ACTIVE_WORD = "sitbreak-active"


def report_command(word: str) -> str:
    """The shell command swayidle runs: say `word`, or end swayidle if sitbreak is gone.

    SIGPIPE is ignored so that a closed pipe makes `echo` fail (rather than
    killing the shell silently), and the failure kills its parent, swayidle.
    """
    return f"trap '' PIPE; echo {word} || kill $PPID"


def backoff_s(failures: int, first: float, most: float) -> float:
    """How long to wait before restart number `failures` (1, 2, ...) in a row."""
    return float(min(most, first * 2 ** max(0, failures - 1)))


class SwayidleSource:
    """swayidle as a supervised child; see the module docstring."""

    name = "swayidle"
    #: swayidle's timeout, in whole seconds (its unit): the pause that ends "active".
    TIMEOUT_S = 1
    #: A swayidle that cannot work (no compositor, no idle protocol) exits within this.
    START_GRACE_S = 0.3
    BACKOFF_FIRST_S = 0.5
    BACKOFF_MAX_S = 30.0
    HEALTHY_RUN_S = 60.0
    STOP_TIMEOUT_S = 2.0
    #: swayidle's own messages kept for the log when it dies.
    TAIL_LINES = 5
    #: This many short runs in a row (none as long as HEALTHY_RUN_S): it will
    #: not work here, so poll() says the source is lost and another is chosen.
    GIVE_UP_AFTER = 5
    #: What swayidle says when the compositor lacks the idle protocol: no
    #: restart can help (GNOME's Mutter, for one, has none).
    UNSUPPORTED = ("doesn't support idle protocol", "does not support idle")

    def __init__(self, clock: Clock, env: Mapping[str, str] | None = None) -> None:
        self._clock = clock
        self._env = dict(os.environ if env is None else env)
        self._state = LatestInput()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._exe = ""
        self._tail: collections.deque[str] = collections.deque(maxlen=self.TAIL_LINES)
        self.restarts = 0  # how often the supervisor restarted swayidle (for tests and doctor)
        self._gave_up: str | None = None  # why the supervisor stopped restarting it

    # ---- lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        if not self._env.get("WAYLAND_DISPLAY"):
            raise SourceUnavailable("WAYLAND_DISPLAY is not set (swayidle needs a Wayland session)")
        exe = shutil.which("swayidle", path=self._env.get("PATH") or os.environ.get("PATH"))
        if exe is None:
            raise SourceUnavailable("swayidle is not installed")
        self._exe = exe
        try:
            proc = self._spawn()
        except OSError as exc:
            raise SourceUnavailable(f"cannot run {exe}: {exc}") from None
        try:
            status = proc.wait(self.START_GRACE_S)
        except subprocess.TimeoutExpired:
            status = None
        if status is not None:
            said = _last_line(proc.stdout)
            raise SourceUnavailable(
                f"swayidle exited at once (status {status})" + (f": {said}" if said else "")
            )
        self._stopping.clear()
        self._gave_up = None
        self._state.reset(self._clock.now())
        self._proc = proc
        self._thread = threading.Thread(
            target=self._supervise, args=(proc,), name="sitbreak-swayidle", daemon=True
        )
        self._thread.start()

    def poll(self) -> float | None:
        thread = self._thread
        if thread is None:
            raise SourceLost("swayidle is not running (start() starts it)")
        if not thread.is_alive():  # it gave up on swayidle (or, a bug, ended early)
            why = self._gave_up or "sitbreak's swayidle supervisor ended"
            self.stop()
            raise SourceLost(why)
        return self._state.report(self._clock.now())

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            proc, thread = self._proc, self._thread
            self._proc = self._thread = None
        if proc is not None:
            _end(proc, self.STOP_TIMEOUT_S)
        if thread is not None:
            thread.join(self.STOP_TIMEOUT_S)

    def describe(self) -> str:
        # Which idle protocol swayidle speaks is its choice: ext-idle-notify-v1
        # where the compositor has it, the older KDE idle protocol (sway 1.7) if not.
        return (
            f"{self._exe} runs (the compositor's idle protocol); "
            f"restarted {count(self.restarts, 'time')} so far"
        )

    @property
    def pid(self) -> int | None:
        """The current swayidle's process id (for tests and doctor)."""
        with self._lock:
            return None if self._proc is None else self._proc.pid

    # ---- the child

    def _spawn(self) -> subprocess.Popen[bytes]:
        argv = [
            self._exe,
            "-w",  # wait for each command, so it is swayidle's child and the words stay in order
            "timeout",
            str(self.TIMEOUT_S),
            report_command(IDLE_WORD),
            "resume",
            report_command(ACTIVE_WORD),
        ]
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # its messages, kept for the log
            env=self._env,
            start_new_session=True,  # one process group: stop() ends its commands too
        )

    def _supervise(self, proc: subprocess.Popen[bytes]) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            self._read(proc)
            status = proc.wait()
            if self._stopping.is_set():
                return
            failures = 0 if time.monotonic() - started >= self.HEALTHY_RUN_S else failures + 1
            self._state.reset(self._clock.now())  # nothing is known until it runs again
            said = self._tail[-1] if self._tail else ""
            if any(words in said for words in self.UNSUPPORTED):
                self._give_up(f"swayidle exited: {said} (this compositor has no idle protocol)")
                return
            if failures >= self.GIVE_UP_AFTER:
                self._give_up(
                    f"swayidle exited {failures} times in a row (status {status}"
                    + (f": {said})" if said else ")")
                )
                return
            next_proc = self._restart(status, failures)
            if next_proc is None:
                return
            proc = next_proc

    def _give_up(self, why: str) -> None:
        log.warning("%s; not restarting it", why)
        self._gave_up = why

    def _restart(self, status: int, failures: int) -> subprocess.Popen[bytes] | None:
        """Wait out the back-off and start swayidle again; None once stopping."""
        while True:
            delay = backoff_s(failures, self.BACKOFF_FIRST_S, self.BACKOFF_MAX_S)
            said = f": {self._tail[-1]}" if self._tail else ""
            log.warning("swayidle exited (status %s%s); restarting in %g s", status, said, delay)
            if self._stopping.wait(delay):
                return None
            with self._lock:
                if self._stopping.is_set():
                    return None
                self._tail.clear()  # what the last one said is not news for the next
                try:
                    proc = self._spawn()
                except OSError as exc:
                    self._tail.append(str(exc))
                    failures += 1
                    continue
                self._proc = proc
                self.restarts += 1
                return proc

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        with contextlib.closing(proc.stdout):
            for raw in proc.stdout:
                line = raw.decode(errors="replace").strip()
                if line == IDLE_WORD:
                    self._state.paused(self._clock.now() - self.TIMEOUT_S)
                elif line == ACTIVE_WORD:
                    self._state.came_back(self._clock.now())
                elif line:
                    self._tail.append(_SWAYIDLE_STAMP.sub("", line))


def _end(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM swayidle's process group, then SIGKILL what is left; reaps swayidle."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def _last_line(stream: IO[bytes] | None) -> str:
    if stream is None:
        return ""
    with contextlib.closing(stream):
        lines = [line.strip() for line in stream.read().decode(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else ""


__all__ = ["ACTIVE_WORD", "IDLE_WORD", "SwayidleSource", "backoff_s", "report_command"]
