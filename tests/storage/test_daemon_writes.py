"""Scenario tests of the daemon's writes: the rows they become, and sessions that survive
a killed daemon."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sitbreak.core import BreakTaken, Cause, PromptDue, PromptKind, SessionEnded
from sitbreak.storage.store import Store
from store_scenario import DAY, SRC, TZ, at, raw

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
