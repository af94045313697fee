"""The store's SQLite file: where it is, kept private, connected to, SQLite's
errors told apart, and set aside when it is damaged.

A busy or locked database is waited out on the same connection; a damaged
one (or one that is not a database) cannot be, and only the daemon, which
owns the file, moves it aside for a fresh one (`move_aside`), its WAL with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import stat
from pathlib import Path

from sitbreak import paths
from sitbreak.errors import StorageError

log = logging.getLogger("sitbreak.store")

DB_NAME = "sitbreak.db"

# SQLite's primary result codes (the low byte of an extended code), fixed by
# its C API; the sqlite3 module names them only from Python 3.11 on.
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_NOTADB = 5, 6, 11, 26
BUSY_CODES = {SQLITE_BUSY, SQLITE_LOCKED}
CORRUPT_CODES = {SQLITE_NOTADB, SQLITE_CORRUPT}
#: Python 3.10's exceptions carry no code, only SQLite's message for it (sqlite3_errstr).
_CODE_MESSAGES = (
    ("database is locked", SQLITE_BUSY),
    ("database table is locked", SQLITE_LOCKED),
    ("database disk image is malformed", SQLITE_CORRUPT),
    ("file is not a database", SQLITE_NOTADB),
)


def default_db_path() -> Path:
    return paths.data_dir() / DB_NAME


def error_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc)
    return next((code for message, code in _CODE_MESSAGES if message in text), None)


class Damaged(sqlite3.DatabaseError):
    """PRAGMA quick_check found damaged pages."""


def make_private_file(path: Path) -> None:
    """Create `path` at mode 0600, or take group/other access away from an existing one.

    SQLite gives the -wal and -shm files the database file's mode, so getting
    the database right keeps all three private whatever the umask.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        try:
            if stat.S_IMODE(side.stat().st_mode) & 0o077:
                side.chmod(0o600)
        except FileNotFoundError:
            pass


def connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    # isolation_level=None: transactions are ours (BEGIN IMMEDIATE ... COMMIT),
    # not the sqlite3 module's implicit ones. The daemon may call from its
    # listener threads; a lock in Store serialises use instead of the thread check.
    conn = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn


def rollback(conn: sqlite3.Connection) -> None:
    # A failed ROLLBACK means SQLite already rolled back on the error: nothing to undo.
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def move_aside(path: Path, exc: BaseException) -> None:
    """Rename the damaged database `path` (and its WAL) to `NAME.corrupt-STAMP`; log it.

    Raises StorageError when it cannot be moved.
    """
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.rename(aside)
        # A WAL belongs to its database: keep the pair together under the new name.
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}")
            if side.exists():
                side.rename(Path(f"{aside}{suffix}"))
    except OSError as err:
        raise StorageError(
            f"{path}: not a usable database ({exc}), and it cannot be moved "
            f"aside: {err.strerror or err}"
        ) from err
    log.error(
        "%s is not a usable database (%s); moved it to %s and started a new one",
        path,
        exc,
        aside,
    )
