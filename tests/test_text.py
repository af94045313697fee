"""The one duration formatter and counts: what the log, status, notifications and reports say."""

from __future__ import annotations

import pytest

from sitbreak.text import (
    breaks_sentence,
    count,
    duration,
    got_up_phrase,
    idle_text,
    signed_duration,
)

MIN = 60


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (1, "1 s"),
        (40, "40 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (60, "1 min"),
        (80, "1 min 20 s"),  # `config show` says 1m20s: never "1 min"
        (30 * MIN - 1e-9, "30 min"),  # float arithmetic must not make it 29 min 59 s
        (42 * MIN + 59, "42 min 59 s"),
        (60 * MIN, "1 h"),
        (65 * MIN, "1 h 05"),
        (65 * MIN + 59, "1 h 05"),
        (190 * MIN, "3 h 10"),
        (-5, "0 s"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (61, "1 minute 1 second"),
        (80, "1 minute 20 seconds"),
        (25 * MIN, "25 minutes"),
        (60 * MIN, "1 hour"),
        (61 * MIN, "1 hour 1 minute"),
        (125 * MIN, "2 hours 5 minutes"),
    ],
)
def test_duration_in_words(seconds: float, text: str) -> None:
    assert duration(seconds, words=True) == text


def test_a_duration_that_is_not_a_number_of_seconds_is_no_traceback() -> None:
    assert duration(float("inf")) == "no end"
    assert duration(float("nan")) == "0 s"
    assert duration(float("-inf"), words=True) == "0 s"


def test_signed_duration() -> None:
    assert signed_duration(0.2) == "±0 s"
    assert signed_duration(12 * MIN) == "+12 min"
    assert signed_duration(-65 * MIN) == "−1 h 05"
    assert signed_duration(-80) == "−1 min 20 s"


def test_count() -> None:
    assert [count(n, "session") for n in (0, 1, 2)] == ["0 sessions", "1 session", "2 sessions"]
    assert count(1, "day", "days") == "1 day"
    assert count(3, "body", "bodies") == "3 bodies"


def test_getting_up_is_counted_against_the_movement_reminders_only() -> None:
    assert got_up_phrase(2, 3) == "got up after 2 of 3 movement reminders"
    assert got_up_phrase(1, 1) == "got up after 1 of 1 movement reminder"
    assert got_up_phrase(0, 0) == "no movement reminders"


def test_a_break_threshold_reads_to_the_half_minute_and_a_short_one_to_the_second() -> None:
    assert idle_text(8.4 * MIN) == "8 min 30 s"
    assert idle_text(6 * MIN + 10) == "6 min"
    # `break_idle = "6s"`, a config for trying it out: not rounded away to nothing.
    assert idle_text(6) == "6 s"
    assert breaks_sentence({"after_s": 6.0, "source": "config"}) == (
        "Breaks: after 6 s idle, as set in your config."
    )
