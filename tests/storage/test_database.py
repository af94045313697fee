"""Scenario tests of the write queue: a locked, read-only, full or damaged database, and
the daemon carries on without losing a write."""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitbreak import paths
from sitbreak.core import Cause, PromptDue, PromptKind, SessionEnded
from sitbreak.storage import sqlite_file
from sitbreak.storage.store import Store
from store_scenario import SRC, raw, warnings_of


def test_a_write_the_schema_rejects_is_dropped_not_retried_forever(
    db: Store, caplog: pytest.LogCaptureFixture
) -> None:
    db.session_started(1000.0)
    db.prompt_sent(PromptDue(math.nan, PromptKind.MOVE, 1, 1800.0))  # NaN is stored as NULL
    db.checkpoint(1000.0, 1100.0)
    assert db.pending_count == 0
    assert db.healthy
    assert db.sessions_between(0, 2000)[0].end == 1100.0
    assert raw(db, "SELECT count(*) FROM prompts") == [(0,)]
    assert any("rejects" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


# ------------------------------------------------------------ failures


def test_locked_database_keeps_writes_pending_then_recovers(
    db: Store, locker: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sitbreak.store")
    db.session_started(1000.0)
    db.prompt_sent(PromptDue(1300.0, PromptKind.POSTURE, 1, 300.0))
    db.checkpoint(1000.0, 1400.0)
    assert not db.flush()
    assert not db.flush()
    assert not db.healthy
    assert db.pending_count == 3
    assert len(warnings_of(caplog)) == 1
    assert "database is locked" in warnings_of(caplog)[0]

    locker.execute("ROLLBACK")
    assert db.flush()
    assert db.healthy
    assert db.pending_count == 0
    assert db.sessions_between(0, 2000) == [SessionEnded(1400.0, 1000.0, 1400.0, Cause.SHUTDOWN)]
    assert len(db.prompts_between(0, 2000)) == 1
    assert len(warnings_of(caplog)) == 2
    assert "writable again; saved 3 pending writes" in warnings_of(caplog)[1]


def test_while_failing_writes_only_queue_between_retries() -> None:
    # Each try can block for the busy timeout: the daemon must not pay it per write.
    with Store.open(busy_timeout_ms=400, retry_interval_s=3600) as s:
        lock = sqlite3.connect(s.path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        s.session_started(1000.0)  # this one tries, and waits
        assert not s.healthy
        t0 = time.monotonic()
        for i in range(20):
            s.checkpoint(1000.0, 1000.0 + i)
        assert time.monotonic() - t0 < 0.3
        assert s.pending_count == 21
        lock.execute("ROLLBACK")
        lock.close()


def test_the_queue_is_bounded_by_dropping_old_checkpoints_never_sessions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Store.open(busy_timeout_ms=50, max_pending=5, retry_interval_s=3600) as s:
        lock = sqlite3.connect(s.path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        s.session_started(1000.0)
        for i in range(1, 11):
            s.checkpoint(1000.0, 1000.0 + 60 * i)
        s.session_ended(SessionEnded(2000.0, 1000.0, 1650.0, Cause.IDLE))
        for i in range(6):
            s.session_ended(SessionEnded(9000.0 + i, 8000.0 + i, 8500.0 + i, Cause.IDLE))
        assert s.pending_count == 8  # 1 start + 7 ends: sessions are never dropped
        assert any("dropping the oldest checkpoints" in m for m in warnings_of(caplog))
        lock.execute("ROLLBACK")
        lock.close()
        assert s.flush()
        sessions = s.sessions_between(0, 1e6)
    assert len(sessions) == 7
    assert sessions[0] == SessionEnded(2000.0, 1000.0, 1650.0, Cause.IDLE)


def _read_only_connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection as on a read-only mount (which chmod cannot simulate for root)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def test_read_only_database_keeps_writes_pending(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with Store.open() as s:  # an existing database, then the file system turns read-only
        s.session_ended(SessionEnded(90.0, 10.0, 80.0, Cause.IDLE))
    monkeypatch.setattr(sqlite_file, "connect", _read_only_connect)
    s = Store.open(retry_interval_s=0)
    assert not s.healthy
    s.session_started(500.0)
    s.session_ended(SessionEnded(900.0, 500.0, 800.0, Cause.IDLE))
    s.prompt_sent(PromptDue(600.0, PromptKind.POSTURE, 1, 100.0))
    assert not s.healthy
    assert s.pending_count == 3
    assert len(warnings_of(caplog)) == 1
    assert "readonly" in warnings_of(caplog)[0]
    monkeypatch.undo()
    assert s.flush()
    assert s.sessions_between(0, 1000) == [
        SessionEnded(90.0, 10.0, 80.0, Cause.IDLE),
        SessionEnded(900.0, 500.0, 800.0, Cause.IDLE),
    ]
    s.close()


def test_unopenable_new_database_keeps_writes_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_file, "connect", _read_only_connect)
    s = Store.open(retry_interval_s=0)  # an empty file cannot be given a schema read-only
    s.session_started(100.0)
    assert (s.healthy, s.pending_count) == (False, 1)
    monkeypatch.undo()
    assert s.flush()
    assert s.sessions_between(0, 200) == [SessionEnded(100.0, 100.0, 100.0, Cause.SHUTDOWN)]
    s.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files anyway")
def test_read_only_file_keeps_writes_pending_until_writable() -> None:
    with Store.open() as s:
        path = s.path
    path.chmod(0o400)
    s = Store.open(retry_interval_s=0)
    s.session_started(100.0)
    assert (s.healthy, s.pending_count) == (False, 1)
    path.chmod(0o600)
    assert s.flush()
    assert len(s.sessions_between(0, 200)) == 1
    s.close()


DISK_FULL = """
import json, logging, resource, signal, sys
from sitbreak.core import PromptDue, PromptKind
from sitbreak.storage.store import Store

logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(message)s")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write(), as on a full disk
s = Store.open(retry_interval_s=3600)
s.session_started(1000.0)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
# Room for a few more pages in the largest file (the WAL), then the "disk" is full.
biggest = max(p.stat().st_size for p in s.path.parent.glob("sitbreak.db*"))
resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + 16 * 4096, hard))
for i in range(2000):
    s.prompt_sent(PromptDue(1000.0 + i, PromptKind.POSTURE, 1, 60.0))
during = {"healthy": s.healthy, "pending": s.pending_count}
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
flushed = s.flush()
print(json.dumps({**during, "flushed": flushed, "healthy_after": s.healthy,
                  "prompts": len(s.prompts_between(0, 1e9))}))
s.close()
"""


def test_full_disk_keeps_writes_pending_without_raising() -> None:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run(
        [sys.executable, "-c", DISK_FULL], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["healthy"] is False
    assert 0 < result["pending"] < 2000
    assert (result["flushed"], result["healthy_after"], result["prompts"]) == (True, True, 2000)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2, proc.stderr  # the outage and the recovery
    assert "writable again" in warnings[1]


def test_corrupt_database_is_moved_aside(caplog: pytest.LogCaptureFixture) -> None:
    path = paths.ensure_private_dir(paths.data_dir()) / "sitbreak.db"
    garbage = b"this is not a database, it was a cat walking on the keyboard\n" * 100
    path.write_bytes(garbage)
    with Store.open() as s:
        assert s.healthy
        s.session_started(100.0)
        assert len(s.sessions_between(0, 200)) == 1
    aside = [p for p in path.parent.iterdir() if p.name.startswith("sitbreak.db.corrupt-")]
    assert len(aside) == 1
    assert aside[0].read_bytes() == garbage
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert str(path) in errors[0]
    assert str(aside[0]) in errors[0]
