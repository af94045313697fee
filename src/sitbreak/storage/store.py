"""SQLite storage of sessions, breaks, prompts and daily figures.

The daemon writes here as things happen, `sitbreak replay --record` stores a
replay under its own source label, and reports read it back. Daily figures are
always computed by `Store.day_figures`, which feeds the stored outputs to the
core `DayLedger`: the daemon's end-of-day summary and every report agree
because they are the same code.

The daemon must never lose data nor crash because of storage. Its writes are
queued in memory and flushed in one transaction; when SQLite refuses (the file
is locked by another process, the disk is full, the directory or file became
read-only, an I/O error), the queue is kept and retried later, with one warning
when writing stops working and one when it works again. Batch writes
(`record_replay`) instead raise `StorageError`, since a command can tell its
user at once.

All times are UTC epoch seconds stored as REAL.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sitbreak import paths
from sitbreak.core import (
    BreakTaken,
    Cause,
    DayFigures,
    DayLedger,
    EngineSettings,
    Output,
    PromptDue,
    PromptKind,
    SessionEnded,
)
from sitbreak.core.run import ReplayResult
from sitbreak.errors import StorageError
from sitbreak.storage import sqlite_file
from sitbreak.storage.database import Database
from sitbreak.storage.pending_ops import _Op
from sitbreak.storage.schema import CRASH, DAEMON, MIGRATIONS, OUTCOMES, tz_label
from sitbreak.storage.sqlite_file import (
    DB_NAME,
    SQLITE_BUSY,
    SQLITE_CORRUPT,
    SQLITE_LOCKED,
    SQLITE_NOTADB,
    default_db_path,
)
from sitbreak.storage.summaries import SUMMARIES_NAME, append_summary, summaries_log_path
from sitbreak.storage.timeline import Row

__all__ = [
    "CRASH",
    "DAEMON",
    "DB_NAME",
    "MIGRATIONS",
    "OUTCOMES",
    "SQLITE_BUSY",
    "SQLITE_CORRUPT",
    "SQLITE_LOCKED",
    "SQLITE_NOTADB",
    "SUMMARIES_NAME",
    "ImportBatch",
    "Store",
    "append_summary",
    "default_db_path",
    "summaries_log_path",
    "tz_label",
]


def _unpacked(packed: object) -> dict[str, Any] | None:
    """A kept state as a dict; None if it is not one (damaged, or from elsewhere)."""
    try:
        state = json.loads(zlib.decompress(packed))  # type: ignore[arg-type]
    except (TypeError, ValueError, zlib.error):
        return None
    return state if isinstance(state, dict) else None


def _cause(value: str | None) -> Cause:
    """A stored cause as a Cause; "crash", open sessions and unknown values read as SHUTDOWN.

    SHUTDOWN is what the engine itself reports for a session cut short by the
    daemon stopping, and it is never taken as a heeded prompt.
    """
    try:
        return Cause(value)
    except ValueError:
        return Cause.SHUTDOWN


def _session(row: Sequence[Any]) -> SessionEnded:
    start, end, cause, noticed = row
    return SessionEnded(noticed if noticed is not None else end, start, end, _cause(cause))


def _day_bounds(date: dt.date, tz: dt.tzinfo) -> tuple[float, float]:
    start = dt.datetime.combine(date, dt.time(0), tz).timestamp()
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tz).timestamp()
    return start, end


#: Read around a day for its figures; far more than any heeded window plus slack.
_MARGIN_S = 86400.0

#: Which DayFigures count each recorded prompt outcome.
_OUTCOME_FIELD = {
    "heeded": "prompts_acted",
    "snoozed": "prompts_snoozed",
    "skipped": "prompts_skipped",
    "ignored": "prompts_ignored",
}


def _feed_key(o: Output) -> float:
    """The ledger must see outputs in the engine's order, which is by `t`.

    `t` is when the engine emitted an output; for a session that is when its
    end was noticed, later than the end itself, and a move prompt is judged
    heeded by the next session end the ledger sees.
    """
    return o.t


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


# ---------------------------------------------------------------- store


class Store(Database):
    """The database, with a write queue that survives SQLite refusing writes."""

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        recover: bool = True,
        busy_timeout_ms: int = 2000,
        max_pending: int = 100_000,
        retry_interval_s: float = 30.0,
    ) -> Store:
        """Open (creating and migrating as needed) the database at `path`.

        With `recover`, sessions a crashed daemon left open are closed at their
        last checkpoint, and a corrupt file is set aside for a fresh one. Only
        the daemon should recover: a report or a replay opened beside a running
        daemon passes `recover=False`, or it would close the daemon's current
        session (and a corrupt file is then an error, left where it is).

        Raises StorageError for what waiting cannot fix: a data directory that
        cannot be made private, a database newer than this code, a corrupt file
        that cannot be moved aside. A database that is merely unwritable for now
        leaves the store open but not `healthy`; writes queue until it works.
        """
        path = path if path is not None else default_db_path()
        paths.ensure_private_dir(path.parent)
        store = cls(
            path,
            recover=recover,
            busy_timeout_ms=busy_timeout_ms,
            max_pending=max_pending,
            retry_interval_s=retry_interval_s,
        )
        try:
            store._ensure_conn()
        except (sqlite3.Error, OSError) as exc:
            store._failed(exc)
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --------------------------------------------------- daemon writes

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

    def prune_timeline(self, before: float) -> None:
        """Forget the timeline before `before` (epoch seconds), for every source."""
        self._queue(_Op("prune", (round(before * 1000),)))

    # ------------------------------------------------------------ reads

    def sessions_between(
        self, start: float, end: float, source: str = DAEMON
    ) -> list[SessionEnded]:
        """Sessions overlapping [start, end), by start; an open one ends at its last checkpoint."""
        rows = self._read(
            'SELECT start, "end", cause, noticed FROM sessions '
            'WHERE source = ? AND start < ? AND "end" >= ? ORDER BY start, id',
            (source, end, start),
        )
        return [_session(r) for r in rows]

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
        return [BreakTaken(t if t is not None else e, s, e, _cause(c)) for t, s, e, c in rows]

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

    def day_figures(
        self,
        date: dt.date,
        tz: dt.tzinfo,
        source: str = DAEMON,
        settings: EngineSettings | None = None,
        live: SessionEnded | None = None,
    ) -> DayFigures:
        """One local day's figures, computed by the core DayLedger from what is stored.

        `settings` gives the limit and the heeded window, as in `sitbreak replay`.
        `live` is the daemon's session in progress, up to now: it stands in for
        the stored row of the same start, whose end is only the last checkpoint.
        """
        return self.figures_between(date, date, tz, source, settings=settings, live=live)[0]

    def figures_between(
        self,
        first: dt.date,
        last: dt.date,
        tz: dt.tzinfo,
        source: str = DAEMON,
        *,
        settings: EngineSettings | None = None,
        live: SessionEnded | None = None,
    ) -> list[DayFigures]:
        """Figures for each local day from `first` to `last`, in one pass.

        The one code path for daily figures (the daemon's summary line, status
        and every report): outputs are fed to a single DayLedger in the order
        they were noticed, so a day's figures do not depend on which range
        they were asked for in.
        """
        s = settings if settings is not None else EngineSettings()
        lo, hi = _day_bounds(first, tz)[0], _day_bounds(last, tz)[1]
        outputs = self._outputs_between(lo - _MARGIN_S, hi + _MARGIN_S, source)
        if live is not None:
            outputs = [
                o for o in outputs if not (isinstance(o, SessionEnded) and o.start == live.start)
            ]
            outputs.append(live)
        ledger = DayLedger(tz, limit_s=s.move_after, heeded_within=s.heeded_within)
        ledger.extend(sorted(outputs, key=_feed_key))
        days = []
        date = first
        while date <= last:
            days.append(ledger.day(date))
            date += dt.timedelta(days=1)
        by_date = {d.date: d for d in days}
        for t, _kind, outcome in self.prompt_outcomes(lo, hi, source):
            fig = by_date.get(dt.datetime.fromtimestamp(t, tz).date())
            if fig is not None and outcome is not None:
                field = _OUTCOME_FIELD.get(outcome)
                if field is not None:
                    setattr(fig, field, getattr(fig, field) + 1)
        return days

    def _outputs_between(self, lo: float, hi: float, source: str) -> list[Output]:
        """Everything stored in [lo, hi).

        Whether a move prompt was heeded is settled by the end of the session it
        was sent in, and that end can fall before the day began: a prompt at
        00:00:10 to someone who last typed at 23:59:50 and got up. Callers read
        a margin on each side; the ledger puts each output in its own day.
        """
        rows = self._read(
            'SELECT start, "end", cause, noticed FROM sessions '
            'WHERE source = ? AND start < ? AND "end" >= ?',
            (source, hi, lo),
        )
        outputs: list[Output] = [_session(r) for r in rows]
        outputs.extend(self.breaks_between(lo, hi, source))
        outputs.extend(self.prompts_between(lo, hi, source))
        return outputs

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

    def meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # ----------------------------------------------------- batch writes

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
                    sqlite_file.rollback(conn)
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
                "INSERT INTO learned (name, state, written) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET "
                "state = excluded.state, written = excluded.written",
                ("pauses:" + src, json.dumps(b.pauses, sort_keys=True), written),
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
