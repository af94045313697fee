"""Scenario tests of the store's schema: a fresh database, migrations in order, what was
learned kept, and a database newer than the code refused."""

from __future__ import annotations

import sqlite3

import pytest

from sitbreak import paths
from sitbreak.errors import StorageError
from sitbreak.storage import schema
from sitbreak.storage.store import MIGRATIONS, Store
from store_scenario import raw


def test_fresh_database_is_created_and_migrated() -> None:
    s = Store.open()
    assert s.path == paths.data_dir() / "sitbreak.db"
    tables = {r[0] for r in raw(s, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "breaks", "prompts", "days", "meta"} <= tables
    assert raw(s, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert raw(s, "PRAGMA journal_mode") == [("wal",)]
    assert s.healthy
    s.close()


def test_reopening_is_idempotent_and_keeps_data() -> None:
    with Store.open() as s:
        s.set_meta("greeting", "hello")
    with Store.open() as s:
        assert s.meta("greeting") == "hello"
        assert raw(s, "PRAGMA user_version") == [(len(MIGRATIONS),)]
        indexes = raw(s, "SELECT count(*) FROM sqlite_master WHERE type = 'index'")
    with Store.open() as s:
        assert raw(s, "SELECT count(*) FROM sqlite_master WHERE type = 'index'") == indexes


def test_later_migrations_are_applied_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open() as s:
        s.set_meta("kept", "yes")
    extra = [
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);",
        "ALTER TABLE notes ADD COLUMN t REAL; INSERT INTO notes (text, t) VALUES ('x;y', 1.0);",
    ]
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, *extra])
    with Store.open() as s:
        assert raw(s, "PRAGMA user_version") == [(len(MIGRATIONS) + 2,)]
        assert raw(s, "SELECT text, t FROM notes") == [("x;y", 1.0)]
        assert s.meta("kept") == "yes"


def test_a_database_of_the_first_schema_gains_the_learned_table_and_keeps_its_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:1])
    with Store.open() as s:
        s.set_meta("kept", "yes")
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)
    with Store.open() as s:
        assert s.meta("kept") == "yes"
        assert s.learned("pauses") is None
        s.save_learned("pauses", {"version": 1, "seen_gaps": 3})
    with Store.open() as s:
        assert s.learned("pauses") == {"version": 1, "seen_gaps": 3}


def test_what_was_learned_is_replaced_not_added_to() -> None:
    with Store.open() as s:
        s.save_learned("pauses", {"n": 1})
        s.save_learned("pauses", {"n": 2})
        assert s.flush()
        assert s.learned("pauses") == {"n": 2}
        assert raw(s, "SELECT count(*) FROM learned") == [(1,)]


def test_a_database_newer_than_the_code_is_refused() -> None:
    path = paths.ensure_private_dir(paths.data_dir()) / "sitbreak.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StorageError, match=r"newer than this sitbreak understands"):
        Store.open(path)
