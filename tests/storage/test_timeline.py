"""The activity timeline: the daemon keeps what its engine was fed, and a
replay of it, from the store or from an exported trace, gives the very
figures the daemon stored.

Each scenario is a stretch of someone's day run through the real daemon loop
(tests/office.py: a hand-moved clock, a scripted activity source, the real
store and engine).
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from office import BERLIN, ENGINE_FIELDS, MIN, MONDAY, NINE, Office
from sitbreak.config import load_config
from sitbreak.core import (
    Activity,
    DayFigures,
    Lock,
    Pause,
    Snooze,
    Unlock,
    replay_events,
)
from sitbreak.core.pauses import PauseModel
from sitbreak.core.run import ReplayResult, Stopped
from sitbreak.report.whatif import pause_model
from sitbreak.storage import timeline
from sitbreak.storage.store import Store
from sitbreak.storage.timeline import (
    INPUT,
    LOCK,
    STARTED,
    STOPPED,
    Recorder,
    Row,
    day_bounds_ms,
    events_from_rows,
    recorded_rows,
    recorded_state,
    recorded_states,
    replay_step_ms,
)
from sitbreak.storage.trace import open_trace, write_trace


def engine_figures(days: list[DayFigures]) -> list[dict[str, object]]:
    """What the engine decided each day (days with nothing in them left out)."""
    return [
        {k: v for k, v in d.as_dict().items() if k in ENGINE_FIELDS}
        for d in days
        if d.sessions or d.prompts or d.breaks
    ]


def what_happened(result: ReplayResult | Store, lo: float, hi: float) -> dict[str, list]:
    """The sessions, breaks and prompts (with their times) between `lo` and `hi`."""
    if isinstance(result, Store):
        sessions = result.sessions_between(lo, hi)
        breaks, prompts = result.breaks_between(lo, hi), result.prompts_between(lo, hi)
    else:
        sessions, breaks, prompts = result.sessions, result.breaks, result.prompts
    return {
        "sessions": [(s.start, s.end, s.cause.value) for s in sessions if lo <= s.start < hi],
        "breaks": [(b.start, b.end, b.cause.value) for b in breaks if lo <= b.start < hi],
        "prompts": [(p.t, p.kind.value, p.level) for p in prompts if lo <= p.t < hi],
    }


def stored(office: Office, first: dt.date = MONDAY, last: dt.date = MONDAY) -> list[dict]:
    with Store.open(office.db, recover=False) as store:
        figures = engine_figures(
            store.figures_between(first, last, BERLIN, settings=office.config.engine)
        )
        return [*figures, what_happened(store, *bounds(first, last))]


def bounds(first: dt.date, last: dt.date) -> tuple[float, float]:
    lo, hi = day_bounds_ms(first, last, BERLIN)
    return lo / 1000, hi / 1000


def replayed_from_store(
    office: Office, first: dt.date = MONDAY, last: dt.date = MONDAY, *, kept_state: bool = True
) -> list[dict]:
    settings = office.config.engine
    with Store.open(office.db, recover=False) as store:
        rows = recorded_rows(store, first, last, BERLIN)
        state = recorded_state(store, rows) if kept_state else None
        states = recorded_states(store, rows) if kept_state else None
    events = events_from_rows(rows, replay_step_ms(settings), states)
    result = replay_events(events, settings, BERLIN, pause_model(state, settings))
    figures = engine_figures([d for d in result.days if first <= d.date <= last])
    return [*figures, what_happened(result, *bounds(first, last))]


def replayed_from_trace(office: Office, path: Path) -> list[dict]:
    with Store.open(office.db, recover=False) as store:
        rows = store.timeline_rows()
    write_trace(path, events_from_rows(rows, replay_step_ms(office.config.engine)), "Europe/Berlin")
    warnings: list[str] = []
    with open_trace(path, warn=warnings.append) as trace:
        result = replay_events(trace, office.config.engine, BERLIN)
    assert warnings == []
    return [*engine_figures(result.days), what_happened(result, -math.inf, math.inf)]


def a_full_day(office: Office) -> None:
    office.sit(25 * MIN, every=3)  # a posture prompt
    office.sit(12 * MIN, every=7)  # a movement prompt at 30 minutes
    office.away(10 * MIN)  # a break
    office.sit(4 * MIN)
    office.send(Lock(office.clock.now()))
    office.away(3 * MIN)
    office.send(Unlock(office.clock.now()))
    office.sit(5 * MIN, every=2)
    office.call = True
    office.sit(1 * MIN)
    office.away(25 * MIN)  # still in the call: sitting
    office.call = False
    office.sit(10 * MIN, every=4)
    office.ask("snooze", 15 * MIN)
    office.sit(20 * MIN, every=9)
    office.ask("pause", 30 * MIN)
    office.sit(35 * MIN)
    office.quiet.on = True
    office.sit(12 * MIN)
    office.quiet.on = False
    office.sit(3 * MIN)
    office.sleep(40 * MIN)  # lunch with the lid closed
    office.sit(20 * MIN, every=12)  # reading: input now and then
    office.video = True
    office.away(20 * MIN)
    office.video = False
    office.sit(15 * MIN, every=5)
    office.ask("pause")
    office.sit(5 * MIN)
    office.ask("resume")
    office.sit(50 * MIN, every=2)
    office.away(15 * MIN)


def test_a_recorded_day_replays_to_the_stored_figures(tmp_path: Path) -> None:
    office = Office(tmp_path)
    a_full_day(office)
    office.stop()

    figures = stored(office)
    assert figures[0]["sessions"] >= 3
    assert figures[0]["prompts"] >= 4
    assert replayed_from_store(office) == figures
    assert replayed_from_trace(office, tmp_path / "day.jsonl.gz") == figures


def test_a_restart_mid_day_replays_as_two_runs_of_the_daemon(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(20 * MIN)
    office.stop()  # logged out for lunch
    office.clock.advance(45 * MIN)
    office.start()
    office.sit(40 * MIN, every=4)
    office.away(20 * MIN)
    office.stop()

    figures = stored(office)
    assert figures[0]["sessions"] == 2
    assert replayed_from_store(office) == figures
    assert replayed_from_trace(office, tmp_path / "day.jsonl") == figures


def test_a_week_replays_day_by_day_and_as_a_whole(tmp_path: Path) -> None:
    office = Office(tmp_path)
    for day in range(3):
        a_full_day(office)
        office.clock.advance(NINE + (day + 1) * 86400 - office.clock.now())
        office.daemon.step()  # type: ignore[union-attr]
    office.stop()
    last = MONDAY + dt.timedelta(days=2)
    week = stored(office, MONDAY, last)
    assert [d["sessions"] for d in week[:3]] == [week[0]["sessions"]] * 3
    assert replayed_from_store(office, MONDAY, last) == week
    for i in range(3):
        day = MONDAY + dt.timedelta(days=i)
        assert replayed_from_store(office, day, day) == stored(office, day, day)


def test_a_day_replays_from_what_the_pause_model_had_learned_when_the_daemon_started(
    tmp_path: Path,
) -> None:
    office = Office(tmp_path)
    office.stop()
    # Weeks of someone whose breaks are short and whose seated pauses shorter:
    # the learned threshold is well under the default 8m30s.
    model = PauseModel(office.config.engine.break_idle)
    for i in range(2500):
        model.observe_gap(60.0 + (i % 9) * 20)
        if i % 4 == 0:
            model.observe_break(6 * MIN + (i % 5) * 60)
    assert model.threshold < 7 * MIN
    with Store.open(office.db) as store:
        store.save_learned("pauses", model.to_dict())
    office.clock.advance(86400)
    office.start()  # the daemon loads what was learned
    assert office.daemon is not None and office.daemon.engine.pauses is not None
    for _ in range(5):
        office.sit(25 * MIN, every=3)
        office.away(7.5 * MIN)  # a break to this person, a pause by the default
    office.stop()

    tuesday = MONDAY + dt.timedelta(days=1)
    figures = stored(office, tuesday, tuesday)
    assert figures[0]["breaks"] >= 1  # none at the default 8m30s
    assert replayed_from_store(office, tuesday, tuesday) == figures
    # Without what the model knew at the start, the replay would be another day.
    assert replayed_from_store(office, tuesday, tuesday, kept_state=False) != figures


# ------------------------------------------------------------- property


#: What a person can do in one stretch of a day.
_ACTIONS = st.one_of(
    st.tuples(st.just("sit"), st.integers(5, 3000), st.sampled_from([1, 2, 4, 6, 9, 13, 31])),
    st.tuples(st.just("away"), st.integers(1, 1500), st.just(0)),
    st.tuples(st.just("lock"), st.integers(1, 400), st.sampled_from([0, 1])),
    st.tuples(st.just("sleep"), st.integers(5, 4000), st.just(0)),
    st.tuples(st.just("call"), st.integers(5, 3000), st.just(0)),
    st.tuples(st.just("video"), st.integers(5, 3000), st.just(0)),
    st.tuples(st.just("quiet"), st.integers(5, 900), st.just(0)),
    st.tuples(st.just("snooze"), st.integers(60, 1800), st.just(0)),
    st.tuples(st.just("pause"), st.integers(0, 1800), st.just(0)),
    st.tuples(st.just("restart"), st.integers(0, 900), st.just(0)),
)


def act(office: Office, what: str, seconds: int, arg: int) -> None:
    if what == "sit":
        office.sit(seconds, every=arg)
    elif what == "away":
        office.away(seconds)
    elif what == "lock":
        office.send(Lock(office.clock.now()))
        if arg:  # typing the password on the lock screen
            office.sit(min(seconds, 90), every=2)
        else:
            office.away(seconds)
        office.send(Unlock(office.clock.now()))
    elif what == "sleep":
        office.sleep(seconds)
    elif what in ("call", "video", "quiet"):
        if what == "quiet":
            office.quiet.on = True
        else:
            setattr(office, what, True)
        office.sit(seconds, every=40)
        office.quiet.on = office.call = office.video = False
    elif what == "snooze":
        office.ask("snooze", seconds)
    elif what == "pause":
        office.ask("pause", seconds or None)
        if not seconds:
            office.sit(120, every=3)
            office.ask("resume")
    else:
        office.stop()
        office.clock.advance(seconds)
        office.start()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize(
    "config_text",
    [
        '[session]\nbreak_idle = "5m"\n[prompts]\nhold_after_idle = "20s"\n',  # fixed
        '[prompts]\nhold_after_idle = "20s"\n',  # break_idle learned by the pause model
    ],
    ids=["break_idle set", "break_idle learned"],
)
@given(st.lists(_ACTIONS, min_size=1, max_size=14))
def test_any_recorded_timeline_exports_to_a_trace_that_replays_to_the_stored_figures(
    tmp_path_factory: pytest.TempPathFactory, config_text: str, script: list[tuple[str, int, int]]
) -> None:
    tmp = tmp_path_factory.mktemp("office")
    office = Office(tmp, config_text)
    for what, seconds, arg in script:
        act(office, what, seconds, arg)
    office.stop()
    last = dt.datetime.fromtimestamp(office.clock.now(), BERLIN).date()
    figures = stored(office, MONDAY, last)
    assert replayed_from_trace(office, tmp / "trace.jsonl.gz") == figures
    assert replayed_from_store(office, MONDAY, last) == figures


# -------------------------------------------------------------- recorder


class Rows:
    def __init__(self) -> None:
        self.written: list[Row] = []

    def timeline_write(self, source: str, rows: list[Row]) -> None:
        self.written.extend(rows)

    def timeline_extent(self, source: str = "daemon") -> tuple[int, int] | None:
        return None


def test_input_is_kept_as_spans_and_a_lock_splits_them() -> None:
    out = Rows()
    rec = Recorder(out, load_config().engine)
    t = NINE
    for k in range(10):  # every 5 s for 45 s: one span
        rec.admit(Activity(t + 5 * k))
    rec.admit(Activity(t + 70))  # 25 s later: a new span
    rec.admit(Lock(t + 71))
    rec.admit(Activity(t + 72), away=True)  # typing the password: one row each
    rec.admit(Activity(t + 73), away=True)
    rec.admit(Unlock(t + 74))
    rec.flush()
    ms = round(t * 1000)
    assert out.written == [
        Row(ms, INPUT, 45_000),
        Row(ms + 70_000, INPUT, 0),
        Row(ms + 71_000, LOCK),
        Row(ms + 72_000, INPUT, 0),
        Row(ms + 73_000, INPUT, 0),
        Row(ms + 74_000, timeline.UNLOCK),
    ]


def test_the_engine_sees_whole_milliseconds_in_order_and_one_row_per_millisecond() -> None:
    out = Rows()
    rec = Recorder(out, load_config().engine)
    assert rec.admit(Activity(100.0004)) == Activity(100.0)
    assert rec.admit(Lock(99.0)) == Lock(100.001)  # late: happens now, after the input
    assert rec.admit(Pause(100.0, 160.0004)) == Pause(100.002, 160.0)
    assert rec.admit(Snooze(100.5, 600.0)) == Snooze(100.5, 600.0)
    rec.flush()
    assert [r.t_ms for r in out.written] == [100_000, 100_001, 100_002, 100_500]


def test_spans_merge_only_across_gaps_shorter_than_any_threshold() -> None:
    fast = load_config().engine
    out = Rows()
    rec = Recorder(out, fast.__class__(break_idle=300.0, hold_after_idle=4.0))
    for t in (0.0, 3.0, 6.0, 10.5, 14.0):
        rec.admit(Activity(1000 + t))
    rec.flush()
    assert [(r.t_ms - 1_000_000, r.arg) for r in out.written] == [(0, 6000), (10_500, 3500)]


def test_a_crash_loses_at_most_the_last_checkpoint_of_the_open_span(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(10 * MIN)
    # The process dies: no shutdown, nothing flushed after the last checkpoint.
    office.store._pending.clear()
    with sqlite3.connect(office.db) as conn:
        (span,) = conn.execute("SELECT t, kind, arg FROM timeline WHERE kind = 0").fetchall()
    assert span[1] == INPUT
    assert 10 * MIN - 65_000 / 1000 <= span[2] / 1000 <= 10 * MIN


def test_a_locked_database_keeps_the_timeline_pending_until_it_can_write(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.store._busy_timeout_ms = 50
    office.store._retry_interval_s = 0.0
    blocker = sqlite3.connect(office.db, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    office.store.flush()  # the marker cannot be written now
    office.sit(3 * MIN)
    assert not office.store.healthy
    assert office.store.pending_count > 0
    blocker.rollback()
    blocker.close()
    office.sit(2 * MIN)
    office.stop()
    with Store.open(office.db, recover=False) as store:
        rows = store.timeline_rows()
    assert [r.kind for r in rows] == [STARTED, INPUT, STOPPED]
    assert rows[1].arg == (5 * MIN - 5) * 1000  # input from the first heartbeat to the last


def test_the_timeline_is_pruned_after_history_keep(tmp_path: Path) -> None:
    office = Office(tmp_path, '[history]\nkeep = "2d"\n')
    office.sit(5 * MIN)
    for _ in range(4):  # four days pass with the daemon running
        office.clock.advance(86400)
        office.sit(5 * MIN)
    office.stop()
    with Store.open(office.db, recover=False) as store:
        rows = store.timeline_rows()
    # Pruned when the daemon noticed the last new day, on the first turn after
    # the clock jumped (5 minutes before the end): what is older than two days
    # before that is gone.
    cut = office.clock.now() - 5 * MIN - 2 * 86400
    spans = [r.t_ms / 1000 for r in rows if r.kind == INPUT]
    assert all(r.t_ms / 1000 >= cut for r in rows)
    assert len(spans) == 2  # the fourth day and the fifth; the third began before the cut


def test_a_stop_with_no_run_before_it_replays_as_nothing() -> None:
    rows = [Row(1000, STARTED), Row(2000, STOPPED), Row(3000, STARTED), Row(4000, INPUT, 0)]
    assert list(events_from_rows(rows, 5000)) == [Activity(4.0)]
    rows = [Row(1000, INPUT, 0), Row(3000, STARTED), Row(4000, INPUT, 0)]
    assert list(events_from_rows(rows, 5000)) == [Activity(1.0), Stopped(1.0), Activity(4.0)]
