"""Is the person in a call?

The microphone is open (an ALSA capture stream is running), or a known call
app is burning CPU. Reduced to yes or no: nothing is recorded or listened to.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]

from sitbreak.desktop.lock_sleep import _yes_no

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------- calls

#: Process names (or executable names) of call apps, compared case-insensitively
#: with any ".exe" dropped. Chosen for the apps' main A/V process only:
#: ZoomWebviewHost is left out because it renders Zoom's chat and home panels
#: (CPU while chatting, not in calls); the meeting itself runs in "zoom".
DEFAULT_CALL_APPS: tuple[str, ...] = (
    "zoom",  # Zoom on Linux and Windows
    "zoom.us",  # Zoom on macOS
    "teams",  # classic Microsoft Teams
    "ms-teams",  # new Microsoft Teams (Windows)
    "msteams",  # new Microsoft Teams (macOS)
    "teams-for-linux",  # the community Teams client most Linux users have
    "skype",
    "skypeforlinux",
    "slack",  # huddles
    "jitsi-meet",  # Jitsi Meet's Electron app
    "webex",
    "ciscocollabhost",  # Webex's own process name
    "discord",  # voice channels
)

#: How often to look for newly started call apps; in between only the known
#: pids are read, a handful of /proc reads per poll.
# Listing every process costs 3-15 ms (80-500 processes): done every 5 minutes
# it stays well under the daemon's CPU budget. A call app started since the
# last scan is seen late, but an open microphone is seen at once.
RESCAN_S = 300.0


def _normalise(name: str) -> str:
    name = name.strip().lower()
    return name.removesuffix(".exe")


@dataclass(slots=True)
class _Tracked:
    proc: Any  # psutil.Process
    app: str
    cpu_s: float | None  # user+system CPU seconds at the previous poll


class CallDetector:
    """Is the person in a call? The microphone is open, or a call app is busy.

    (a) Linux: any ALSA capture substream RUNNING under `asound_root`. This
    catches calls in a browser too, since it is the microphone being open; it
    also fires for anything else recording (a voice memo, dictation), and it
    cannot see Bluetooth headsets that bypass ALSA.
    (b) A call app (matched by process or executable name) using more than
    `cpu_min_percent` of a core since the previous poll, summed over its
    processes (Electron apps split their work). Call apps sit in the tray all
    day, so being open is not a call; but heavy chatting in Slack or Discord
    can look like one.

    poll() is cheap: a few small file reads, plus one process-list scan at
    most every RESCAN_S. The first poll only sets the CPU baseline for (b).
    Use from one thread.
    """

    def __init__(
        self,
        apps: Sequence[str] = DEFAULT_CALL_APPS,
        cpu_min_percent: float = 5.0,
        asound_root: Path = Path("/proc/asound"),
    ) -> None:
        self._apps = {_normalise(a): a for a in apps if a.strip()}
        self._cpu_min_percent = cpu_min_percent
        self._asound_root = asound_root
        self._tracked: dict[tuple[int, float], _Tracked] = {}
        self._next_scan = float("-inf")
        self._last_measure: float | None = None

    def poll(self) -> bool:
        microphone = self.microphone_in_use()
        # Measure even when the microphone already says yes, so that the CPU
        # window stays one poll long.
        busy = self.busy_apps()
        return microphone or bool(busy)

    def microphone_in_use(self) -> bool:
        return any(_is_running(status) for status in self._capture_statuses())

    def busy_apps(self) -> list[str]:
        """Call apps above the CPU threshold since the previous call (as named in `apps`)."""
        now = time.monotonic()
        if now >= self._next_scan:
            self._rescan()
            self._next_scan = now + RESCAN_S
        elapsed = None if self._last_measure is None else now - self._last_measure
        self._last_measure = now
        used: dict[str, float] = {}
        for key, tracked in list(self._tracked.items()):
            try:
                times = tracked.proc.cpu_times()
            except psutil.Error:  # gone, or not ours to read
                del self._tracked[key]
                continue
            cpu_s = float(times.user + times.system)
            if tracked.cpu_s is not None and elapsed:
                used[tracked.app] = used.get(tracked.app, 0.0) + (cpu_s - tracked.cpu_s)
            tracked.cpu_s = cpu_s
        if not elapsed:
            return []
        return sorted(
            app for app, cpu_s in used.items() if cpu_s / elapsed * 100.0 > self._cpu_min_percent
        )

    def describe(self) -> list[str]:
        statuses = self._capture_statuses()
        if statuses:
            mic = (
                f"calls: an open microphone counts ({len(statuses)} ALSA capture"
                f" substreams under {self._asound_root}; in use now:"
                f" {_yes_no(any(_is_running(s) for s in statuses))})"
            )
        else:
            mic = f"calls: no ALSA capture devices under {self._asound_root}; only call apps count"
        if self._next_scan == float("-inf"):  # never polled: look now
            self._rescan()
        running = sorted({t.app for t in self._tracked.values()})
        apps = (
            f"calls: apps count above {self._cpu_min_percent:g}% of a core:"
            f" {', '.join(self._apps.values()) or 'none'}"
            f" (running: {', '.join(running) or 'none'})"
        )
        return [mic, apps]

    def _capture_statuses(self) -> list[Path]:
        # pcmNc is a capture device (pcmNp playback, which says nothing about calls).
        return sorted(self._asound_root.glob("card*/pcm*c/sub*/status"))

    def _match(self, name: str | None, exe: str | None) -> str | None:
        for candidate in (name, os.path.basename(exe) if exe else None):
            if candidate:
                app = self._apps.get(_normalise(candidate))
                if app is not None:
                    return app
        return None

    def _rescan(self) -> None:
        found: dict[tuple[int, float], _Tracked] = {}
        for proc in psutil.process_iter(["name", "exe"]):
            info = proc.info
            app = self._match(info.get("name"), info.get("exe"))
            if app is None:
                continue
            try:
                # (pid, start time) so that a reused pid is a new process.
                key = (proc.pid, proc.create_time())
            except psutil.Error:
                continue
            known = self._tracked.get(key)
            found[key] = known if known is not None else _Tracked(proc, app, None)
        self._tracked = found


def _is_running(status: Path) -> bool:
    try:
        text = status.read_text()
    except OSError:  # the device went away (a headset unplugged) between glob and read
        return False
    return any(line.strip() == "state: RUNNING" for line in text.splitlines())
