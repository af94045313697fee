"""The personal pause model, and the engine learning with it: people whose
pauses differ get different break thresholds, and an unsure gap does not
reset the movement clock."""

from __future__ import annotations

import dataclasses
import json

import pytest

from desk import BERLIN, MIN, Desk
from sitbreak.core import (
    Activity,
    Engine,
    EngineSettings,
    Lock,
    PromptKind,
    SessionEnded,
    Unlock,
    replay_events,
)
from sitbreak.core.pauses import HIGHEST, LOWEST, PauseModel


def days_of(model: PauseModel, days: int, seated: list[float], breaks: list[float]) -> None:
    """Feed `days` working days of gaps: the seated pauses, then the unlocked breaks."""
    for _ in range(days):
        for g in seated:
            model.observe_gap(g * MIN)
        for g in breaks:
            model.observe_gap(g * MIN)


# A day of seated pauses, short ones much more often than long ones.
SHORT_PAUSES = [1.2] * 12 + [1.8] * 6 + [2.5] * 3 + [3.2] * 2
LONG_READS = [*SHORT_PAUSES, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5]
# A day of unlocked breaks of all lengths, short walks among them.
WALKS = [5, 6, 8, 10, 14, 20, 30, 45]


def test_a_new_person_starts_from_the_default() -> None:
    model = PauseModel(8.5 * MIN)
    assert model.threshold == 8.5 * MIN
    said = model.explain()
    assert (said.pauses, said.breaks, said.learned) == (0, 0, False)


def test_someone_who_never_pauses_long_gets_a_shorter_threshold() -> None:
    model = PauseModel(8.5 * MIN)
    days_of(model, 90, SHORT_PAUSES, breaks=WALKS)  # four months of work
    assert model.threshold < 7.5 * MIN
    assert model.explain().learned


def test_someone_who_reads_for_ten_minutes_gets_a_longer_threshold() -> None:
    model = PauseModel(8.5 * MIN)
    days_of(model, 90, LONG_READS, breaks=[13, 18, 25, 40])
    assert model.threshold > 9.5 * MIN


def test_a_few_days_move_the_threshold_less_than_many() -> None:
    few, many = PauseModel(), PauseModel()
    days_of(few, 10, SHORT_PAUSES, breaks=WALKS)
    days_of(many, 60, SHORT_PAUSES, breaks=WALKS)
    assert many.threshold < few.threshold < 8.5 * MIN


@pytest.mark.parametrize(
    ("seated", "breaks"),
    [([1.0] * 40, [3.5] * 20 + [20] * 5), (LONG_READS + [11.5] * 10, [60])],
)
def test_the_threshold_stays_within_safe_bounds(seated: list[float], breaks: list[float]) -> None:
    model = PauseModel()
    days_of(model, 30, seated, breaks)
    assert LOWEST <= model.threshold <= HIGHEST


def test_known_breaks_are_counted_and_gaps_of_no_use_are_not() -> None:
    model = PauseModel()
    assert model.observe_break(9 * MIN)
    assert not model.observe_gap(20.0)  # typing rhythm, not a pause
    assert not model.observe_gap(10 * 3600.0)  # overnight
    assert not model.observe_gap(float("nan"))
    said = model.explain()
    assert (said.pauses, said.breaks) == (1, 1)


def test_what_was_learned_survives_a_round_trip_through_json() -> None:
    model = PauseModel()
    days_of(model, 6, LONG_READS, breaks=[13, 18, 25, 40])
    model.observe_break(11 * MIN)
    again = PauseModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.explain() == model.explain()
    assert again.threshold > 8.5 * MIN


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"version": 99}, "version"),
        ({"gaps": [1.0, 2.0]}, "'gaps'"),
        ({"breaks": ["x"] * 96}, "'breaks'[0]"),
        ({"gaps": [-1.0] * 96}, "'gaps'[0]"),
        ({"seen_gaps": -3}, "'seen_gaps'"),
        ({"bins_per_doubling": 7}, "bins"),
    ],
)
def test_a_damaged_saved_model_is_refused_saying_what_is_wrong(
    change: dict[str, object], named: str
) -> None:
    data = {**PauseModel().to_dict(), **change}
    with pytest.raises(ValueError, match=named.replace("[", r"\[").replace("]", r"\]")):
        PauseModel.from_dict(data)


