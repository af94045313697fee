"""Value types the engine consumes and produces: frozen dataclasses and Enums.

Every event and output carries `t`, seconds since the Unix epoch on the
caller's suspend-aware timeline. The engine never reads a clock itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PromptKind(enum.Enum):
    POSTURE = "posture"
    MOVE = "move"
    STRETCH = "stretch"
    HYDRATE = "hydrate"
    BREATHE = "breathe"
    EYES = "eyes"


class Cause(enum.Enum):
    """Why a session ended (and so what kind of break followed)."""

    IDLE = "idle"
    LOCK = "lock"
    SUSPEND = "suspend"
    BREAK_NOW = "break_now"  # the person said "taking a break"
    SHUTDOWN = "shutdown"  # the daemon stopped or the trace ended


class State(enum.Enum):
    AWAY = "away"  # no session: nobody is sitting, as far as we can tell
    SITTING = "sitting"  # in a session, input seen recently
    IDLE = "idle"  # in a session, no input for a while, not yet a break
    LOCKED = "locked"  # screen locked (session may still be open until break_locked)
    SUSPENDED = "suspended"  # machine asleep


# ---------------------------------------------------------------- events in


@dataclass(frozen=True, slots=True)
class Activity:
    """Keyboard or mouse activity was seen at `t`; nothing about which key or where."""

    t: float


@dataclass(frozen=True, slots=True)
class Lock:
    t: float


@dataclass(frozen=True, slots=True)
class Unlock:
    t: float


@dataclass(frozen=True, slots=True)
class Suspend:
    t: float


@dataclass(frozen=True, slots=True)
class Resume:
    t: float


@dataclass(frozen=True, slots=True)
class CallStart:
    t: float


@dataclass(frozen=True, slots=True)
class CallEnd:
    t: float


@dataclass(frozen=True, slots=True)
class WatchStart:
    t: float


@dataclass(frozen=True, slots=True)
class WatchEnd:
    t: float


@dataclass(frozen=True, slots=True)
class Pause:
    """No prompts until `until` (None: until Unpause). Sitting is still measured."""

    t: float
    until: float | None = None


@dataclass(frozen=True, slots=True)
class Unpause:
    """The person resumes prompts (`sitbreak resume`): it ends a pause and a
    snooze alike, and a prompt they held comes now."""

    t: float


@dataclass(frozen=True, slots=True)
class Snooze:
    """No prompts for `duration` seconds from `t`; the one that falls due
    meanwhile comes at the end. A new snooze replaces the last one; a
    session's end (a real break) and an Unpause end it."""

    t: float
    duration: float


@dataclass(frozen=True, slots=True)
class BreakNow:
    """The person says they are taking a break: the session ends at once."""

    t: float


@dataclass(frozen=True, slots=True)
class DesktopBusy:
    """The desktop asks for no prompts now (a full-screen window, Do Not Disturb),
    or with `busy` False allows them again. Held like quiet hours."""

    t: float
    busy: bool


@dataclass(frozen=True, slots=True)
class Tick:
    """Time has reached `t`: fire whatever deadlines are due. Carries no information."""

    t: float


Event = (
    Activity
    | Lock
    | Unlock
    | Suspend
    | Resume
    | CallStart
    | CallEnd
    | WatchStart
    | WatchEnd
    | Pause
    | Unpause
    | Snooze
    | BreakNow
    | DesktopBusy
    | Tick
)

# ------------------------------------------------------------- outputs out


@dataclass(frozen=True, slots=True)
class SessionStarted:
    t: float


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """A session is over. `end` is when the person left (often before `t`, when it was known)."""

    t: float
    start: float
    end: float
    cause: Cause


@dataclass(frozen=True, slots=True)
class BreakTaken:
    """A break between two sessions of the same local day, reported when it ends."""

    t: float
    start: float
    end: float
    cause: Cause


@dataclass(frozen=True, slots=True)
class PromptDue:
    """Send a prompt now. `level` counts repeats of `move` in this session (1, 2, ...)."""

    t: float
    kind: PromptKind
    level: int
    seated_s: float


@dataclass(frozen=True, slots=True)
class PromptWithdrawn:
    """The prompt shown last no longer applies (its session ended, or the person
    got up and locked the screen): take it off the screen if it is still there."""

    t: float


Output = SessionStarted | SessionEnded | BreakTaken | PromptDue | PromptWithdrawn
