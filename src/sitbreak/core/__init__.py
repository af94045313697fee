"""The pure core: the sitting-session engine, its value types and daily figures.

Nothing in here reads a clock, sleeps, logs, or imports a desktop or storage
library; everything outside depends on this package, never the reverse.
"""

from sitbreak.core.days import DayFigures, DayLedger, split_at_midnight
from sitbreak.core.engine import Engine
from sitbreak.core.model import (
    Activity,
    BreakNow,
    BreakTaken,
    CallEnd,
    CallStart,
    Cause,
    DesktopBusy,
    Event,
    Lock,
    Output,
    Pause,
    PromptDue,
    PromptKind,
    PromptWithdrawn,
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
from sitbreak.core.run import ReplayResult, replay_events
from sitbreak.core.settings import EngineSettings, QuietRange

__all__ = [
    "Activity",
    "BreakNow",
    "BreakTaken",
    "CallEnd",
    "CallStart",
    "Cause",
    "DayFigures",
    "DayLedger",
    "DesktopBusy",
    "Engine",
    "EngineSettings",
    "Event",
    "Lock",
    "Output",
    "Pause",
    "PromptDue",
    "PromptKind",
    "PromptWithdrawn",
    "QuietRange",
    "ReplayResult",
    "Resume",
    "SessionEnded",
    "SessionStarted",
    "Snooze",
    "State",
    "Suspend",
    "Tick",
    "Unlock",
    "Unpause",
    "WatchEnd",
    "WatchStart",
    "replay_events",
    "split_at_midnight",
]
