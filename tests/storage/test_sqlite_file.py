"""The store's file: private whatever the umask, and SQLite's errors told apart."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from sitbreak import paths
from sitbreak.storage import sqlite_file
from sitbreak.storage.store import Store, append_summary, summaries_log_path
from store_scenario import DAY, TZ


def test_files_are_private_whatever_the_umask(sitbreak_home: Path) -> None:
    old = os.umask(0o022)
    try:
        with Store.open() as s:
            s.session_started(1000.0)
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in s.path.parent.iterdir()
                if p.name.startswith("sitbreak.db")
            }
            assert append_summary(s.day_figures(DAY, TZ), "Europe/Berlin")
    finally:
        os.umask(old)
    assert modes == {"sitbreak.db": 0o600, "sitbreak.db-wal": 0o600, "sitbreak.db-shm": 0o600}
    assert stat.S_IMODE((sitbreak_home / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE(summaries_log_path().stat().st_mode) == 0o600


def test_a_loose_existing_database_is_made_private() -> None:
    path = paths.ensure_private_dir(paths.data_dir()) / "sitbreak.db"
    path.touch()
    path.chmod(0o644)
    Store.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sqlite_errors_are_told_apart_with_or_without_their_code(tmp_path: Path) -> None:
    # Python 3.11+ attaches SQLite's result code; 3.10 gives only the message.
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        waiter.execute("INSERT INTO t VALUES (1)")
    holder.close()
    waiter.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, " * 100)
    with pytest.raises(sqlite3.DatabaseError) as notadb:
        sqlite3.connect(junk).execute("SELECT * FROM sqlite_master")
    for raised, expected in (
        (busy.value, sqlite_file.SQLITE_BUSY),
        (notadb.value, sqlite_file.SQLITE_NOTADB),
    ):
        assert sqlite_file.error_code(raised) == expected
        bare = type(raised)(str(raised))  # what Python 3.10 raises: no sqlite_errorcode
        assert not hasattr(bare, "sqlite_errorcode")
        assert sqlite_file.error_code(bare) == expected
    assert sqlite_file.error_code(sqlite3.OperationalError("no such table: t")) is None
