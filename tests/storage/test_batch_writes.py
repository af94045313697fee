"""Recording a replay: stored under its own source, replaced whole, never over the
daemon's data, and an error when it cannot be written."""

from __future__ import annotations

import sqlite3

import pytest

from sitbreak.core import Cause, SessionEnded
from sitbreak.core.run import ReplayResult, replay_events
from sitbreak.errors import StorageError
from sitbreak.storage.store import Store
from store_scenario import DAY, SETTINGS, TZ, at, scenario


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
