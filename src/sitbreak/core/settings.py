"""The engine's tunable numbers, all durations in seconds.

The defaults here mirror `config/sitbreak.toml` (a test keeps the two equal);
the config module turns a user's TOML into one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sitbreak.core.model import PromptKind

MINUTE = 60.0
HOUR = 3600.0

#: The order in which the optional kinds take turns.
EXTRA_KINDS: tuple[PromptKind, ...] = (
    PromptKind.STRETCH,
    PromptKind.HYDRATE,
    PromptKind.BREATHE,
    PromptKind.EYES,
)

#: Days of the week as `datetime.date.weekday()` numbers them: Monday is 0.
ALL_DAYS: frozenset[int] = frozenset(range(7))


def _all_kinds() -> frozenset[PromptKind]:
    return frozenset(PromptKind)


@dataclass(frozen=True, slots=True)
class QuietRange:
    """A daily range of local minutes-of-day, [start, end); wraps past midnight if end < start."""

    start_min: int
    end_min: int

    def contains(self, minute_of_day: int) -> bool:
        if self.start_min <= self.end_min:
            return self.start_min <= minute_of_day < self.end_min
        return minute_of_day >= self.start_min or minute_of_day < self.end_min


@dataclass(frozen=True, slots=True)
class EngineSettings:
    # [session]
    break_idle: float = 8.5 * MINUTE
    # True when the person set `break_idle` in their config: then it is used
    # as it is. Otherwise it is where the learned threshold starts from, and
    # the engine's pause model (core/pauses.py) moves it to fit the person.
    break_idle_set: bool = False
    break_locked: float = 2 * MINUTE
    call_idle_max: float = 90 * MINUTE
    auto_lock_idle: float = 1 * MINUTE
    # [prompts]
    posture_after: float = 20 * MINUTE
    posture_guard: float = 5 * MINUTE
    move_after: float = 30 * MINUTE
    move_repeat: float = 10 * MINUTE
    extra_every: float = 45 * MINUTE
    hold_after_idle: float = 30.0
    heeded_within: float = 10 * MINUTE
    quiet_hours: tuple[QuietRange, ...] = ()
    # Prompts only on these weekdays (Monday = 0) and, if any ranges are
    # given, only inside them; outside, prompts wait as in quiet hours. A
    # range that wraps past midnight belongs to the day it starts on.
    work_days: frozenset[int] = ALL_DAYS
    work_hours: tuple[QuietRange, ...] = ()
    enabled: frozenset[PromptKind] = field(default_factory=_all_kinds)

    @property
    def limits_work_time(self) -> bool:
        """True when work days or hours leave some time without prompts."""
        return self.work_days != ALL_DAYS or bool(self.work_hours)
