"""Durations and counts as people read them, shared by the log, status and reports."""

from __future__ import annotations


def hm(seconds: float) -> str:
    """A duration as people read it: '2 h 05', '47 min', '40 s'."""
    if 0 < seconds < 59.5:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d}" if h else f"{m} min"
