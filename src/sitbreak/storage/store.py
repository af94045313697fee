"""SQLite storage of sessions, breaks, prompts and daily figures.

The daemon writes here as things happen, `sitbreak replay --record` stores a
replay under its own source label, and reports read it back. Daily figures are
always computed by `Store.day_figures`, which feeds the stored outputs to the
core `DayLedger`: the daemon's end-of-day summary and every report agree
because they are the same code.

The daemon must never lose data nor crash because of storage: its writes
queue in memory and wait out a locked database or a full disk (`database`).
Batch writes (`record_replay`) instead raise `StorageError`, since a command
can tell its user at once (`batch_writes`).

All times are UTC epoch seconds stored as REAL.

`Store` is what callers open; its parts, each in a module of its own:
`schema` (the migrations, the values the columns hold), `sqlite_file` (the
file: private, connected to, its errors, set aside when damaged), `database`
(opening and the write queue), `pending_ops` (the queued ops and their SQL),
`daemon_writes`, `queries`, `day_figures`, `batch_writes` (replays and
imports) and `summaries` (the JSON-lines log beside the database). The names
callers use are importable from here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from sitbreak import paths
from sitbreak.storage.batch_writes import BatchWrites, ImportBatch
from sitbreak.storage.daemon_writes import DaemonWrites
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


class Store(DaemonWrites, BatchWrites):
    """The database, with a write queue that survives SQLite refusing writes.

    The daemon's writes (`DaemonWrites`), the reads (`Queries`), daily figures
    (`DayFigureQueries`) and replays and imports (`BatchWrites`), over one
    `Database`.
    """

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
