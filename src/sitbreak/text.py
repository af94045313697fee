"""Durations and counts as people read them: the one formatter for the log,
status, notifications and reports, so that they all agree with each other and
with `config show`.

A duration is rounded to the nearest second (engine times are floats, and a
prompt due at 30 min exactly must not read "29 min 59 s"), then shown without
hiding what matters: under an hour to the second ("1 min 20 s", never "1 min"
for 80 s), from an hour on to the minute ("2 h 05"), the seconds dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def duration(seconds: float, *, words: bool = False) -> str:
    """'40 s', '1 min 20 s', '25 min', '1 h', '2 h 05'.

    With `words`, for sentences such as a notification's headline:
    '1 second', '1 minute 20 seconds', '25 minutes', '1 hour 5 minutes'.
    """
    if not math.isfinite(seconds):  # no stored value should be, but never a traceback
        return "no end" if seconds > 0 else "0 s"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if words:
        parts = (
            [count(hours, "hour"), count(minutes, "minute")]
            if hours
            else [count(minutes, "minute"), count(secs, "second")]
        )
        big, small = parts
        if big.startswith("0 "):
            return small
        return big if small.startswith("0 ") else f"{big} {small}"
    if hours:
        return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d}"
    if minutes:
        return f"{minutes} min" if secs == 0 else f"{minutes} min {secs} s"
    return f"{secs} s"


def signed_duration(seconds: float) -> str:
    """A difference of durations: '+12 min', '−1 h 05', '±0 s'."""
    if round(seconds) == 0:
        return "±0 s"
    return ("+" if seconds > 0 else "−") + duration(abs(seconds))


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 session', '2 sessions', '0 breaks'; `plural` for irregular nouns."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def got_up_phrase(heeded: int, move_prompts: int) -> str:
    """What became of the movement reminders: 'got up after 2 of 3 movement reminders'.

    `heeded` counts the move prompts a break followed (core.days.DayLedger),
    whatever was done with the notification itself; the other kinds of prompt
    are never counted as heeded, so they are left out of the sentence.
    """
    if not move_prompts:
        return "no movement reminders"
    return f"got up after {heeded} of {count(move_prompts, 'movement reminder')}"


def idle_text(seconds: float) -> str:
    """A break threshold to the half minute: '6 min', '8 min 30 s'; under a minute
    (a config for trying sitbreak out) to the second: '6 s', never '0 s'."""
    if seconds < 60:
        return duration(seconds)
    return duration(round(seconds / 30.0) * 30)


def breaks_sentence(rule: Mapping[str, object]) -> str:
    """How long idle makes a break, and why (the shape of core.pauses.break_rule):
    'Breaks: after 6 min idle, learned from 212 pauses, 14 of them known breaks.'"""
    after_s = rule.get("after_s", 0.0)
    seconds = float(after_s) if isinstance(after_s, int | float) else 0.0
    after = f"Breaks: after {idle_text(seconds)} idle"
    source = rule.get("source")
    if source == "config":
        return f"{after}, as set in your config."
    seen_v, known_v = rule.get("pauses", 0), rule.get("known_breaks", 0)
    seen = int(seen_v) if isinstance(seen_v, int | float) else 0
    known = int(known_v) if isinstance(known_v, int | float) else 0
    of_which = "" if not known else f", {known} of them known breaks"
    if known == 1:
        of_which = ", 1 of them a known break"
    if source == "learned":
        return f"{after}, learned from {count(seen, 'pause')}{of_which}."
    return f"{after} (still learning your pauses: {seen} so far{of_which})."
