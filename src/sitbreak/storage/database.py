"""The store's database: opened on first use, with a write queue that survives
SQLite refusing writes.

The daemon must never lose data nor crash because of storage. Its writes are
queued in memory (as `pending_ops`) and flushed in one transaction; when
SQLite refuses (the file is locked by another process, the disk is full, the
directory or file became read-only, an I/O error), the queue is kept and
retried later, with one warning when writing stops working and one when it
works again. A queue past its bound sheds the least valuable ops first,
never the start or end of a session.

Opening makes the file private (0600), turns on the write-ahead log, runs
the migrations (`schema`) and, for the daemon (`recover`), checks the pages,
closes the sessions a crashed daemon left open and sets a damaged file aside
(`sqlite_file`). Reads flush first, so the daemon reads what it wrote.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sitbreak.errors import StorageError
from sitbreak.storage import sqlite_file
from sitbreak.storage.pending_ops import APPLY, DROP_ORDER, OpFailed, _Op
from sitbreak.storage.schema import CRASH, DAEMON, migrate

log = logging.getLogger("sitbreak.store")


class Database:
    """The database, with a write queue that survives SQLite refusing writes."""

    def __init__(
        self,
        path: Path,
        *,
        recover: bool,
        busy_timeout_ms: int,
        max_pending: int,
        retry_interval_s: float,
    ) -> None:
        self.path = path
        self._recover = recover
        # Only the daemon (which recovers) owns the file: it alone may set a
        # corrupt one aside. A report or a replay must not move it under it.
        self._owner = recover
        self._busy_timeout_ms = busy_timeout_ms
        self._max_pending = max_pending
        self._retry_interval_s = retry_interval_s
        self._conn: sqlite3.Connection | None = None
        self._pending: list[_Op] = []
        self._healthy = True
        self._shedding = False  # warned that the queue is full (once per outage)
        self._next_try = 0.0  # monotonic time before which writes only queue
        self._lock = threading.RLock()

    @property
    def healthy(self) -> bool:
        """False from a failed write until a flush succeeds again."""
        return self._healthy

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Flush what is pending (one last try) and close the database."""
        with self._lock:
            if self._pending and not self.flush():
                log.error(
                    "%s: closing with %d writes that could not be saved",
                    self.path,
                    self.pending_count,
                )
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --------------------------------------------------------- flushing

    def flush(self) -> bool:
        """Write everything pending in one transaction; True when nothing is left pending.

        Never raises for a database that refuses writes: the queue is kept for
        the next try and the failure is logged once per outage.
        """
        with self._lock:
            written = 0
            while True:
                try:
                    written += self._write_pending()
                except OpFailed as bad:
                    # Retrying cannot help an op the schema rejects; keep the rest.
                    op = self._pending.pop(bad.index)
                    log.error(
                        "%s: dropped a write the database rejects (%s): %r",
                        self.path,
                        bad.cause,
                        op,
                    )
                    continue
                except (sqlite3.Error, OSError, StorageError) as exc:
                    self._failed(exc)
                    return False
                break
            self._recovered(written)
            return True

    def _write_pending(self) -> int:
        """Apply the queue in one transaction and empty it; how many ops were written."""
        conn = self._ensure_conn()
        if not self._pending:
            return 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for i, op in enumerate(self._pending):
                try:
                    APPLY[op.kind](conn, op.params)
                except (
                    sqlite3.IntegrityError,
                    sqlite3.InterfaceError,
                    sqlite3.ProgrammingError,
                ) as exc:
                    raise OpFailed(i, exc) from exc
            conn.execute("COMMIT")
        except BaseException:
            sqlite_file.rollback(conn)
            raise
        n = len(self._pending)
        self._pending.clear()
        return n

    def _queue(self, op: _Op) -> None:
        with self._lock:
            self._pending.append(op)
            if len(self._pending) > self._max_pending:
                self._shed()
            self._flush_if_due()

    def _flush_if_due(self) -> None:
        # While the database is failing, writes only queue between retries:
        # each try can block for the busy timeout, and the daemon must stay live.
        if self._healthy or time.monotonic() >= self._next_try:
            self.flush()

    def _shed(self) -> None:
        """Drop queued ops, least valuable and oldest first, down to the bound."""
        excess = len(self._pending) - self._max_pending
        for kind in DROP_ORDER:
            if excess <= 0:
                break
            keep: list[_Op] = []
            for op in self._pending:
                if excess > 0 and op.kind == kind:
                    excess -= 1
                else:
                    keep.append(op)
            self._pending = keep
        if not self._shedding:
            self._shedding = True
            log.warning(
                "%s: more than %d writes waiting; dropping the oldest checkpoints "
                "(then outcomes, days, prompts, breaks; sessions are always kept)",
                self.path,
                self._max_pending,
            )

    def _failed(self, exc: BaseException) -> None:
        self._next_try = time.monotonic() + self._retry_interval_s
        if sqlite_file.error_code(exc) not in sqlite_file.BUSY_CODES and self._conn is not None:
            # After a read-only, full-disk or I/O error, start over with a new
            # connection: one opened read-only stays so after a chmod.
            self._conn.close()
            self._conn = None
        if self._healthy:
            self._healthy = False
            log.warning(
                "%s: cannot write to the database (%s); keeping writes in memory and retrying",
                self.path,
                exc,
            )

    def _recovered(self, written: int) -> None:
        if not self._healthy:
            log.warning(
                "%s: the database is writable again; saved %d pending writes", self.path, written
            )
        self._healthy = True
        self._shedding = False

    # ---------------------------------------------------------- opening

    def _ensure_conn(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            conn = self._prepare()
        except sqlite3.DatabaseError as exc:
            if (
                not isinstance(exc, sqlite_file.Damaged)
                and sqlite_file.error_code(exc) not in sqlite_file.CORRUPT_CODES
            ):
                raise
            if not self._owner:
                raise StorageError(
                    f"{self.path}: not a usable database ({exc}); `sitbreak run` sets a "
                    "damaged database aside and starts a new one when it next starts"
                ) from exc
            sqlite_file.move_aside(self.path, exc)
            conn = self._prepare()
        self._conn = conn
        return conn

    def _prepare(self) -> sqlite3.Connection:
        sqlite_file.make_private_file(self.path)
        conn = sqlite_file.connect(self.path, self._busy_timeout_ms)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Keep the write-ahead log small: the daemon writes a little all
            # day, and by default the WAL would grow to ~4 MB before shrinking.
            conn.execute("PRAGMA wal_autocheckpoint = 128")
            conn.execute("PRAGMA journal_size_limit = 524288")
            if self._recover:
                # A damaged page is otherwise found only by the first write that
                # touches it, and then every write fails for ever. Once, at the
                # daemon's start: milliseconds for a few MB.
                problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
                if problems != ["ok"]:
                    raise sqlite_file.Damaged("; ".join(problems))
            migrate(conn, self.path)
            if self._recover:
                self._close_crashed(conn)
                self._recover = False  # only what was left before we opened
        except BaseException:
            conn.close()
            raise
        return conn

    def _close_crashed(self, conn: sqlite3.Connection) -> None:
        # The end is already the last checkpoint; only the cause is news.
        conn.execute(
            "UPDATE sessions SET open = 0, cause = ? WHERE open = 1 AND source = ?",
            (CRASH, DAEMON),
        )

    # ------------------------------------------------------------ reads

    def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Rows of a query, after trying to flush (so the daemon reads what it wrote)."""
        with self._lock:
            self._flush_if_due()
            try:
                return self._ensure_conn().execute(sql, params).fetchall()
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(f"{self.path}: cannot read the database: {exc}") from exc
