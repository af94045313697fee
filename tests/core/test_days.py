"""Daily figures: local days, midnight, DST, and what counts as heeded."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sitbreak.core import (
    BreakTaken,
    Cause,
    DayLedger,
    PromptDue,
    PromptKind,
    SessionEnded,
    split_at_midnight,
)

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
HOUR = 3600.0


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    return dt.datetime(y, mo, d, h, mi, tzinfo=BERLIN).timestamp()


def session(start: float, end: float, cause: Cause = Cause.IDLE) -> SessionEnded:
    return SessionEnded(end, start, end, cause)


def test_sitting_sessions_longest_and_over_limit_per_day() -> None:
    ledger = DayLedger(BERLIN, limit_s=30 * MIN)
    nine = at(2026, 11, 2, 9)
    ledger.extend([session(nine, nine + 25 * MIN), session(nine + 40 * MIN, nine + 95 * MIN)])
    ledger.add(BreakTaken(nine + 40 * MIN, nine + 25 * MIN, nine + 40 * MIN, Cause.IDLE))
    (day,) = ledger.days()
    assert day.date == dt.date(2026, 11, 2)
    assert day.sitting_s == 80 * MIN
    assert (day.sessions, day.longest_session_s, day.sessions_over_limit) == (2, 55 * MIN, 1)
    assert (day.breaks, day.break_s) == (1, 15 * MIN)
    assert day.first_seen == nine
    assert day.last_seen == nine + 95 * MIN


def test_a_session_across_midnight_is_split_between_the_two_days() -> None:
    ledger = DayLedger(BERLIN)
    ledger.add(session(at(2026, 11, 2, 23, 30), at(2026, 11, 3, 0, 45)))
    mon, tue = ledger.days()
    assert (mon.date, mon.sitting_s, mon.sessions) == (dt.date(2026, 11, 2), 30 * MIN, 1)
    assert (tue.date, tue.sitting_s, tue.sessions) == (dt.date(2026, 11, 3), 45 * MIN, 1)
    assert mon.longest_session_s == 30 * MIN


def test_the_spring_dst_day_has_23_hours_and_the_autumn_day_25() -> None:
    spring = split_at_midnight(at(2026, 3, 29, 0), at(2026, 3, 30, 0), BERLIN)
    autumn = split_at_midnight(at(2026, 10, 25, 0), at(2026, 10, 26, 0), BERLIN)
    assert [(d.isoformat(), e - s) for d, s, e in spring] == [("2026-03-29", 23 * HOUR)]
    assert [(d.isoformat(), e - s) for d, s, e in autumn] == [("2026-10-25", 25 * HOUR)]


def test_sitting_through_the_autumn_change_counts_the_extra_hour() -> None:
    ledger = DayLedger(BERLIN)
    # 01:30 to 03:30 local on 25 October 2026 is three real hours.
    ledger.add(session(at(2026, 10, 25, 1, 30), at(2026, 10, 25, 3, 30)))
    (day,) = ledger.days()
    assert day.sitting_s == 3 * HOUR


def test_a_move_prompt_is_heeded_when_a_break_begins_within_ten_minutes() -> None:
    ledger = DayLedger(BERLIN)
    nine = at(2026, 11, 2, 9)
    heeded = PromptDue(nine + 30 * MIN, PromptKind.MOVE, 1, 30 * MIN)
    ignored = PromptDue(nine + 70 * MIN, PromptKind.MOVE, 1, 10 * MIN)
    posture = PromptDue(nine + 20 * MIN, PromptKind.POSTURE, 1, 20 * MIN)
    ledger.extend([posture, heeded, session(nine, nine + 36 * MIN)])
    ledger.extend([ignored, session(nine + 60 * MIN, nine + 95 * MIN)])
    (day,) = ledger.days()
    assert (day.prompts, day.prompts_heeded) == (3, 1)
    assert day.prompts_by_kind == {"move": 2, "posture": 1}


def test_getting_up_the_moment_the_prompt_appears_counts_as_heeded() -> None:
    # The session is back-dated to the last input, a few seconds before the prompt.
    ledger = DayLedger(BERLIN)
    nine = at(2026, 11, 2, 9)
    ledger.add(PromptDue(nine + 30 * MIN, PromptKind.MOVE, 1, 30 * MIN))
    ledger.add(session(nine, nine + 30 * MIN - 5))
    assert ledger.days()[0].prompts_heeded == 1


def test_a_session_closed_by_shutdown_heeds_nothing() -> None:
    ledger = DayLedger(BERLIN)
    nine = at(2026, 11, 2, 9)
    ledger.add(PromptDue(nine + 30 * MIN, PromptKind.MOVE, 1, 30 * MIN))
    ledger.add(session(nine, nine + 32 * MIN, Cause.SHUTDOWN))
    assert ledger.days()[0].prompts_heeded == 0