# ------------------------------------------------------- in the engine


def learning_desk(model: PauseModel | None = None) -> Desk:
    desk = Desk()
    settings = dataclasses.replace(
        EngineSettings(), enabled=frozenset({PromptKind.MOVE, PromptKind.POSTURE})
    )
    desk.engine = Engine(settings, BERLIN, model if model is not None else PauseModel())
    return desk


def test_the_engine_learns_every_pause_and_break_it_sees() -> None:
    desk = learning_desk()
    desk.work(10 * MIN)
    desk.wait(3 * MIN)  # a pause in the seat
    desk.work(10 * MIN)
    desk.wait(20 * MIN)  # a break, unlocked
    desk.work(10 * MIN)
    desk.send(Lock)
    desk.wait(10 * MIN)  # a break, locked: known for sure
    desk.send(Unlock)
    desk.work(MIN)
    model = desk.engine.pauses
    assert model is not None
    said = model.explain()
    assert (said.pauses, said.breaks) == (3, 1)


def test_a_pause_in_the_seat_does_not_move_the_prompt() -> None:
    desk = learning_desk()
    start = desk.now
    desk.work(25 * MIN)
    desk.wait(7 * MIN)  # the prompt falls due in the pause, and waits for them
    desk.work(10 * MIN)
    assert desk.minutes(desk.prompts(PromptKind.MOVE)[0].t, since=start) == 32


def test_an_unsure_break_keeps_the_movement_clock_running() -> None:
    desk = learning_desk()
    start = desk.now
    desk.work(25 * MIN)
    desk.wait(9 * MIN)  # just over the threshold: a break is recorded ...
    assert desk.of(SessionEnded)
    desk.work(30 * MIN)
    # ... but the movement prompt is not put off to 30 minutes after the return
    # (64): it comes 10 minutes after it (44), in case they never stood up.
    assert desk.minutes(desk.prompts(PromptKind.MOVE)[0].t, since=start) == 44


def test_after_a_possible_walk_the_next_repeat_waits_ten_minutes() -> None:
    desk = learning_desk()
    start = desk.now
    desk.work(36 * MIN)  # the first prompt at 30; its repeat is due at 40
    desk.wait(5 * MIN)  # a short walk, unlocked: no break recorded
    desk.work(20 * MIN)  # back at 41
    moves = [desk.minutes(p.t, since=start) for p in desk.prompts(PromptKind.MOVE)]
    # Not at 41, as they come back from walking: 10 minutes after it.
    assert moves == [30, 51]


def test_the_first_movement_prompt_is_never_put_off() -> None:
    desk = learning_desk()
    start = desk.now
    desk.work(25 * MIN)
    desk.wait(4.5 * MIN)  # a walk, or reading: back at 29.5
    desk.work(5 * MIN)
    assert desk.minutes(desk.prompts(PromptKind.MOVE)[0].t, since=start) == 30


def test_a_repeat_is_put_off_no_later_than_a_possible_sitting_is_due_its_prompt() -> None:
    desk = learning_desk()
    start = desk.now
    desk.work(33 * MIN)  # the first prompt at 30
    desk.wait(3.5 * MIN)  # too short to put anything off, but they may have sat down at 36.5
    desk.work(22.5 * MIN)  # repeats at 40 and 50; the next is due at 60
    desk.wait(5 * MIN)  # a walk across it: the prompt waits for them
    desk.work(20 * MIN)  # back at 64
    moves = [desk.minutes(p.t, since=start) for p in desk.prompts(PromptKind.MOVE)]
    # 10 minutes after the return would be 74; a sitting begun at 36.5 is
    # due its prompt at 66.5, so it comes then.
    assert moves[:4] == [30, 40, 50, 66.5]


def test_a_locked_break_restarts_the_movement_clock() -> None:
    desk = learning_desk()
    desk.work(25 * MIN)
    desk.send(Lock)
    desk.wait(9 * MIN)
    desk.send(Unlock)
    back = desk.now
    desk.work(35 * MIN)
    assert desk.minutes(desk.prompts(PromptKind.MOVE)[0].t, since=back) == 30


