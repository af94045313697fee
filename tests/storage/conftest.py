"""The store tests' fixtures: a store on a fresh file, and another process holding its lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from sitbreak.storage.store import Store


@pytest.fixture
def db() -> Iterator[Store]:
    s = Store.open(busy_timeout_ms=100, retry_interval_s=0)
    yield s
    s.close()


@pytest.fixture
def locker(db: Store) -> Iterator[sqlite3.Connection]:
    """Another process's connection holding the write lock, as `sqlite3` in a shell would."""
    conn = sqlite3.connect(db.path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()
