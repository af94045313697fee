"""Yes/no detectors polled now and then, turned into start/end events for the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from sitbreak.clock import Clock
from sitbreak.core.model import (
    CallEnd,
    CallStart,
    Event,
    WatchEnd,
    WatchStart,
)

log = logging.getLogger(__name__)

#: How detectors hand events to the daemon (its `queue.put`: thread-safe).
Emit = Callable[[Event], None]


# ------------------------------------------------------------ edges to events


class Poller(Protocol):
    def poll(self) -> bool: ...


class EdgeWatcher:
    """Turns successive yes/no answers into start and end events.

    `poll()` asks once and emits `start(t)` when the answer turns true and
    `end(t)` when it turns false, stamped with `clock.now()`. A poll that
    raises keeps the previous answer (logged once until it works again).
    """

    def __init__(
        self,
        poll: Callable[[], bool],
        on_event_types: tuple[Callable[[float], Event], Callable[[float], Event]],
        emit: Emit,
        clock: Clock,
    ) -> None:
        self._poll = poll
        self._start, self._end = on_event_types
        self._emit = emit
        self._clock = clock
        self._on = False
        self._failing = False

    @property
    def active(self) -> bool:
        return self._on

    def poll(self) -> bool:
        try:
            on = bool(self._poll())
        except Exception:
            if not self._failing:
                log.exception("context poll failed; keeping the last answer")
            self._failing = True
            return self._on
        self._failing = False
        if on != self._on:
            self._on = on
            self._emit((self._start if on else self._end)(self._clock.now()))
        return on


class CallWatcher(EdgeWatcher):
    """CallStart/CallEnd from a CallDetector (or anything with poll() -> bool)."""

    def __init__(self, detector: Poller, emit: Emit, clock: Clock) -> None:
        super().__init__(detector.poll, (CallStart, CallEnd), emit, clock)


class WatchWatcher(EdgeWatcher):
    """WatchStart/WatchEnd from an IdleInhibitDetector (or anything with poll() -> bool)."""

    def __init__(self, detector: Poller, emit: Emit, clock: Clock) -> None:
        super().__init__(detector.poll, (WatchStart, WatchEnd), emit, clock)