def test_a_pause_during_a_call_teaches_nothing() -> None:
    from sitbreak.core import CallEnd, CallStart

    desk = learning_desk()
    desk.work(5 * MIN)
    desk.send(CallStart)
    desk.wait(20 * MIN)
    desk.send(CallEnd)
    desk.work(MIN)
    model = desk.engine.pauses
    assert model is not None and model.explain().pauses == 0


# ------------------------------------------------------------- replay


def a_week_of(seated: float, walk: float) -> list[Activity]:
    """Five days: work, a seated pause of `seated` min, work, a walk of `walk` min, ..."""
    t = 1_793_000_000.0
    events = []
    for _ in range(5):
        for _ in range(8):
            for pause in (seated, walk):
                for _ in range(20 * 30):
                    events.append(Activity(t))
                    t += 2.0
                t += pause * MIN
        t += 14 * 3600
    return events


def test_replay_learns_over_the_trace_unless_break_idle_is_set() -> None:
    events = a_week_of(seated=2, walk=5)
    learned = replay_events(events, EngineSettings(), BERLIN)
    assert learned.pauses is not None
    # Every pause and walk of the week, but not the nights.
    assert learned.pauses.explain().pauses == 5 * 16 - 1 - 4
    fixed = replay_events(
        events, dataclasses.replace(EngineSettings(), break_idle_set=True), BERLIN
    )
    assert fixed.pauses is None
    plain = Engine(EngineSettings(), BERLIN)
    ended = [o for ev in events for o in plain.handle(ev) if isinstance(o, SessionEnded)]
    assert [s.end for s in fixed.sessions[: len(ended)]] == [s.end for s in ended]


def test_replay_goes_on_from_a_saved_model() -> None:
    saved = PauseModel()
    days_of(saved, 10, SHORT_PAUSES, breaks=WALKS)
    before = saved.explain().pauses
    result = replay_events(a_week_of(seated=2, walk=5), EngineSettings(), BERLIN, saved)
    assert result.pauses is saved
    assert saved.explain().pauses > before


def test_a_long_pause_just_after_sitting_down_is_not_yet_a_break() -> None:
    desk = learning_desk()
    desk.work(3 * MIN)
    desk.wait(10 * MIN)  # reading what they came back to
    desk.work(MIN)
    assert desk.of(SessionEnded) == []
    desk.work(10 * MIN)
    desk.wait(10 * MIN)  # the same pause later in the session is a break
    desk.work(MIN)
    assert len(desk.of(SessionEnded)) == 1


def test_after_an_unsure_break_a_long_pause_in_the_first_ten_minutes_is_no_break() -> None:
    desk = learning_desk()
    desk.work(20 * MIN)
    desk.wait(10 * MIN)  # over the threshold but under twice it: maybe reading
    desk.work(7 * MIN)
    assert len(desk.of(SessionEnded)) == 1  # recorded as a break ...
    desk.wait(10 * MIN)  # ... and another long stillness 7 minutes later
    desk.work(MIN)
    assert len(desk.of(SessionEnded)) == 1  # is more of the same, not a second break


def test_after_a_sure_break_only_the_first_five_minutes_are_held_to_more() -> None:
    desk = learning_desk()
    desk.work(20 * MIN)
    desk.send(Lock)
    desk.wait(10 * MIN)  # locked: they were gone for sure
    desk.send(Unlock)
    desk.work(7 * MIN)
    desk.wait(10 * MIN)  # the same stillness, 7 minutes after a real return
    desk.work(MIN)
    assert [e.cause.value for e in desk.of(SessionEnded)] == ["lock", "idle"]


def test_taking_a_break_just_after_sitting_down_is_a_break_at_once() -> None:
    from sitbreak.core import BreakNow

    desk = learning_desk()
    desk.work(2 * MIN)
    desk.send(BreakNow)
    desk.wait(MIN)
    (ended,) = desk.of(SessionEnded)
    assert ended.cause.value == "break_now"


def test_with_break_idle_set_a_pause_just_after_sitting_down_is_judged_as_any() -> None:
    desk = Desk()  # no pause model: break_idle as configured
    desk.work(3 * MIN)
    desk.wait(10 * MIN)
    desk.work(MIN)
    assert len(desk.of(SessionEnded)) == 1
