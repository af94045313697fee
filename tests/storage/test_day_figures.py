"""Daily figures from the store are the core ledger's: by day, by range, across local
midnight and DST, with the session going on."""

from __future__ import annotations

import datetime as dt

import pytest

from sitbreak.core import Cause, PromptDue, PromptKind, SessionEnded
from sitbreak.storage.store import Store
from store_scenario import DAY, SETTINGS, TZ, at, drive_daemon, ledger_days, scenario


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
