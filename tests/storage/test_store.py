"""Scenario tests of the SQLite store: schema, daemon writes, crashes, failures, figures."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sitbreak import paths
from sitbreak.core import (
    Activity,
    BreakTaken,
    Cause,
    DayFigures,
    DayLedger,
    Engine,
    EngineSettings,
    Event,
    Lock,
    Output,
    PromptDue,
    PromptKind,
    SessionEnded,
    SessionStarted,
    Unlock,
)
from sitbreak.core.run import ReplayResult, replay_events
from sitbreak.errors import StorageError
from sitbreak.storage import schema, sqlite_file
from sitbreak.storage.store import MIGRATIONS, Store, append_summary, summaries_log_path

TZ = ZoneInfo("Europe/Berlin")
DAY = dt.date(2024, 3, 5)  # a Tuesday, far from DST changes
SRC = Path(__file__).resolve().parents[2] / "src"
SETTINGS = EngineSettings()


def at(day: dt.date, hhmm: str, tz: dt.tzinfo = TZ) -> float:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tz).timestamp()


def typing(start: float, end: float, every: float = 20.0) -> list[Event]:
    n = int((end - start) // every)
    return [Activity(start + i * every) for i in range(n + 1)]


def scenario() -> list[Event]:
    """Two days of desk work: heeded and ignored prompts, a lock, and a session across midnight."""
    d1 = DAY + dt.timedelta(days=1)
    events: list[Event] = []
    events += typing(at(DAY, "09:00"), at(DAY, "09:32"))  # move at 09:30, gets up at 09:32
    events += typing(at(DAY, "10:00"), at(DAY, "11:05"))  # moves 10:30 ... 11:00, leaves 11:05
    events += typing(at(DAY, "23:40"), at(d1, "00:12"))  # across midnight, move at 00:10
    events += typing(at(d1, "08:00"), at(d1, "08:20"))
    events += [Lock(at(d1, "08:20") + 5), Unlock(at(d1, "08:40"))]  # a locked break
    events += typing(at(d1, "08:41"), at(d1, "09:00"))  # still sitting when the trace ends
    return events


def drive_daemon(s: Store, events: list[Event], tz: dt.tzinfo = TZ) -> list[Output]:
    """What the daemon does: feed the engine, store each output, checkpoint every minute."""
    engine = Engine(SETTINGS, tz)
    outputs: list[Output] = []
    last_checkpoint = -math.inf

    def store_outputs(outs: tuple[Output, ...] | list[Output]) -> None:
        for o in outs:
            outputs.append(o)
            if isinstance(o, SessionStarted):
                s.session_started(o.t)
            elif isinstance(o, SessionEnded):
                s.session_ended(o)
            elif isinstance(o, BreakTaken):
                s.break_taken(o)
            elif isinstance(o, PromptDue):
                s.prompt_sent(o)

    for ev in events:
        store_outputs(engine.handle(ev))
        start = engine.session_start
        if start is not None and ev.t - last_checkpoint >= 60:
            s.checkpoint(start, engine.last_seen)
            last_checkpoint = ev.t
    store_outputs(engine.finish(events[-1].t))
    return outputs


def ledger_days(outputs: list[Output], tz: dt.tzinfo = TZ) -> dict[dt.date, dict[str, object]]:
    ledger = DayLedger(tz, limit_s=SETTINGS.move_after, heeded_within=SETTINGS.heeded_within)
    ledger.extend(outputs)
    return {d.date: d.as_dict() for d in ledger.days()}


def raw(s: Store, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(s.path) as conn:
        return conn.execute(sql, params).fetchall()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "sitbreak.store" and r.levelno == logging.WARNING
    ]


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


# ------------------------------------------------------------ schema


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


# ------------------------------------------------------- daemon writes


def test_daemon_write_sequence_becomes_rows(db: Store) -> None:
    db.session_started(1000.0)
    db.checkpoint(1000.0, 1060.0)
    db.prompt_sent(PromptDue(1500.0, PromptKind.POSTURE, 1, 500.0))
    db.set_prompt_outcome(1500.0, PromptKind.POSTURE, "snoozed")
    db.checkpoint(1000.0, 2500.0)
    db.session_ended(SessionEnded(3100.0, 1000.0, 2560.0, Cause.IDLE))
    db.session_started(3400.0)
    db.break_taken(BreakTaken(3400.0, 2560.0, 3400.0, Cause.IDLE))
    assert db.pending_count == 0
    assert raw(db, 'SELECT start, "end", cause, open, noticed, source FROM sessions') == [
        (1000.0, 2560.0, "idle", 0, 3100.0, "daemon"),
        (3400.0, 3400.0, None, 1, None, "daemon"),
    ]
    assert raw(db, "SELECT t, kind, level, seated_s, outcome FROM prompts") == [
        (1500.0, "posture", 1, 500.0, "snoozed")
    ]
    assert db.sessions_between(0, 5000) == [
        SessionEnded(3100.0, 1000.0, 2560.0, Cause.IDLE),
        SessionEnded(3400.0, 3400.0, 3400.0, Cause.SHUTDOWN),  # still open
    ]
    assert db.sessions_between(2600, 3000) == []  # the break
    assert db.breaks_between(0, 5000) == [BreakTaken(3400.0, 2560.0, 3400.0, Cause.IDLE)]
    assert db.prompts_between(1500.0, 1500.5) == [PromptDue(1500.0, PromptKind.POSTURE, 1, 500.0)]
    assert db.prompt_outcomes(0, 5000) == [(1500.0, "posture", "snoozed")]


def test_a_session_ended_without_a_start_is_inserted(db: Store) -> None:
    db.session_ended(SessionEnded(900.0, 100.0, 400.0, Cause.LOCK))
    assert db.sessions_between(0, 1000) == [SessionEnded(900.0, 100.0, 400.0, Cause.LOCK)]


def test_unknown_outcome_is_a_programming_error(db: Store) -> None:
    with pytest.raises(ValueError, match="unknown prompt outcome"):
        db.set_prompt_outcome(1.0, PromptKind.MOVE, "maybe")


def test_save_day_upserts_and_saved_days_reads_back(db: Store) -> None:
    fig = db.day_figures(DAY, TZ)
    fig.sitting_s = 3600.0
    db.save_day(fig, "Europe/Berlin", written=10.0)
    fig.sitting_s = 7200.0
    db.save_day(fig, "Europe/Berlin", written=20.0)
    days = db.saved_days()
    assert len(days) == 1
    assert days[0] == {**fig.as_dict(), "tz": "Europe/Berlin", "written": 20.0}
    assert db.saved_days("replay:other") == []


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


# ------------------------------------------------------------ crashes


def test_checkpointed_session_survives_a_killed_daemon(sitbreak_home: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal
        from sitbreak.storage.store import Store
        s = Store.open()
        s.session_started(1000.0)
        s.checkpoint(1000.0, 1060.0)
        s.checkpoint(1000.0, 1120.0)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert proc.returncode == -9
    # A reader beside a (possibly live) daemon leaves the open session alone...
    with Store.open(recover=False) as reader:
        assert raw(reader, "SELECT open, cause FROM sessions") == [(1, None)]
    # ...the daemon's next start closes it where the last checkpoint left it.
    with Store.open() as s:
        assert raw(s, 'SELECT start, "end", cause, open FROM sessions') == [
            (1000.0, 1120.0, "crash", 0)
        ]
        assert s.sessions_between(0, 5000) == [SessionEnded(1120.0, 1000.0, 1120.0, Cause.SHUTDOWN)]
        s.session_started(2000.0)  # the new daemon's own session is not "recovered"
    with Store.open(recover=False) as s:
        assert raw(s, "SELECT start, open FROM sessions ORDER BY start") == [
            (1000.0, 0),
            (2000.0, 1),
        ]


def test_a_live_session_wrongly_recovered_by_another_store_is_repaired(db: Store) -> None:
    db.session_started(1000.0)
    db.checkpoint(1000.0, 1060.0)
    Store.open().close()  # e.g. a replay recording that forgot recover=False
    assert raw(db, "SELECT open, cause FROM sessions") == [(0, "crash")]
    db.checkpoint(1000.0, 1120.0)
    assert raw(db, 'SELECT "end", open, cause FROM sessions') == [(1120.0, 1, None)]
    Store.open().close()
    db.session_ended(SessionEnded(1700.0, 1000.0, 1180.0, Cause.IDLE))
    assert db.sessions_between(0, 2000) == [SessionEnded(1700.0, 1000.0, 1180.0, Cause.IDLE)]


def test_a_crashed_session_keeps_its_checkpointed_time_in_the_day() -> None:
    start = at(DAY, "09:00")
    with Store.open() as s:
        s.session_started(start)
        s.checkpoint(start, start + 1200)
    with Store.open() as s:  # closed without session_ended: a crash
        fig = s.day_figures(DAY, TZ)
    assert (fig.sessions, fig.sitting_s) == (1, 1200.0)


def test_only_the_session_going_on_is_open() -> None:
    """What a report needs to say "still going" rather than an end it never had."""
    nine = at(DAY, "09:00")
    with Store.open() as s:
        s.session_started(nine)
        s.session_ended(SessionEnded(nine + 3000, nine, nine + 2500, Cause.LOCK))
        s.session_started(nine + 3100)
        s.checkpoint(nine + 3100, nine + 3160)
        s.flush()
        assert s.open_session_starts() == {nine + 3100}
        assert s.open_session_starts("replay:sample") == set()
    with Store.open() as s:  # the daemon restarted after a crash: nothing is going on
        assert s.open_session_starts() == set()


# ------------------------------------------------------- daily figures


def test_day_figures_equal_the_ledger_over_the_same_outputs(db: Store) -> None:
    outputs = drive_daemon(db, scenario())
    expected = ledger_days(outputs)
    # The scenario must exercise what it is meant to.
    assert DAY + dt.timedelta(days=1) in expected
    assert sum(int(str(d["prompts_heeded"])) for d in expected.values()) >= 2
    assert any(isinstance(o, SessionEnded) and o.cause is Cause.LOCK for o in outputs), (
        "no locked break"
    )
    crossing = [
        o
        for o in outputs
        if isinstance(o, SessionEnded)
        and dt.datetime.fromtimestamp(o.start, TZ).date()
        != dt.datetime.fromtimestamp(o.end, TZ).date()
    ]
    assert crossing, "no session across midnight"
    for date, figures in expected.items():
        assert db.day_figures(date, TZ, settings=SETTINGS).as_dict() == figures
    empty = db.day_figures(DAY - dt.timedelta(days=1), TZ)
    assert (empty.date, empty.sessions, empty.sitting_s) == (DAY - dt.timedelta(days=1), 0, 0.0)


def test_a_range_of_days_has_the_same_figures_as_each_day_alone(db: Store) -> None:
    drive_daemon(db, scenario())
    first, last = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    together = db.figures_between(first, last, TZ, settings=SETTINGS)
    assert [f.date for f in together] == [first + dt.timedelta(days=i) for i in range(4)]
    for fig in together:
        assert fig.as_dict() == db.day_figures(fig.date, TZ, settings=SETTINGS).as_dict()


def test_what_people_did_with_prompts_is_counted_per_day(db: Store) -> None:
    outputs = drive_daemon(db, scenario())
    prompts = [o for o in outputs if isinstance(o, PromptDue)]
    outcomes = ["heeded", "snoozed", "snoozed", "skipped", "ignored"]
    for p, outcome in zip(prompts, outcomes, strict=False):
        db.set_prompt_outcome(p.t, p.kind, outcome)
    db.flush()
    days = db.figures_between(DAY, DAY + dt.timedelta(days=1), TZ, settings=SETTINGS)
    counted = [
        (d.prompts_acted, d.prompts_snoozed, d.prompts_skipped, d.prompts_ignored) for d in days
    ]
    expected = {"heeded": 0, "snoozed": 0, "skipped": 0, "ignored": 0}
    for outcome in outcomes[: len(prompts)]:
        expected[outcome] += 1
    assert tuple(map(sum, zip(*counted, strict=True))) == tuple(expected.values())


MIDNIGHT = at(DAY, "00:00")
FRIDAY, MONDAY = dt.date(2024, 3, 8), dt.date(2024, 3, 11)


@pytest.mark.parametrize(
    ("prompt_t", "ended"),
    [
        # Got up just before the prompt appeared (the ledger's slack).
        pytest.param(
            at(DAY, "10:30"),
            SessionEnded(at(DAY, "10:39"), at(DAY, "10:00"), at(DAY, "10:30") - 10, Cause.IDLE),
            id="slack",
        ),
        # The same, across midnight: the session's end is on the day before.
        pytest.param(
            MIDNIGHT + 10,
            SessionEnded(MIDNIGHT + 500, MIDNIGHT - 1800, MIDNIGHT - 10, Cause.IDLE),
            id="slack-at-midnight",
        ),
        # A laptop shut on Friday night and opened on Monday.
        pytest.param(
            at(FRIDAY, "23:55"),
            SessionEnded(
                at(MONDAY, "08:00"), at(FRIDAY, "23:25"), at(FRIDAY, "23:56"), Cause.SUSPEND
            ),
            id="noticed-days-later",
        ),
    ],
)
def test_heeded_prompts_are_judged_as_the_ledger_judges_them(
    db: Store, prompt_t: float, ended: SessionEnded
) -> None:
    prompt = PromptDue(prompt_t, PromptKind.MOVE, 1, 1800.0)
    db.prompt_sent(prompt)
    db.session_ended(ended)
    expected = ledger_days([prompt, ended])
    assert expected[dt.datetime.fromtimestamp(prompt_t, TZ).date()]["prompts_heeded"] == 1
    for date, figures in expected.items():
        assert db.day_figures(date, TZ).as_dict() == figures


def test_day_figures_follow_local_midnight_across_dst(db: Store) -> None:
    # 2024-03-31 is 23 hours long in Berlin; sit from 23:30 to 01:30 local time around it.
    tz = TZ
    start = at(dt.date(2024, 3, 30), "23:30")
    ended = SessionEnded(start + 2 * 3600 + 600, start, start + 2 * 3600, Cause.IDLE)
    db.session_ended(ended)
    first = db.day_figures(dt.date(2024, 3, 30), tz)
    second = db.day_figures(dt.date(2024, 3, 31), tz)
    assert (first.sitting_s, second.sitting_s) == (1800.0, 5400.0)
    assert first.as_dict() == ledger_days([ended])[dt.date(2024, 3, 30)]


def test_the_live_session_stands_in_for_its_last_checkpoint(db: Store) -> None:
    start = at(DAY, "09:00")
    db.session_ended(SessionEnded(start - 1000, start - 4000, start - 1500, Cause.IDLE))
    db.session_started(start)
    db.checkpoint(start, start + 60)
    live = SessionEnded(start + 900, start, start + 900, Cause.SHUTDOWN)
    fig = db.day_figures(DAY, TZ, live=live)
    assert (fig.sessions, fig.sitting_s, fig.last_seen) == (2, 3400.0, start + 900)
    assert db.day_figures(DAY, TZ).sitting_s == 2500.0 + 60.0  # without it: the checkpoint


# ------------------------------------------------------------- replays


def test_record_replay_stores_it_and_rerecording_replaces_it(db: Store) -> None:
    events = scenario()
    full = replay_events(events, SETTINGS, TZ)
    assert full.sessions and full.breaks and full.prompts
    db.session_ended(SessionEnded(50.0, 10.0, 40.0, Cause.IDLE))  # the daemon's own data
    db.record_replay(replay_events(events[:10], SETTINGS, TZ), "replay:other.jsonl")

    db.record_replay(full, "replay:t.jsonl")
    src = "replay:t.jsonl"
    assert db.sessions_between(0, 1e10, src) == full.sessions
    assert db.breaks_between(0, 1e10, src) == full.breaks
    assert db.prompts_between(0, 1e10, src) == full.prompts
    saved = db.saved_days(src)
    assert [{k: v for k, v in d.items() if k not in ("tz", "written")} for d in saved] == [
        d.as_dict() for d in full.days
    ]
    assert {d["tz"] for d in saved} == {"Europe/Berlin"}
    for fig in full.days:
        assert db.day_figures(fig.date, TZ, src, SETTINGS).as_dict() == fig.as_dict()

    first_day = [e for e in events if e.t < at(DAY, "12:00")]
    short = replay_events(first_day, SETTINGS, TZ)
    db.record_replay(short, src)
    assert db.sessions_between(0, 1e10, src) == short.sessions
    assert db.prompts_between(0, 1e10, src) == short.prompts
    assert len(db.saved_days(src)) == len(short.days) == 1
    # Other sources are untouched.
    assert db.sessions_between(0, 100) == [SessionEnded(50.0, 10.0, 40.0, Cause.IDLE)]
    assert len(db.sessions_between(0, 1e10, "replay:other.jsonl")) == 1


def test_a_replay_cannot_overwrite_the_daemons_data(db: Store) -> None:
    with pytest.raises(ValueError, match="daemon"):
        db.record_replay(ReplayResult(TZ), "daemon")


def test_record_replay_raises_when_it_cannot_write(db: Store, locker: sqlite3.Connection) -> None:
    with pytest.raises(StorageError, match="cannot record the replay"):
        db.record_replay(replay_events(scenario()[:5], SETTINGS, TZ), "replay:x")


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


# ---------------------------------------------------------- summaries


def test_append_summary_writes_json_lines(db: Store) -> None:
    drive_daemon(db, scenario())
    fig = db.day_figures(DAY, TZ)
    assert append_summary(fig, "Europe/Berlin")
    assert append_summary(db.day_figures(DAY + dt.timedelta(days=1), TZ), "Europe/Berlin")
    lines = summaries_log_path().read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {"tz": "Europe/Berlin", **fig.as_dict()}


def test_append_summary_tolerates_io_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "summaries.jsonl"
    target.mkdir()  # a directory where the file should be
    assert not append_summary(DayFigures(DAY), "UTC", target)
    assert any("cannot append" in r.getMessage() for r in caplog.records)


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
