"""Reading the store back: sessions, breaks, prompts and their outcomes, saved
days, what was learned, the activity timeline and the states kept with it.

Every read flushes the daemon's pending writes first (`Database._read`) and
raises StorageError when the database cannot be read.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any

from sitbreak.core import BreakTaken, Cause, PromptDue, PromptKind, SessionEnded
from sitbreak.storage.database import Database
from sitbreak.storage.schema import DAEMON
from sitbreak.storage.timeline import Row


def stored_cause(value: str | None) -> Cause:
    """A stored cause as a Cause; "crash", open sessions and unknown values read as SHUTDOWN.

    SHUTDOWN is what the engine itself reports for a session cut short by the
    daemon stopping, and it is never taken as a heeded prompt.
    """
    try:
        return Cause(value)
    except ValueError:
        return Cause.SHUTDOWN


def stored_session(row: Sequence[Any]) -> SessionEnded:
    start, end, cause, noticed = row
    return SessionEnded(noticed if noticed is not None else end, start, end, stored_cause(cause))


def _unpacked(packed: object) -> dict[str, Any] | None:
    """A kept state as a dict; None if it is not one (damaged, or from elsewhere)."""
    try:
        state = json.loads(zlib.decompress(packed))  # type: ignore[arg-type]
    except (TypeError, ValueError, zlib.error):
        return None
    return state if isinstance(state, dict) else None


class Queries(Database):
    """The reads of what is stored, one method a question."""

    def sessions_between(
        self, start: float, end: float, source: str = DAEMON
    ) -> list[SessionEnded]:
        """Sessions overlapping [start, end), by start; an open one ends at its last checkpoint."""
        rows = self._read(
            'SELECT start, "end", cause, noticed FROM sessions '
            'WHERE source = ? AND start < ? AND "end" >= ? ORDER BY start, id',
            (source, end, start),
        )
        return [stored_session(r) for r in rows]

    def open_session_starts(self, source: str = DAEMON) -> set[float]:
        """When the sessions still open began: the daemon's own, while it runs
        (and one a crashed daemon left, until the next start closes it)."""
        rows = self._read("SELECT start FROM sessions WHERE source = ? AND open = 1", (source,))
        return {float(r[0]) for r in rows}

    def breaks_between(self, start: float, end: float, source: str = DAEMON) -> list[BreakTaken]:
        """Breaks overlapping [start, end), by start."""
        rows = self._read(
            'SELECT noticed, start, "end", cause FROM breaks '
            'WHERE source = ? AND start < ? AND "end" >= ? ORDER BY start, id',
            (source, end, start),
        )
        return [BreakTaken(t if t is not None else e, s, e, stored_cause(c)) for t, s, e, c in rows]

    def prompts_between(self, start: float, end: float, source: str = DAEMON) -> list[PromptDue]:
        """Prompts sent in [start, end), by time."""
        rows = self._read(
            "SELECT t, kind, level, seated_s FROM prompts "
            "WHERE source = ? AND t >= ? AND t < ? ORDER BY t, id",
            (source, start, end),
        )
        return [PromptDue(t, PromptKind(k), level, seated) for t, k, level, seated in rows]

    def prompt_outcomes(
        self, start: float, end: float, source: str = DAEMON
    ) -> list[tuple[float, str, str | None]]:
        """(t, kind, outcome) of the prompts sent in [start, end); outcome None when unknown."""
        rows = self._read(
            "SELECT t, kind, outcome FROM prompts "
            "WHERE source = ? AND t >= ? AND t < ? ORDER BY t, id",
            (source, start, end),
        )
        return [(t, k, o) for t, k, o in rows]

    def saved_days(self, source: str = DAEMON) -> list[dict[str, Any]]:
        """Saved daily figures by date: {"date", "tz", "written", ...figures}."""
        rows = self._read(
            "SELECT date, tz, figures, written FROM days WHERE source = ? ORDER BY date",
            (source,),
        )
        out: list[dict[str, Any]] = []
        for date, tz, figures, written in rows:
            out.append({**json.loads(figures), "date": date, "tz": tz, "written": written})
        return out

    def learned(self, name: str) -> dict[str, Any] | None:
        """What `save_learned` kept under `name`; None if nothing (or nothing readable) is."""
        rows = self._read("SELECT state FROM learned WHERE name = ?", (name,))
        if not rows:
            return None
        try:
            state = json.loads(rows[0][0])
        except (TypeError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def replay_sources(self) -> list[str]:
        """The recorded replays' sources ('replay:NAME'), sorted."""
        rows = self._read(
            "SELECT DISTINCT source FROM days WHERE source != ? "
            "UNION SELECT DISTINCT source FROM sessions WHERE source != ? ORDER BY 1",
            (DAEMON, DAEMON),
        )
        return [str(r[0]) for r in rows]

    def timeline_rows(
        self, lo_ms: int | None = None, hi_ms: int | None = None, source: str = DAEMON
    ) -> list[Row]:
        """Timeline rows of `source` with lo_ms <= t < hi_ms, in time order."""
        rows = self._read(
            "SELECT t, kind, arg FROM timeline WHERE source = "
            "(SELECT id FROM timeline_sources WHERE name = ?) AND t >= ? AND t < ? ORDER BY t",
            (source, -(2**62) if lo_ms is None else lo_ms, 2**62 if hi_ms is None else hi_ms),
        )
        return [Row(t, kind, arg) for t, kind, arg in rows]

    def timeline_last_before(self, kind: int, t_ms: int, source: str = DAEMON) -> int | None:
        """When the last row of `kind` before `t_ms` is (a start marker), or None."""
        rows = self._read(
            "SELECT max(t) FROM timeline WHERE source = "
            "(SELECT id FROM timeline_sources WHERE name = ?) AND kind = ? AND t < ?",
            (source, kind, t_ms),
        )
        value = rows[0][0] if rows else None
        return None if value is None else int(value)

    def timeline_times(
        self, kind: int, lo_ms: int, hi_ms: int, source: str = DAEMON
    ) -> list[float]:
        """When rows of `kind` (a reload, say) were recorded in [lo_ms, hi_ms), in seconds."""
        rows = self._read(
            "SELECT t FROM timeline WHERE source = "
            "(SELECT id FROM timeline_sources WHERE name = ?) AND t >= ? AND t < ? AND kind = ? "
            "ORDER BY t",
            (source, lo_ms, hi_ms, kind),
        )
        return [t / 1000 for (t,) in rows]

    def timeline_extent(self, source: str = DAEMON) -> tuple[int, int] | None:
        """(first, last) row time of `source` in ms, or None when nothing is recorded."""
        rows = self._read(
            "SELECT min(t), max(t) FROM timeline WHERE source = "
            "(SELECT id FROM timeline_sources WHERE name = ?)",
            (source,),
        )
        if not rows or rows[0][0] is None:
            return None
        return int(rows[0][0]), int(rows[0][1])

    def timeline_state_at(self, t_ms: int, source: str = DAEMON) -> dict[str, Any] | None:
        """The state kept last at or before `t_ms`; None if none (or none readable)."""
        rows = self._read(
            "SELECT state FROM timeline_states WHERE source = "
            "(SELECT id FROM timeline_sources WHERE name = ?) AND t <= ? ORDER BY t DESC LIMIT 1",
            (source, t_ms),
        )
        return _unpacked(rows[0][0]) if rows else None

    def timeline_states_between(
        self, lo_ms: int, hi_ms: int, source: str = DAEMON
    ) -> dict[int, dict[str, Any]]:
        """The states kept in [lo_ms, hi_ms], by time (unreadable ones left out)."""
        rows = self._read(
            "SELECT t, state FROM timeline_states WHERE source = "
            "(SELECT id FROM timeline_sources WHERE name = ?) AND t >= ? AND t <= ?",
            (source, lo_ms, hi_ms),
        )
        out: dict[int, dict[str, Any]] = {}
        for t, packed in rows:
            state = _unpacked(packed)
            if state is not None:
                out[int(t)] = state
        return out

    def meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None
