"""What the daemon writes as things happen: sessions, breaks, prompts, days,
what was learned, the timeline.

Each call queues one op (`pending_ops`) and returns; the queue is flushed at
once while the database works and retried while it does not (`database`),
so none of these raises for a locked database or a full disk.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Mapping

from sitbreak.core import BreakTaken, DayFigures, PromptDue, PromptKind, SessionEnded
from sitbreak.storage.database import Database
from sitbreak.storage.pending_ops import _Op
from sitbreak.storage.schema import DAEMON, OUTCOMES
from sitbreak.storage.timeline import Row


class DaemonWrites(Database):
    """The daemon's writes, each queued as one op."""

    def session_started(self, start: float) -> None:
        self._queue(_Op("session_started", (start,)))

    def checkpoint(self, start: float, last_seen: float) -> None:
        """Move the open session's end to `last_seen`, so a crash loses only what came after."""
        self._queue(_Op("checkpoint", (start, last_seen)))

    def session_ended(self, ended: SessionEnded) -> None:
        self._queue(_Op("session_ended", (ended.t, ended.start, ended.end, ended.cause.value)))

    def break_taken(self, b: BreakTaken) -> None:
        self._queue(_Op("break", (b.t, b.start, b.end, b.cause.value, DAEMON)))

    def prompt_sent(self, p: PromptDue) -> None:
        self._queue(_Op("prompt", (p.t, p.kind.value, p.level, p.seated_s, DAEMON)))

    def set_prompt_outcome(self, t: float, kind: PromptKind, outcome: str) -> None:
        """Record what became of the prompt sent at `t`: heeded, snoozed, skipped or ignored."""
        if outcome not in OUTCOMES:
            raise ValueError(
                f"unknown prompt outcome {outcome!r}: expected one of {sorted(OUTCOMES)}"
            )
        self._queue(_Op("outcome", (t, kind.value, outcome)))

    def save_day(
        self,
        figures: DayFigures,
        tz_name: str,
        source: str = DAEMON,
        written: float | None = None,
    ) -> None:
        """Store (or replace) one day's figures."""
        data = json.dumps(figures.as_dict(), sort_keys=True)
        when = time.time() if written is None else written
        self._queue(_Op("day", (figures.date.isoformat(), source, tz_name, data, when)))

    def set_meta(self, key: str, value: str) -> None:
        self._queue(_Op("meta", (key, value)))

    def save_learned(self, name: str, state: Mapping[str, object]) -> None:
        """Keep what was learned under `name` (e.g. the pause model's `to_dict()`)."""
        self._queue(_Op("learned", (name, json.dumps(state, sort_keys=True), time.time())))

    def timeline_write(self, source: str, rows: list[Row]) -> None:
        """Add (or lengthen) timeline rows of `source`, in one pending write."""
        if rows:
            self._queue(_Op("timeline", (source, list(rows))))

    def timeline_state(self, source: str, t_ms: int, state: Mapping[str, object]) -> None:
        """Keep what the engine had learned at `t_ms` (the pause model), for replays."""
        packed = zlib.compress(json.dumps(state, sort_keys=True).encode(), 9)
        self._queue(_Op("timeline_state", (source, t_ms, packed)))

    def prune_timeline(self, before: float) -> None:
        """Forget the timeline before `before` (epoch seconds), for every source."""
        self._queue(_Op("prune", (round(before * 1000),)))
