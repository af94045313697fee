"""Daily figures from the engine's outputs, per local day.

Pure: given the outputs (and the time zone days are cut in), it says how long
the person sat each day, how many sessions and breaks there were, the longest
session, and how many prompts were sent and heeded. A session that crosses
midnight is split there, so each day gets its own part (23- and 25-hour DST
days included: the cut is at local midnight, whatever its UTC offset).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sitbreak.core.model import BreakTaken, Cause, Output, PromptDue, PromptKind, SessionEnded


@dataclass(slots=True)
class DayFigures:
    date: dt.date
    sitting_s: float = 0.0
    sessions: int = 0
    longest_session_s: float = 0.0
    sessions_over_limit: int = 0
    breaks: int = 0
    break_s: float = 0.0
    prompts: int = 0
    prompts_heeded: int = 0
    # What the person did with the notifications, where the desktop told us
    # (buttons, dismissals); filled in by the store from recorded outcomes.
    prompts_acted: int = 0
    prompts_snoozed: int = 0
    prompts_skipped: int = 0
    prompts_ignored: int = 0
    prompts_by_kind: dict[str, int] = field(default_factory=dict)
    first_seen: float | None = None
    last_seen: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "sitting_s": round(self.sitting_s, 1),
            "sessions": self.sessions,
            "longest_session_s": round(self.longest_session_s, 1),
            "sessions_over_limit": self.sessions_over_limit,
            "breaks": self.breaks,
            "break_s": round(self.break_s, 1),
            "prompts": self.prompts,
            "prompts_heeded": self.prompts_heeded,
            "prompts_acted": self.prompts_acted,
            "prompts_snoozed": self.prompts_snoozed,
            "prompts_skipped": self.prompts_skipped,
            "prompts_ignored": self.prompts_ignored,
            "prompts_by_kind": dict(sorted(self.prompts_by_kind.items())),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


def local_date(t: float, tz: dt.tzinfo) -> dt.date:
    return dt.datetime.fromtimestamp(t, tz).date()


def next_midnight(t: float, tz: dt.tzinfo) -> float:
    """The first local midnight strictly after `t`, as epoch seconds."""
    day = local_date(t, tz) + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), tz).timestamp()


def split_at_midnight(
    start: float, end: float, tz: dt.tzinfo
) -> list[tuple[dt.date, float, float]]:
    """[(local date, start, end)] pieces of the interval, cut at local midnights."""
    pieces = []
    s = start
    while True:
        cut = next_midnight(s, tz)
        if end <= cut:
            pieces.append((local_date(s, tz), s, end))
            return pieces
        pieces.append((local_date(s, tz), s, cut))
        s = cut


class DayLedger:
    """Accumulates outputs into per-day figures.

    A `move` prompt counts as heeded when a break began (a session ended for a
    reason other than shutdown) within `heeded_within` seconds after it. Breaks
    are back-dated to the last input, and someone who reads the prompt and gets
    up at once last touched the machine just before it: `slack` allows for that.
    """

    def __init__(
        self,
        tz: dt.tzinfo,
        limit_s: float = 1800.0,
        heeded_within: float = 600.0,
        slack: float = 60.0,
    ) -> None:
        self.tz = tz
        self.limit_s = limit_s
        self.heeded_within = heeded_within
        self.slack = slack
        self._days: dict[dt.date, DayFigures] = {}
        self._open_moves: list[float] = []  # move prompts not yet known heeded or not

    def day(self, date: dt.date) -> DayFigures:
        fig = self._days.get(date)
        if fig is None:
            fig = self._days[date] = DayFigures(date)
        return fig

    def add(self, output: Output) -> None:
        if isinstance(output, SessionEnded):
            self._session(output)
        elif isinstance(output, BreakTaken):
            fig = self.day(local_date(output.start, self.tz))
            fig.breaks += 1
            fig.break_s += output.end - output.start
        elif isinstance(output, PromptDue):
            fig = self.day(local_date(output.t, self.tz))
            fig.prompts += 1
            fig.prompts_by_kind[output.kind.value] = (
                fig.prompts_by_kind.get(output.kind.value, 0) + 1
            )
            if output.kind is PromptKind.MOVE:
                self._open_moves.append(output.t)

    def extend(self, outputs: list[Output] | tuple[Output, ...]) -> None:
        for o in outputs:
            self.add(o)

    def _session(self, ended: SessionEnded) -> None:
        for date, s, e in split_at_midnight(ended.start, ended.end, self.tz):
            fig = self.day(date)
            length = e - s
            fig.sitting_s += length
            fig.sessions += 1
            fig.longest_session_s = max(fig.longest_session_s, length)
            if length > self.limit_s:
                fig.sessions_over_limit += 1
            fig.first_seen = s if fig.first_seen is None else min(fig.first_seen, s)
            fig.last_seen = e if fig.last_seen is None else max(fig.last_seen, e)
        if ended.cause is not Cause.SHUTDOWN:
            for p in self._open_moves:
                if p - self.slack <= ended.end <= p + self.heeded_within:
                    self.day(local_date(p, self.tz)).prompts_heeded += 1
        self._open_moves.clear()

    def days(self) -> list[DayFigures]:
        return [self._days[d] for d in sorted(self._days)]
