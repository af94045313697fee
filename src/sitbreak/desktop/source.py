"""What every activity source is: the protocol, its errors, and the latest-input bookkeeping.

Privacy is a feature. A source hands the daemon one number per poll: the time
of the most recent input, or None. Nothing else is recorded, logged or kept:
never which key, never what was typed, never where the pointer is or which
button was pressed, never which window or application has the focus.

Lifecycle: `start()`, then `poll()` at every heartbeat, `stop()` at exit.
When `poll()` raises `SourceLost` the source has closed itself: report it,
and call `start()` again later to reconnect; `start()` raises
`SourceUnavailable` while it is still gone.
"""

from __future__ import annotations

import math
import threading
from typing import Protocol

from sitbreak.errors import SitbreakError

#: The activity sources, by the name `[activity] source` gives them.
SOURCES = ("x11", "pynput", "gnome", "freedesktop", "swayidle", "logind")
#: Values of `[activity] source` (the same as sitbreak.config.ACTIVITY_SOURCES).
PREFERENCES = ("auto", *SOURCES)


class SourceUnavailable(SitbreakError):
    """This activity source cannot work here; the message says why."""


class SourceLost(SitbreakError):
    """A working activity source broke (the X server went away); `start()` may reconnect."""


class NoActivitySource(SitbreakError):
    """No activity source works here; the message lists what was tried and what to do."""


class ActivitySource(Protocol):
    @property
    def name(self) -> str: ...

    def start(self) -> None: ...

    def poll(self) -> float | None: ...

    def stop(self) -> None: ...


def first_line(exc: BaseException) -> str:
    # pynput's ImportError goes on with a list of generic "resolutions".
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class LatestInput:
    """Reports each activity time once, never one older than already reported.

    Sources that learn of input from a thread keep their state here: `active`
    (input is going on now, so every poll reports the present) and `latest`
    (the latest input time known exactly). `since` is when the source
    started: input before it is not news.

    A time less than SAME_S after the one reported last is the same input
    seen twice: an idle time is whole milliseconds and its reply takes a
    while, so "now - idle time" can land a little after a poll that already
    reported that input.
    """

    SAME_S = 0.05

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = False
        self.latest: float | None = None
        self._reported = -math.inf

    def reset(self, since: float) -> None:
        with self.lock:
            self.active, self.latest = False, None
        self._reported = since

    def went_idle(self, last_input: float) -> None:
        with self.lock:
            self.active = False
            self.latest = last_input if self.latest is None else max(self.latest, last_input)

    def paused(self, last_input: float) -> None:
        """Input stopped after `last_input`, if it was going on; else when is unknown."""
        with self.lock:
            if self.active:
                self.latest = last_input if self.latest is None else max(self.latest, last_input)
            self.active = False

    def came_back(self, at: float) -> None:
        with self.lock:
            self.active, self.latest = True, at

    def report(self, now: float) -> float | None:
        """For poll(): now while active, else the latest input if not yet reported."""
        with self.lock:
            t = now if self.active else self.latest
        if t is None or t < self._reported + self.SAME_S:
            return None
        self._reported = t
        return t


# --------------------------------------------------------------------------- GNOME
