"""The engine, scenario by scenario: a person at a desk, minute by minute.

Each test drives the pure engine through a `Desk`, which keeps the clock
(`desk.now`) and what came out, the way the daemon would.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from desk import BERLIN, MIN, MONDAY_9AM, Desk
from sitbreak.core import (
    BreakNow,
    BreakTaken,
    CallEnd,
    CallStart,
    Cause,
    DesktopBusy,
    EngineSettings,
    Lock,
    Output,
    Pause,
    PromptKind,
    PromptWithdrawn,
    QuietRange,
    Resume,
    SessionEnded,
    SessionStarted,
    Snooze,
    State,
    Suspend,
    Tick,
    Unlock,
    Unpause,
    WatchEnd,
    WatchStart,
)


def only_move_and_posture() -> EngineSettings:
    return dataclasses.replace(
        EngineSettings(), enabled=frozenset({PromptKind.MOVE, PromptKind.POSTURE})
    )


# ------------------------------------------------------------- sessions


def test_first_input_starts_a_session() -> None:
    desk = Desk()
    desk.work(5)
    assert desk.of(SessionStarted) == [SessionStarted(MONDAY_9AM)]
    assert desk.engine.state is State.SITTING


def test_reading_pause_shorter_than_break_idle_stays_inside_the_session() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.wait(8 * MIN)  # reading a long page
    desk.work(10 * MIN)
    assert len(desk.of(SessionStarted)) == 1
    assert desk.of(SessionEnded) == []


def test_idle_break_ends_the_session_back_dated_to_the_last_input() -> None:
    desk = Desk()
    desk.work(25 * MIN, every=1)
    last_input = desk.now - 1
    desk.wait(20 * MIN)
    (ended,) = desk.of(SessionEnded)
    assert ended.end == last_input
    assert ended.cause is Cause.IDLE
    # It was known once break_idle had passed, not before.
    assert ended.t == last_input + EngineSettings().break_idle
    assert desk.engine.state is State.AWAY


def test_coming_back_after_a_break_starts_a_new_session_and_reports_the_break() -> None:
    desk = Desk()
    desk.work(25 * MIN, every=1)
    left = desk.now - 1
    desk.wait(15 * MIN)
    back = desk.now
    desk.work(5 * MIN)
    assert desk.of(BreakTaken) == [BreakTaken(back, left, back, Cause.IDLE)]
    assert [s.t for s in desk.of(SessionStarted)] == [MONDAY_9AM, back]


def test_next_deadline_is_when_the_idle_break_would_be_called() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(5 * MIN, every=1)
    assert desk.engine.next_deadline() == desk.now - 1 + EngineSettings().break_idle
    assert Desk().engine.next_deadline() is None  # nobody there: nothing to wait for


# ---------------------------------------------------------- lock, suspend


def test_a_lock_of_two_minutes_or_more_ends_the_session_at_the_lock() -> None:
    desk = Desk()
    desk.work(20 * MIN, every=1)
    desk.now -= 0.5
    locked = desk.now
    desk.send(Lock)
    desk.wait(10 * MIN)
    (ended,) = desk.of(SessionEnded)
    assert (ended.end, ended.cause) == (locked, Cause.LOCK)
    assert ended.t == locked + 2 * MIN
    desk.send(Unlock)
    desk.work(MIN)
    (brk,) = desk.of(BreakTaken)
    assert (brk.start, brk.end, brk.cause) == (locked, locked + 10 * MIN, Cause.LOCK)


def test_a_short_lock_does_not_break_the_session() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(90)
    desk.send(Unlock)
    desk.work(10 * MIN)
    assert desk.of(SessionEnded) == []
    assert len(desk.of(SessionStarted)) == 1


def test_a_lock_long_after_the_last_input_was_automatic_so_they_left_at_the_last_input() -> None:
    desk = Desk()
    desk.work(10 * MIN, every=1)
    last_input = desk.now - 1
    desk.wait(5 * MIN)  # the screen saver locks after 5 minutes
    desk.send(Lock)
    desk.wait(10 * MIN)
    (ended,) = desk.of(SessionEnded)
    assert (ended.end, ended.cause) == (last_input, Cause.LOCK)


def test_typing_the_password_on_the_lock_screen_is_when_they_came_back() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(15 * MIN)
    first_key = desk.now
    desk.work(4, every=1)  # the password
    desk.send(Unlock)
    desk.work(MIN)
    assert desk.of(SessionStarted)[-1].t == first_key


def test_an_unlock_with_nobody_at_the_desk_after_it_is_not_a_return() -> None:
    # The end of the day: locked, then unlocked (a fingerprint reader, a
    # phone, a remote tool) and no input ever follows. No session, no break.
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(12 * MIN)
    desk.send(Unlock)
    desk.wait(60 * MIN)
    assert len(desk.of(SessionStarted)) == 1
    assert desk.of(BreakTaken) == []
    assert desk.engine.state is State.AWAY
    # When they do come back, the break lasts from the lock to then.
    locked = MONDAY_9AM + 10 * MIN
    back = desk.now
    desk.work(MIN)
    (brk,) = desk.of(BreakTaken)
    assert (brk.start, brk.end, brk.cause) == (locked, back, Cause.LOCK)


def test_after_an_unlock_without_a_password_the_session_starts_at_the_unlock() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(12 * MIN)
    unlocked = desk.now
    desk.send(Unlock)
    assert desk.engine.state is State.AWAY  # nobody seen yet
    desk.wait(3 * MIN)  # reading what was on screen
    desk.work(30 * MIN)
    assert desk.of(SessionStarted)[-1].t == unlocked
    (move,) = desk.prompts(PromptKind.MOVE)
    assert move.t == unlocked + 30 * MIN


def test_an_unlock_then_a_lock_again_is_one_break() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    locked = desk.now
    desk.send(Lock)
    desk.wait(12 * MIN)
    desk.send(Unlock)
    desk.wait(MIN)
    desk.send(Lock)
    desk.wait(20 * MIN)
    desk.send(Unlock)
    back = desk.now
    desk.work(MIN)
    (brk,) = desk.of(BreakTaken)
    assert (brk.start, brk.end) == (locked, back)


def test_input_on_the_lock_screen_without_an_unlock_is_not_a_return() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(5 * MIN)
    desk.work(3)  # the cat walks over the keyboard
    desk.wait(20 * MIN)
    assert len(desk.of(SessionStarted)) == 1


def test_a_minute_of_input_with_no_unlock_seen_means_we_missed_the_unlock() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(10 * MIN)
    back = desk.now
    desk.work(2 * MIN, every=1)
    assert desk.of(SessionStarted)[-1].t == back
    assert desk.engine.state is State.SITTING


def test_suspend_ends_the_session_and_resume_alone_does_not_start_one() -> None:
    desk = Desk()
    desk.work(30 * MIN, every=1)
    desk.now -= 0.5
    slept = desk.now
    desk.send(Suspend)
    desk.now += 60 * MIN  # asleep: no deadlines fire
    desk.send(Resume)
    (ended,) = desk.of(SessionEnded)
    assert (ended.end, ended.cause) == (slept, Cause.SUSPEND)
    assert desk.engine.state is State.AWAY
    back = desk.now + 20
    desk.now = back
    desk.work(MIN)
    assert desk.of(SessionStarted)[-1].t == back
    assert desk.of(BreakTaken)[-1].cause is Cause.SUSPEND


def test_input_after_a_suspend_with_no_resume_seen_counts_as_the_resume() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Suspend)
    desk.now += 30 * MIN
    desk.work(MIN)
    assert len(desk.of(SessionStarted)) == 2
    assert desk.engine.state is State.SITTING


def test_lock_then_suspend_is_one_absence_caused_by_the_lock() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.now += 5
    desk.send(Suspend)
    desk.now += 40 * MIN
    desk.send(Resume)
    desk.send(Unlock)
    desk.work(MIN)
    (ended,) = desk.of(SessionEnded)
    assert ended.cause is Cause.LOCK
    assert desk.of(BreakTaken)[-1].cause is Cause.LOCK


# -------------------------------------------------------- calls, watching


def test_a_quiet_call_counts_as_sitting_and_the_session_runs_to_its_end() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(5 * MIN)
    desk.send(CallStart)
    desk.wait(45 * MIN)  # listening, no input
    call_over = desk.now
    desk.send(CallEnd)
    desk.wait(20 * MIN)  # they got up when the call ended
    (ended,) = desk.of(SessionEnded)
    assert ended.end == call_over
    assert ended.cause is Cause.IDLE


def test_prompts_are_shown_during_a_call_without_input() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(MIN)
    desk.send(CallStart)
    desk.wait(40 * MIN)
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [30.0, 40.0]


def test_idle_during_a_call_counts_only_up_to_call_idle_max() -> None:
    desk = Desk(dataclasses.replace(EngineSettings(), call_idle_max=60 * MIN))
    desk.work(MIN, every=1)
    joined = desk.now  # joining the call is the last sign of them
    desk.send(CallStart)
    desk.wait(3 * 60 * MIN)  # the call app was left open
    (ended,) = desk.of(SessionEnded)
    # Stillness in the call counted as sitting, up to the cap.
    assert ended.end == joined + 60 * MIN
    assert ended.t == joined + 60 * MIN


def test_watching_a_video_is_sitting_like_a_call() -> None:
    desk = Desk()
    desk.work(2 * MIN)
    desk.send(WatchStart)
    desk.wait(40 * MIN)
    desk.send(WatchEnd)
    video_over = desk.now
    desk.wait(20 * MIN)
    (ended,) = desk.of(SessionEnded)
    assert ended.end == video_over


# ---------------------------------------------------------------- prompts


def test_posture_at_20_minutes_then_move_at_30_and_every_10_with_rising_level() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(55 * MIN)
    assert [(p.kind, desk.minutes(p.t), p.level) for p in desk.prompts()] == [
        (PromptKind.POSTURE, 20.0, 1),
        (PromptKind.MOVE, 30.0, 1),
        (PromptKind.MOVE, 40.0, 2),
        (PromptKind.MOVE, 50.0, 3),
    ]
    assert desk.prompts(PromptKind.MOVE)[0].seated_s == 30 * MIN


def test_posture_is_skipped_when_a_movement_prompt_is_due_within_five_minutes() -> None:
    settings = dataclasses.replace(only_move_and_posture(), posture_after=27 * MIN)
    desk = Desk(settings)
    desk.work(35 * MIN)
    assert [p.kind for p in desk.prompts()] == [PromptKind.MOVE]


def test_a_break_resets_the_movement_clock() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(25 * MIN)
    desk.send(Lock)
    desk.wait(5 * MIN)
    desk.send(Unlock)
    back = desk.now
    desk.work(35 * MIN)
    (move,) = desk.prompts(PromptKind.MOVE)
    assert move.t == back + 30 * MIN


def test_no_prompt_for_an_empty_chair_the_prompt_waits_for_the_person() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(29 * MIN)
    desk.wait(3 * MIN)  # stepped away to fetch a book; move falls due at 30
    assert desk.prompts(PromptKind.MOVE) == []
    back = desk.now
    desk.work(MIN)
    (move,) = desk.prompts(PromptKind.MOVE)
    assert move.t == back


def test_a_held_prompt_is_dropped_when_the_absence_turns_out_to_be_a_break() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(29 * MIN)
    desk.wait(30 * MIN)  # they got up just before the prompt
    desk.work(5 * MIN)
    assert desk.prompts(PromptKind.MOVE) == []
    assert len(desk.of(SessionStarted)) == 2


def test_no_prompt_while_locked_and_an_overdue_one_is_shown_on_unlock() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(29 * MIN + 30)
    desk.send(Lock)
    desk.wait(MIN)  # a short lock across the 30-minute mark
    assert desk.prompts(PromptKind.MOVE) == []
    desk.send(Unlock)
    (move,) = desk.prompts(PromptKind.MOVE)
    assert move.t == desk.now


def test_pause_holds_prompts_and_the_relevant_one_comes_when_it_ends() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(MIN)
    desk.send(Pause, until=desk.now + 45 * MIN)
    desk.work(44 * MIN)
    assert desk.prompts() == []
    desk.work(2 * MIN)
    (move,) = desk.prompts()
    assert move.kind is PromptKind.MOVE
    assert desk.minutes(move.t) == 46.0


def test_pause_without_end_lasts_until_unpause() -> None:
    desk = Desk(only_move_and_posture())
    desk.send(Pause)
    desk.work(60 * MIN)
    assert desk.prompts() == []
    desk.send(Unpause)
    assert [p.kind for p in desk.prompts()] == [PromptKind.MOVE]


def test_quiet_hours_hold_prompts_until_they_end() -> None:
    settings = dataclasses.replace(
        only_move_and_posture(), quiet_hours=(QuietRange(9 * 60 + 25, 9 * 60 + 45),)
    )
    desk = Desk(settings)
    desk.work(60 * MIN)
    assert [(p.kind, desk.minutes(p.t)) for p in desk.prompts()] == [
        (PromptKind.POSTURE, 20.0),
        (PromptKind.MOVE, 45.0),
        (PromptKind.MOVE, 55.0),
    ]


def test_quiet_hours_may_wrap_past_midnight() -> None:
    late = dt.datetime(2026, 11, 2, 23, 0, tzinfo=BERLIN).timestamp()
    settings = dataclasses.replace(
        only_move_and_posture(), quiet_hours=(QuietRange(23 * 60, 1 * 60),)
    )
    desk = Desk(settings, start=late)
    desk.work(2.5 * 60 * MIN, every=5)
    first = desk.prompts()[0]
    assert dt.datetime.fromtimestamp(first.t, BERLIN).strftime("%H:%M") == "01:00"


def test_a_snooze_holds_prompts_until_it_ends_and_the_one_due_comes_then() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(30 * MIN + 30)  # the move prompt came at 30
    desk.send(Snooze, duration=10 * MIN)  # "Snooze 10 min"
    assert desk.engine.snoozed_until == desk.now + 10 * MIN
    desk.work(30 * MIN)
    # Reminded again 10 minutes after the snooze, then every move_repeat.
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [30.0, 40.5, 50.5]


def test_a_later_snooze_replaces_the_earlier_one() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(39 * MIN)
    desk.send(Snooze, duration=10 * MIN)
    desk.work(MIN)
    desk.send(Snooze, duration=1 * MIN)  # "snooze 1m": prompts again in a minute
    assert desk.engine.snoozed_until == desk.now + MIN
    desk.work(5 * MIN)
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [30.0, 41.0]


def test_resume_ends_a_snooze_and_the_held_prompt_comes_at_once() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(29 * MIN)
    desk.send(Snooze, duration=20 * MIN)
    desk.work(6 * MIN)  # the move prompt due at 30 waits for the snooze
    assert desk.prompts(PromptKind.MOVE) == []
    desk.send(Unpause)  # `sitbreak resume`
    assert desk.engine.snoozed_until is None
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [35.0]
    desk.work(11 * MIN)  # and then every move_repeat, as without the snooze
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [35.0, 45.0]


def test_resume_ends_a_pause_and_a_snooze_together() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(25 * MIN)
    desk.send(Snooze, duration=30 * MIN)
    desk.send(Pause, until=desk.now + 60 * MIN)
    desk.work(10 * MIN)
    assert desk.prompts(PromptKind.MOVE) == []
    desk.send(Unpause)
    assert desk.engine.paused_until is None and desk.engine.snoozed_until is None
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [35.0]


def test_the_next_prompt_is_never_shown_as_due_before_the_snooze_ends() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(31 * MIN)
    desk.send(Snooze, duration=15 * MIN)
    assert desk.engine.next_prompt() == (desk.now + 15 * MIN, PromptKind.MOVE)
    desk.work(10 * MIN)  # the move prompt due at 40 waits
    assert desk.engine.next_prompt() == (MONDAY_9AM + 46 * MIN, PromptKind.MOVE)


def test_the_next_prompt_waits_for_a_pause_and_quiet_hours_after_it() -> None:
    settings = dataclasses.replace(
        only_move_and_posture(), quiet_hours=(QuietRange(9 * 60 + 40, 10 * 60),)
    )
    desk = Desk(settings)
    desk.work(MIN)
    desk.send(Pause, until=MONDAY_9AM + 40 * MIN)
    # Paused to 09:40, then quiet to 10:00: the posture prompt (due at 09:20)
    # is outranked by the move prompt (09:30) by then.
    assert desk.engine.next_prompt() == (MONDAY_9AM + 60 * MIN, PromptKind.MOVE)
    desk.send(Pause)  # until resumed: no time can be given
    assert desk.engine.next_prompt() is None


def test_a_snooze_does_not_carry_into_the_next_session() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(31 * MIN)
    desk.send(Snooze, duration=60 * MIN)
    desk.wait(20 * MIN)  # a real break
    back = desk.now
    desk.work(21 * MIN)
    assert desk.engine.snoozed_until is None
    later = [(p.kind, desk.minutes(p.t, back)) for p in desk.prompts() if p.t > back]
    assert later == [(PromptKind.POSTURE, 20.0)]  # on time, not held by the old snooze


def test_taking_a_break_ends_the_session_at_once() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(31 * MIN, every=1)
    pressed = desk.now
    desk.send(BreakNow)
    (ended,) = desk.of(SessionEnded)
    assert (ended.t, ended.end, ended.cause) == (pressed, pressed, Cause.BREAK_NOW)
    assert desk.engine.state is State.AWAY
    assert desk.engine.state_since == pressed
    desk.work(10, every=1)  # closing a document on the way out starts nothing
    desk.wait(15 * MIN)
    assert len(desk.of(SessionStarted)) == 1
    assert [desk.minutes(p.t) for p in desk.prompts()] == [20.0, 30.0]  # no move at 40
    back = desk.now
    desk.work(MIN)
    assert desk.of(BreakTaken) == [BreakTaken(back, pressed, back, Cause.BREAK_NOW)]


def test_input_right_after_taking_a_break_is_getting_up_and_later_input_is_back() -> None:
    desk = Desk()
    desk.work(10 * MIN, every=1)
    desk.send(BreakNow)
    pressed = desk.now
    desk.work(2 * MIN, every=1)  # they did not go after all
    _, again = desk.of(SessionStarted)
    assert again.t == pressed + 30


def test_a_prompt_still_on_screen_is_withdrawn_when_its_session_ends() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(31 * MIN, every=1)
    desk.wait(20 * MIN)
    ended, withdrawn = desk.out[-2:]
    assert isinstance(ended, SessionEnded)
    assert withdrawn == PromptWithdrawn(ended.t)


def test_a_prompt_on_screen_is_withdrawn_when_the_screen_locks() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(31 * MIN, every=1)
    desk.send(Lock)  # they got up, as asked
    assert desk.out[-1] == PromptWithdrawn(desk.now)
    desk.wait(MIN)
    desk.send(Unlock)
    desk.work(MIN)
    desk.wait(20 * MIN)  # the session ends: nothing is on screen any more
    assert desk.of(PromptWithdrawn) == [PromptWithdrawn(MONDAY_9AM + 31 * MIN)]


def test_nothing_is_withdrawn_when_no_prompt_was_shown() -> None:
    desk = Desk()
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(10 * MIN)
    assert desk.of(PromptWithdrawn) == []


def test_away_since_is_when_they_left_not_when_watching_began() -> None:
    desk = Desk()
    desk.work(25 * MIN, every=1)
    left = desk.now - 1
    desk.wait(20 * MIN)
    assert (desk.engine.state, desk.engine.state_since) == (State.AWAY, left)
    assert Desk().engine.state_since is None  # nobody seen yet


def test_state_since_follows_the_state() -> None:
    desk = Desk()
    desk.work(5 * MIN, every=1)
    assert (desk.engine.state, desk.engine.state_since) == (State.SITTING, MONDAY_9AM)
    last = desk.now - 1
    desk.wait(2 * MIN)
    assert (desk.engine.state, desk.engine.state_since) == (State.IDLE, last)
    desk.send(Lock)
    assert (desk.engine.state, desk.engine.state_since) == (State.LOCKED, desk.now)


def test_optional_prompts_take_turns_and_keep_clear_of_the_others() -> None:
    settings = dataclasses.replace(
        EngineSettings(), enabled=frozenset(PromptKind) - {PromptKind.MOVE}
    )
    desk = Desk(settings)
    for _ in range(4):
        desk.work(49 * MIN)
        desk.send(Lock)
        desk.wait(5 * MIN)
        desk.send(Unlock)
    kinds = [p.kind for p in desk.prompts() if p.kind is not PromptKind.POSTURE]
    assert kinds[:3] == [PromptKind.STRETCH, PromptKind.HYDRATE, PromptKind.BREATHE]
    times = sorted(p.t for p in desk.prompts())
    assert all(b - a >= 5 * MIN for a, b in itertools.pairwise(times))


def test_switched_off_kinds_are_never_sent() -> None:
    settings = dataclasses.replace(EngineSettings(), enabled=frozenset({PromptKind.HYDRATE}))
    desk = Desk(settings)
    desk.work(3 * 60 * MIN, every=5)
    assert {p.kind for p in desk.prompts()} == {PromptKind.HYDRATE}


# ---------------------------------------------------------- days, clocks


def test_a_break_overnight_is_not_a_break_of_either_day() -> None:
    desk = Desk()
    desk.work(60 * MIN, every=5)
    desk.wait(16 * 60 * MIN)
    desk.work(10 * MIN)
    assert desk.of(BreakTaken) == []
    assert len(desk.of(SessionStarted)) == 2


def test_late_events_are_treated_as_happening_now() -> None:
    desk = Desk()
    desk.work(MIN)
    desk.out.extend(desk.engine.activity(desk.now - 0.7))  # a reordered input
    desk.now -= 0.3
    desk.send(Lock)
    desk.wait(10 * MIN)
    (ended,) = desk.of(SessionEnded)
    assert ended.end >= ended.start


def test_finish_closes_the_open_session_at_the_last_input() -> None:
    desk = Desk()
    desk.work(10 * MIN, every=1)
    last_input = desk.now - 1
    desk.now += 60
    desk.out.extend(desk.engine.finish(desk.now))
    (ended,) = desk.of(SessionEnded)
    assert (ended.end, ended.cause) == (last_input, Cause.SHUTDOWN)


@pytest.mark.parametrize("tick_every", [0.7, 13.0, 61.0])
def test_waking_the_engine_more_often_changes_nothing(tick_every: float) -> None:
    """The daemon may tick at any time; the result must not depend on it."""

    def day(ticks: bool) -> list[Output]:
        desk = Desk()
        for work, rest in [(25, 3), (40, 12), (5, 9), (70, 30)]:
            desk.work(work * MIN, every=3)
            if ticks:
                end = desk.now + rest * MIN
                while desk.now < end:
                    desk.now = min(end, desk.now + tick_every)
                    desk.out.extend(desk.engine.handle(Tick(desk.now)))
            else:
                desk.wait(rest * MIN)
        return [o for o in desk.out if not isinstance(o, SessionEnded)] + [
            dataclasses.replace(o, t=0.0) for o in desk.out if isinstance(o, SessionEnded)
        ]

    assert day(ticks=True) == day(ticks=False)


def test_a_config_reload_mid_session_reschedules_the_coming_prompts() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(10 * MIN)
    desk.engine.reconfigure(dataclasses.replace(only_move_and_posture(), move_after=45 * MIN))
    desk.work(40 * MIN)
    assert [(p.kind, desk.minutes(p.t)) for p in desk.prompts()] == [
        (PromptKind.POSTURE, 20.0),
        (PromptKind.MOVE, 45.0),
    ]


def test_switching_a_kind_off_by_reload_drops_it_at_once() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(10 * MIN)
    desk.engine.reconfigure(
        dataclasses.replace(EngineSettings(), enabled=frozenset({PromptKind.MOVE}))
    )
    desk.work(25 * MIN)
    assert [p.kind for p in desk.prompts()] == [PromptKind.MOVE]


def test_a_sitting_across_the_autumn_clock_change_is_timed_in_real_minutes() -> None:
    # 25 October 2026: at 03:00 CEST the clocks go back to 02:00 CET.
    start = dt.datetime(2026, 10, 25, 2, 40, tzinfo=BERLIN, fold=0).timestamp()
    desk = Desk(only_move_and_posture(), start=start)
    desk.work(45 * MIN)
    (move,) = desk.prompts(PromptKind.MOVE)[:1]
    assert move.t - start == 30 * MIN
    local = dt.datetime.fromtimestamp(move.t, BERLIN)
    assert (local.strftime("%H:%M"), local.fold) == ("02:10", 1)  # the second 02:10 of the night


def test_a_break_across_the_spring_forward_gap_lasts_its_real_length() -> None:
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST. Locked 01:50 CET, back 03:20 CEST:
    # an hour and a half on the wall clock, thirty minutes in real life.
    night = dt.datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN).timestamp()
    desk = Desk(start=night)
    desk.work(50 * MIN, every=5)
    desk.send(Lock)
    desk.wait(30 * MIN)
    assert dt.datetime.fromtimestamp(desk.now, BERLIN).strftime("%H:%M") == "03:20"
    desk.send(Unlock)
    desk.work(MIN)
    (brk,) = desk.of(BreakTaken)
    assert brk.end - brk.start == 30 * MIN


def test_an_optional_prompt_outranked_by_a_waiting_one_comes_later() -> None:
    # Paused through the 45-minute stretch: once prompts resume, the waiting
    # move prompt goes first and the stretch takes its turn after it.
    settings = dataclasses.replace(
        EngineSettings(), enabled=frozenset({PromptKind.MOVE, PromptKind.STRETCH})
    )
    desk = Desk(settings)
    desk.send(Pause, until=desk.now + 50 * MIN)
    desk.work(70 * MIN)
    assert [(p.kind, desk.minutes(p.t)) for p in desk.prompts()][:2] == [
        (PromptKind.MOVE, 50.0),
        (PromptKind.STRETCH, 55.0),
    ]


def test_a_kind_switched_back_on_by_reload_comes_back_in_the_same_session() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(31 * MIN)
    desk.engine.reconfigure(dataclasses.replace(EngineSettings(), enabled=frozenset()))
    desk.work(10 * MIN)
    desk.engine.reconfigure(only_move_and_posture())
    desk.work(11 * MIN)
    moves = [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)]
    assert moves == [30.0, pytest.approx(51.0, abs=0.1)]  # 10 min after switching back on


def test_a_late_input_does_not_stretch_the_session() -> None:
    desk = Desk()
    desk.work(10, every=1)
    desk.out.extend(desk.engine.handle(Tick(desk.now + 500)))  # the daemon woke late
    desk.out.extend(desk.engine.activity(desk.now + 10))  # an input from before that
    desk.now += 500
    desk.wait(20 * MIN)
    (ended,) = desk.of(SessionEnded)
    assert ended.end == MONDAY_9AM + 20


def test_the_desktop_asking_for_quiet_holds_prompts_like_quiet_hours() -> None:
    desk = Desk(only_move_and_posture())
    desk.work(28 * MIN)
    desk.send(DesktopBusy, busy=True)  # a presentation in full screen
    desk.work(7 * MIN)
    assert desk.prompts(PromptKind.MOVE) == []
    desk.send(Pause)  # and then prompts are paused: still nothing when it ends
    desk.send(DesktopBusy, busy=False)
    desk.work(MIN)
    assert desk.prompts(PromptKind.MOVE) == []
    desk.send(Unpause)
    assert [desk.minutes(p.t) for p in desk.prompts(PromptKind.MOVE)] == [36.0]


def test_rebasing_moves_every_time_the_engine_holds() -> None:
    desk = Desk()
    desk.work(10 * MIN, every=1)
    desk.wait(20 * MIN)  # a break: the session is over
    desk.engine.rebase(-3600.0)  # the wall clock was an hour fast
    desk.now -= 3600.0
    desk.work(5 * MIN)
    _, second = desk.of(SessionStarted)
    assert second.t == desk.now - 5 * MIN
    (brk,) = desk.of(BreakTaken)
    assert brk.end - brk.start == 20 * MIN + 1  # its real length, across the rebase
