"""Whole recordings written at once: a replay (`sitbreak replay --record`) and
imports from other tools (ActivityWatch), each under a source of its own.

Unlike the daemon's queued writes, each is one transaction, all or nothing,
and raises StorageError when it cannot be written: a command can tell its
user at once. Also here: what an import reads to resume where it stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sitbreak.core import DayFigures, EngineSettings
from sitbreak.core.run import ReplayResult
from sitbreak.errors import StorageError
from sitbreak.storage.day_figures import DayFigureQueries
from sitbreak.storage.pending_ops import UPSERT_LEARNED
from sitbreak.storage.schema import DAEMON, tz_label
from sitbreak.storage.sqlite_file import rollback


@dataclass
class ImportBatch:
    """What one imported bucket writes: everything of `source` from `resume_from` on."""

    source: str
    bucket: str
    resume_from: float
    result: ReplayResult
    high_water: float
    #: What the engine had learned of pauses when the last session began (None: nothing).
    pauses: Mapping[str, object] | None = None


class BatchWrites(DayFigureQueries):
    """Replays and imports, each stored in one transaction."""

    def record_replay(self, result: ReplayResult, source: str) -> None:
        """Store a replay's outputs under `source`, replacing any earlier recording of it.

        One transaction: readers see the old recording or the new, never a mix.
        Raises StorageError when it cannot be written (a command reports that).
        """
        if source == DAEMON:
            raise ValueError("a replay cannot be recorded as the daemon's own data")
        tz_name = tz_label(result.tz)
        written = time.time()
        self._in_one_transaction(
            "record the replay",
            lambda conn: self._replace_source(conn, result, source, tz_name, written),
        )

    def _in_one_transaction(self, what: str, write: Callable[[sqlite3.Connection], None]) -> None:
        """A batch write: all of it or, raising StorageError naming `what`, none."""
        with self._lock:
            self.flush()
            try:
                conn = self._ensure_conn()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    write(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    rollback(conn)
                    raise
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(f"{self.path}: cannot {what}: {exc}") from exc

    @staticmethod
    def _replace_source(
        conn: sqlite3.Connection, result: ReplayResult, source: str, tz_name: str, written: float
    ) -> None:
        for table in ("sessions", "breaks", "prompts", "days"):
            conn.execute(f"DELETE FROM {table} WHERE source = ?", (source,))
        _insert_outputs(conn, result, source)
        _upsert_days(conn, result.days, source, tz_name, written)

    # ---------------------------------------------------------- imports

    def import_marks(self) -> dict[str, tuple[str, float]]:
        """Every bucket imported before: bucket id -> (source, high-water mark)."""
        rows = self._read("SELECT bucket, source, high_water FROM import_marks", ())
        return {b: (src, high) for b, src, high in rows}

    def last_session_start(self, source: str) -> float | None:
        rows = self._read("SELECT max(start) FROM sessions WHERE source = ?", (source,))
        return rows[0][0] if rows and rows[0][0] is not None else None

    def extra_prompts_before(self, source: str, t: float) -> int:
        """How many optional prompts (not move, not posture) `source` has before `t`."""
        rows = self._read(
            "SELECT count(*) FROM prompts WHERE source = ? AND t < ? "
            "AND kind NOT IN ('move', 'posture')",
            (source, t),
        )
        return int(rows[0][0])

    def source_totals(self, source: str) -> tuple[int, int, int, float, float | None, float | None]:
        """(sessions, breaks, prompts, seconds sitting, first start, last end) of `source`."""
        sessions = self._read(
            'SELECT count(*), coalesce(sum("end" - start), 0), min(start), max("end") '
            "FROM sessions WHERE source = ?",
            (source,),
        )[0]
        breaks = self._read("SELECT count(*) FROM breaks WHERE source = ?", (source,))[0][0]
        prompts = self._read("SELECT count(*) FROM prompts WHERE source = ?", (source,))[0][0]
        return (sessions[0], breaks, prompts, float(sessions[1]), sessions[2], sessions[3])

    def record_imports(
        self,
        batches: Sequence[ImportBatch],
        tz: dt.tzinfo,
        tz_name: str,
        settings: EngineSettings,
    ) -> None:
        """Store imported results, all buckets in one transaction (all or nothing).

        Each batch replaces what its source has from `resume_from` on (its
        sessions, breaks and prompts), rewrites the figures of the days it
        touches, and moves its bucket's high-water mark. Raises StorageError.
        """
        written = time.time()

        def write(conn: sqlite3.Connection) -> None:
            for b in batches:
                self._replace_from(
                    conn, b, tz=tz, tz_name=tz_name, settings=settings, written=written
                )

        self._in_one_transaction("store the import", write)

    def _replace_from(
        self,
        conn: sqlite3.Connection,
        b: ImportBatch,
        *,
        tz: dt.tzinfo,
        tz_name: str,
        settings: EngineSettings,
        written: float,
    ) -> None:
        if b.source == DAEMON:
            raise ValueError("an import cannot be stored as the daemon's own data")
        cut, src, r = b.resume_from, b.source, b.result
        conn.execute("DELETE FROM sessions WHERE source = ? AND start >= ?", (src, cut))
        conn.execute("DELETE FROM breaks WHERE source = ? AND start >= ?", (src, cut))
        conn.execute("DELETE FROM prompts WHERE source = ? AND t >= ?", (src, cut))
        if math.isfinite(cut):  # the days from the cut's on are figured again below
            day = dt.datetime.fromtimestamp(cut, tz).date().isoformat()
            conn.execute("DELETE FROM days WHERE source = ? AND date >= ?", (src, day))
        else:
            conn.execute("DELETE FROM days WHERE source = ?", (src,))
        _insert_outputs(conn, r, src)
        if r.sessions:
            first = min(s.start for s in r.sessions)
            last = max(s.end for s in r.sessions)
            d0 = dt.datetime.fromtimestamp(first, tz).date()
            d1 = dt.datetime.fromtimestamp(last, tz).date()
            # Read back through this connection, inside the transaction: the
            # days see the settled sessions before `cut` and the new ones.
            days = self.figures_between(d0, d1, tz, src, settings=settings)
            kept = [d for d in days if d.sessions or d.sitting_s > 0]
            _upsert_days(conn, kept, src, tz_name, written)
        if b.pauses is not None:
            conn.execute(
                UPSERT_LEARNED, ("pauses:" + src, json.dumps(b.pauses, sort_keys=True), written)
            )
        conn.execute(
            "INSERT INTO import_marks (bucket, source, high_water, imported) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET source = excluded.source, "
            "high_water = excluded.high_water, imported = excluded.imported",
            (b.bucket, src, b.high_water, written),
        )


def _insert_outputs(conn: sqlite3.Connection, result: ReplayResult, source: str) -> None:
    """A replay's sessions, breaks and prompts as rows of `source`."""
    conn.executemany(
        'INSERT INTO sessions (start, "end", cause, open, noticed, source) '
        "VALUES (?, ?, ?, 0, ?, ?)",
        [(s.start, s.end, s.cause.value, s.t, source) for s in result.sessions],
    )
    conn.executemany(
        'INSERT INTO breaks (noticed, start, "end", cause, source) VALUES (?, ?, ?, ?, ?)',
        [(b.t, b.start, b.end, b.cause.value, source) for b in result.breaks],
    )
    conn.executemany(
        "INSERT INTO prompts (t, kind, level, seated_s, source) VALUES (?, ?, ?, ?, ?)",
        [(p.t, p.kind.value, p.level, p.seated_s, source) for p in result.prompts],
    )


def _upsert_days(
    conn: sqlite3.Connection, days: Sequence[DayFigures], source: str, tz_name: str, written: float
) -> None:
    conn.executemany(
        "INSERT INTO days (date, source, tz, figures, written) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (date, source) DO UPDATE SET "
        "tz = excluded.tz, figures = excluded.figures, written = excluded.written",
        [
            (d.date.isoformat(), source, tz_name, json.dumps(d.as_dict(), sort_keys=True), written)
            for d in days
        ],
    )
