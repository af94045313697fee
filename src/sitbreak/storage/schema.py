"""The store's SQLite schema: its migrations, and the values its columns hold.

A database records its version in `PRAGMA user_version`. Opening one runs
the migrations it lacks, in order, in one transaction with the new version,
so a database is at one version or the next, never between; another process
may migrate first, so the version is read again under the write lock. A
database newer than this code is refused, and left as it is.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sitbreak.errors import StorageError
from sitbreak.storage.sqlite_file import rollback

#: The source the daemon's own rows are stored under (replays and imports have their own).
DAEMON = "daemon"
#: Stored as a session's cause when the daemon died with the session open.
CRASH = "crash"
OUTCOMES = frozenset({"heeded", "snoozed", "skipped", "ignored"})

MIGRATIONS: list[str] = [
    # 1: the initial schema. "end" is quoted throughout: it is an SQL keyword.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        start REAL NOT NULL,
        "end" REAL NOT NULL,
        cause TEXT,
        open INTEGER NOT NULL DEFAULT 0,
        noticed REAL,
        source TEXT NOT NULL DEFAULT 'daemon'
    );
    CREATE INDEX sessions_start ON sessions (source, start);
    CREATE INDEX sessions_open ON sessions (open) WHERE open = 1;
    CREATE TABLE breaks (
        id INTEGER PRIMARY KEY,
        start REAL NOT NULL,
        "end" REAL NOT NULL,
        cause TEXT NOT NULL,
        noticed REAL,
        source TEXT NOT NULL DEFAULT 'daemon'
    );
    CREATE INDEX breaks_start ON breaks (source, start);
    CREATE TABLE prompts (
        id INTEGER PRIMARY KEY,
        t REAL NOT NULL,
        kind TEXT NOT NULL,
        level INTEGER NOT NULL,
        seated_s REAL NOT NULL,
        outcome TEXT,
        source TEXT NOT NULL DEFAULT 'daemon'
    );
    CREATE INDEX prompts_t ON prompts (source, t);
    CREATE TABLE days (
        date TEXT NOT NULL,
        source TEXT NOT NULL,
        tz TEXT NOT NULL,
        figures TEXT NOT NULL,
        written REAL NOT NULL,
        PRIMARY KEY (date, source)
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    """,
    # 2: what sitbreak learned about the person (the pause model), as JSON.
    """
    CREATE TABLE learned (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        written REAL NOT NULL
    );
    """,
    # 3: imports from other tools (ActivityWatch): per bucket, the source its
    # results are stored under and the latest event end imported (the
    # high-water mark), so an import again reads only what is new.
    """
    CREATE TABLE import_marks (
        bucket TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        high_water REAL NOT NULL,
        imported REAL NOT NULL
    );
    """,
    # 4: the activity timeline (storage/timeline.py): what the engine was fed,
    # so days can be replayed. Compact on purpose (a working day is a few kB):
    # times in integer milliseconds, a small integer per kind and per source,
    # and no rowid, the primary key is the table.
    """
    CREATE TABLE timeline_sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    INSERT INTO timeline_sources (id, name) VALUES (1, 'daemon');
    CREATE TABLE timeline (
        source INTEGER NOT NULL REFERENCES timeline_sources (id),
        t INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        arg INTEGER,
        PRIMARY KEY (source, t)
    ) WITHOUT ROWID;
    -- What the pause model had learned when the daemon started and at each
    -- midnight (zlib-compressed JSON), so a replay starts from where the
    -- daemon's engine did.
    CREATE TABLE timeline_states (
        source INTEGER NOT NULL REFERENCES timeline_sources (id),
        t INTEGER NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (source, t)
    ) WITHOUT ROWID;
    """,
]


def tz_label(tz: dt.tzinfo) -> str:
    """A time zone's IANA name when it has one (ZoneInfo), else its str()."""
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else str(tz)


def statements(script: str) -> list[str]:
    """Split an SQL script into statements (executescript would COMMIT our transaction)."""
    out: list[str] = []
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \t\r\n;"):
                out.append(buf.strip())
            buf = ""
    return out


def schema_version(conn: sqlite3.Connection, path: Path) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StorageError(
            f"{path}: database schema version {version} is newer than this "
            f"sitbreak understands ({len(MIGRATIONS)}); upgrade sitbreak, or move the "
            "file aside to start a new database"
        )
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database up to the latest migration (nothing when it is already there)."""
    if schema_version(conn, path) == len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated.
        version = schema_version(conn, path)
        for script in MIGRATIONS[version:]:
            for statement in statements(script):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
