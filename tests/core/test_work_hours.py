"""Work days and hours: outside them prompts wait, exactly as in quiet hours.

Each test drives the pure engine through a `Desk` (a person at a desk and
the engine watching them, minute by minute), as in test_core_engine.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from desk import BERLIN, MIN, Desk
from sitbreak.core import (
    CallStart,
    EngineSettings,
    PromptKind,
    QuietRange,
    SessionEnded,
)

HOUR = 60 * MIN
MON_TO_FRI = frozenset(range(5))


def at(day: int, hh_mm: str) -> float:
    """Epoch seconds of a local Berlin time in the week of Monday 2 November 2026."""
    h, m = (int(x) for x in hh_mm.split(":"))
    return dt.datetime(2026, 11, 2 + day, h, m, tzinfo=BERLIN).timestamp()


MONDAY, SATURDAY, FRIDAY = 0, 5, 4


def settings(**changes: object) -> EngineSettings:
    base = dataclasses.replace(
        EngineSettings(), enabled=frozenset({PromptKind.MOVE, PromptKind.POSTURE})
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_before_work_hours_prompts_wait_and_the_relevant_one_comes_when_work_begins() -> None:
    desk = Desk(settings(work_hours=(QuietRange(10 * 60, 18 * 60),)), start=at(MONDAY, "09:00"))
    desk.work(75 * MIN)
    # Posture (09:20) and move (09:30) fell due before work: the move prompt,
    # the more important, is shown at 10:00, then every 10 minutes as usual.
    assert desk.shown() == [("move", "Mon 10:00"), ("move", "Mon 10:10")]
    assert [p.level for p in desk.prompts()] == [1, 2]


def test_a_prompt_held_before_work_is_dropped_when_a_break_came_first() -> None:
    desk = Desk(settings(work_hours=(QuietRange(10 * 60, 18 * 60),)), start=at(MONDAY, "09:00"))
    desk.work(35 * MIN)
    desk.wait(30 * MIN)  # got up at 09:35: that was a break
    desk.work(10 * MIN)  # back at 10:05, a new session
    assert [o for o in desk.out if isinstance(o, SessionEnded)] != []
    assert desk.prompts() == []


def test_after_work_hours_no_prompts_however_long_one_sits() -> None:
    desk = Desk(settings(work_hours=(QuietRange(9 * 60, 17 * 60),)), start=at(MONDAY, "16:45"))
    desk.work(3 * HOUR)
    assert desk.prompts() == []


def test_no_prompts_on_a_day_off_and_the_usual_ones_on_a_work_day() -> None:
    desk = Desk(settings(work_days=MON_TO_FRI), start=at(SATURDAY, "10:00"))
    desk.work(2 * HOUR)
    assert desk.prompts() == []
    desk.now = at(MONDAY + 7, "09:00")
    desk.work(35 * MIN)
    assert desk.shown() == [("posture", "Mon 09:20"), ("move", "Mon 09:30")]


def test_the_engine_wakes_itself_when_work_time_begins() -> None:
    # In a call nobody types, so only the engine's own deadline can deliver
    # the held prompt at 09:00: the daemon sleeps until next_deadline().
    desk = Desk(settings(work_hours=(QuietRange(9 * 60, 17 * 60),)), start=at(MONDAY, "08:00"))
    desk.work(MIN)
    desk.out.extend(desk.engine.handle(CallStart(desk.now)))
    desk.wait(61 * MIN)
    assert desk.shown()[0] == ("move", "Mon 09:00")


def test_a_whole_work_day_begins_at_midnight() -> None:
    desk = Desk(settings(work_days=frozenset({MONDAY})), start=at(MONDAY - 1, "23:00"))
    desk.work(MIN)
    desk.out.extend(desk.engine.handle(CallStart(desk.now)))
    desk.wait(90 * MIN)
    assert desk.shown()[0] == ("move", "Mon 00:00")


def test_a_night_shift_past_midnight_belongs_to_the_day_it_starts() -> None:
    night = settings(work_days=frozenset({FRIDAY}), work_hours=(QuietRange(22 * 60, 6 * 60),))
    friday = Desk(night, start=at(FRIDAY, "23:30"))
    friday.work(2 * HOUR)
    # Friday's shift runs into Saturday morning: prompts as usual.
    assert ("move", "Sat 00:00") in friday.shown()
    saturday = Desk(night, start=at(SATURDAY, "23:30"))
    saturday.work(2 * HOUR)
    # Saturday is no work day, and Sunday 00:00-01:30 is no Friday shift.
    assert saturday.prompts() == []


def test_quiet_hours_at_the_start_of_work_push_prompts_to_their_end() -> None:
    desk = Desk(
        settings(
            work_hours=(QuietRange(9 * 60, 17 * 60),),
            quiet_hours=(QuietRange(9 * 60, 9 * 60 + 30),),
        ),
        start=at(MONDAY, "08:00"),
    )
    desk.work(MIN)
    desk.out.extend(desk.engine.handle(CallStart(desk.now)))
    desk.wait(2 * HOUR)
    assert desk.shown()[0] == ("move", "Mon 09:30")


def test_work_time_only_delays_prompts_it_never_changes_sitting() -> None:
    plain = Desk(settings(), start=at(SATURDAY, "10:00"))
    off = Desk(settings(work_days=MON_TO_FRI), start=at(SATURDAY, "10:00"))
    for desk in (plain, off):
        desk.work(50 * MIN)
        desk.wait(20 * MIN)
    ended = [[o for o in d.out if isinstance(o, SessionEnded)] for d in (plain, off)]
    assert ended[0] == ended[1] != []
    assert plain.prompts() != [] and off.prompts() == []


def test_without_limits_the_settings_say_so() -> None:
    assert not EngineSettings().limits_work_time
    assert settings(work_days=MON_TO_FRI).limits_work_time
    assert settings(work_hours=(QuietRange(0, 24 * 60),)).limits_work_time
