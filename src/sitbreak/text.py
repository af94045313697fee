"""Durations and counts as people read them, shared by the log, status and reports."""

from __future__ import annotations

from collections.abc import Mapping


def hm(seconds: float) -> str:
    """A duration as people read it: '2 h 05', '47 min', '40 s'."""
    if 0 < seconds < 59.5:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d}" if h else f"{m} min"


def count(n: int, noun: str) -> str:
    """'1 pause', '212 pauses'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def idle_text(seconds: float) -> str:
    """A break threshold to the half minute: '6 min', '8 min 30 s'."""
    minutes, rest = divmod(round(seconds / 30.0) * 30, 60)
    return f"{minutes} min" if not rest else f"{minutes} min {rest} s"


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
