"""The sitting-session engine: a pure state machine.

Fed timestamped events (`handle`), it returns what happened (`Output`s) and
says when it next needs to be woken (`next_deadline`). It never reads a clock,
sleeps, logs or touches a file: the daemon and `sitbreak replay` drive the
very same object, so what replay shows is what the daemon does.

How it decides, in one paragraph: a *session* is continuous sitting. It starts
at the first sign of a person (input, an unlock, joining a call) and ends,
back-dated to the last sign of them, when they have been away long enough:
`break_idle` without input, or a lock/suspend lasting `break_locked`. While a
call or a video is on, stillness is expected, so idle counts as sitting for up
to `call_idle_max`. Prompts are scheduled from the session's start and shown
only to someone who is there: a prompt that falls due while nobody has touched
the machine for `hold_after_idle` waits for them (and is dropped if that turns
out to be a break), and none is shown while locked, asleep, paused, snoozed,
in quiet hours or outside work days and hours (those wait, like the others,
for the time they end, and are shown then if the session is still going).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import Any

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
from sitbreak.core.pauses import BREAK_MIN, GAP_MIN, PauseModel
from sitbreak.core.settings import EXTRA_KINDS, EngineSettings, QuietRange

INF = math.inf
_NOTHING: tuple[Output, ...] = ()

#: After "taking a break" (which ends the session at once), input for this
#: long is the person getting up (a last click, closing a document), not a
#: new session.
BREAK_NOW_GRACE = 30.0
#: Input on the lock screen this long before an unlock is the person coming back
#: (typing the password), so the new session starts there, not at the unlock.
LOCK_SCREEN_RETURN = 60.0
#: Lock-screen input further apart than this is not one stretch of typing.
LOCK_SCREEN_GAP = 15.0
#: Input on the lock screen for this long with no unlock seen: we missed the
#: unlock (a lost D-Bus signal), so treat the screen as unlocked.
MISSED_UNLOCK_AFTER = 60.0
#: With a learned threshold, an idle gap that begins this soon after the
#: session started needs EARLY_SESSION_FACTOR times the threshold to be a
#: break (docs/inference.md: it helps on v2 and changes nothing on v1).
EARLY_SESSION = 5 * 60.0
EARLY_SESSION_FACTOR = 1.5
#: The same, for a session that began after an unsure break (an unlocked idle
#: gap that may have been a pause in the seat): the person may never have
#: left, and a second long stillness soon after is more of the same.
EARLY_AFTER_UNSURE = 10 * 60.0
#: With a learned threshold, an unlocked idle gap this long inside a session
#: may have been a short walk: the next repeat of the movement prompt comes
#: no sooner than `heeded_within` after the return (docs/inference.md).
WALK_MIN = 4 * 60.0
#: A movement prompt this much before its time still counts as the prompt of
#: a sitting (the scorer's window opens at minute 28 of 30).
PROMPT_EARLY = 2 * 60.0
#: The most places a sitting may have begun that the engine keeps in mind.
_MAX_SAT_FROM = 16
#: Work time when no work hours are given: the whole of a work day.
_WHOLE_DAY = QuietRange(0, 24 * 60)
#: The least a deadline moves on when it is put off: every deadline the
#: engine sets is at least this much later than now, so none can fire twice
#: at one instant and time always moves forward.
_MIN_STEP = 1.0
#: How many back-to-back stretches without prompts (quiet hours running into
#: time off work, ...) to follow when looking for their end; more is a
#: config that never allows a prompt, and the engine just looks again later.
_MAX_CHAIN = 16

_PRIORITY = {
    PromptKind.MOVE: 3,
    PromptKind.POSTURE: 2,
    PromptKind.STRETCH: 1,
    PromptKind.HYDRATE: 1,
    PromptKind.BREATHE: 1,
    PromptKind.EYES: 1,
}


class Engine:
    """Infer sitting sessions, breaks and prompts from a stream of events.

    Times are seconds since the Unix epoch on one non-decreasing timeline; an
    event older than the last one is treated as happening "now".
    """

    def __init__(
        self,
        settings: EngineSettings | None = None,
        tz: dt.tzinfo | None = None,
        pauses: PauseModel | None = None,
    ) -> None:
        self.settings = settings if settings is not None else EngineSettings()
        # The person's pause model, if the break threshold is learned (see
        # core/pauses.py); None: `break_idle` as set.
        self.pauses = pauses
        self._gap_watch = GAP_MIN if pauses is not None else INF
        self._tainted = False  # a lock, sleep, call or video since the last sign
        self._carry_move_at = INF  # the movement clock of a session that ended unsurely
        # Local days (for breaks, which never span two days, and quiet hours).
        self.tz: dt.tzinfo = tz if tz is not None else dt.timezone.utc
        self._now = -INF
        # The open session, if any.
        self._start: float | None = None
        self._seen = -INF  # last sign of a person: input, unlock, call activity
        self._break_idle = self._usual_idle()  # what idle makes a break (learned, or set)
        self._end_cause = Cause.IDLE
        self._leaving_until = -INF  # after "taking a break": input is them getting up
        # Context.
        self._calls = 0
        self._watching = 0
        self._locked_at: float | None = None
        self._suspended_at: float | None = None
        self._absent_from = INF  # when a lock/suspend made the person absent
        self._left_at = INF  # when they left, if this absence becomes a break
        self._typed_first: float | None = None  # input seen on the lock screen
        self._typed_last = -INF
        # An unlock after a break, with no one seen since: the person is back
        # only if a sign of them follows (see `_on_unlock`).
        self._unlocked_at: float | None = None
        # Where the open session's sitting may have begun (its start, returns
        # from possible walks) and no movement prompt has come since.
        self._sat_from: list[float] = []
        # The last break, reported when the next session starts.
        self._break_start: float | None = None
        self._break_cause = Cause.IDLE
        self._early_for = EARLY_SESSION  # how long the open session counts as just begun
        # Prompts.
        self._posture_at = INF
        self._move_at = INF
        self._move_level = 0
        self._extra_at = INF
        self._extra_turn = 0
        self._held: PromptKind | None = None
        self._last_prompt = -INF
        self._paused_until = -INF
        self._snoozed_until = -INF
        self._on_screen = False  # a prompt was shown and not withdrawn since
        self._desktop_busy = False
        # The last stretch of off hours found: (settings, zone, from, until).
        self._off_hours: tuple[EngineSettings, dt.tzinfo, float, float] | None = None
        # Cached earliest deadline; `_fast` is true when plain input can only
        # move deadlines later, so it may skip all bookkeeping.
        self._deadline = INF
        self._fast = False

    # ------------------------------------------------------------ queries

    @property
    def state(self) -> State:
        if self._suspended_at is not None:
            return State.SUSPENDED
        if self._locked_at is not None:
            return State.LOCKED
        if self._start is None:
            return State.AWAY
        if self._now - self._seen > self.settings.hold_after_idle and not self._in_call:
            return State.IDLE
        return State.SITTING

    @property
    def state_since(self) -> float | None:
        """When the current `state` began: the session's start while sitting,
        the last input while idle, the lock or the sleep, and while away the
        moment they left (None when nobody has been seen yet)."""
        state = self.state
        if state is State.SUSPENDED:
            return self._suspended_at
        if state is State.LOCKED:
            return self._locked_at
        if state is State.AWAY:
            return self._break_start
        if state is State.IDLE:
            return self._seen
        return self._start

    @property
    def session_start(self) -> float | None:
        return self._start

    @property
    def last_seen(self) -> float:
        return self._seen

    @property
    def in_call(self) -> bool:
        return self._calls > 0

    @property
    def watching(self) -> bool:
        return self._watching > 0

    @property
    def break_idle(self) -> float:
        """How long unlocked idle now makes a break: learned, or as configured."""
        return self._usual_idle()

    @property
    def paused_until(self) -> float | None:
        return self._paused_until if self._paused_until > self._now else None

    @property
    def snoozed_until(self) -> float | None:
        """When the snooze of this session ends, if one is on."""
        return self._snoozed_until if self._snoozed_until > self._now else None

    def next_prompt(self) -> tuple[float, PromptKind] | None:
        """The next prompt, and when it will be shown if the person is there and
        nothing else holds it: never before a pause, a snooze or quiet hours
        end. None outside a session, or when nothing can come before an event
        (an open-ended pause, no prompt kind on, work hours that never come)."""
        if self._start is None:
            return None
        due = [(t, k) for t, k in self._scheduled() if t < INF]
        if self._held is not None:
            due.append((self._now, self._held))
        shown = [(self._free_from(max(t, self._now)), k) for t, k in due]
        shown = [(t, k) for t, k in shown if t < INF]
        return min(shown, key=lambda x: (x[0], -_PRIORITY[x[1]])) if shown else None

    def next_deadline(self) -> float | None:
        """When the engine next needs `Tick`; None when only an event can change anything."""
        self._deadline = self._compute_deadline()
        return None if self._deadline == INF else self._deadline

    # ------------------------------------------------------------- events

    def handle(self, event: Event) -> tuple[Output, ...]:
        """Process one event (first firing every deadline up to its time)."""
        if type(event) is Activity:
            return self.activity(event.t)
        t = event.t
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise TypeError(f"not an engine event: {event!r}")
        out = self._advance(t) if t >= self._deadline else []
        self._clock(t)
        handler(self, event, out)
        self._settle(out)
        return tuple(out) if out else _NOTHING

    def activity(self, t: float) -> tuple[Output, ...]:
        """Keyboard or mouse activity at `t`: the hot path, kept as short as possible."""
        if self._fast and t < self._deadline and t - self._seen < self._gap_watch:
            if t >= self._now:
                self._now = self._seen = t
            elif t > self._seen:  # late, but still the latest input: it keeps its time
                self._seen = t
            return _NOTHING
        out = self._advance(t) if t >= self._deadline else []
        self._on_activity(t, out)
        self._settle(out)
        return tuple(out) if out else _NOTHING

    def feed(self, events: Iterable[Event]) -> list[Output]:
        """Handle many events; convenient for replay and tests."""
        out: list[Output] = []
        for ev in events:
            res = self.handle(ev)
            if res:
                out.extend(res)
        return out

    def reconfigure(self, settings: EngineSettings) -> None:
        """New settings (a config reload): the open session keeps its start and
        history, and its upcoming prompts are rescheduled under the new rules."""
        old, self.settings = self.settings, settings
        if self._start is None:
            return
        self._break_idle = self._usual_idle()
        start, s = self._start, settings
        now = self._now
        if PromptKind.MOVE not in s.enabled:
            self._move_at = INF
        elif self._move_level == 0:
            self._move_at = start + s.move_after
        elif self._move_at < INF:
            self._move_at += s.move_repeat - old.move_repeat
        elif self._held is not PromptKind.MOVE:  # switched back on
            self._move_at = now + s.move_repeat
        if PromptKind.POSTURE not in s.enabled:
            self._posture_at = INF
        elif self._posture_at < INF:
            self._posture_at = start + s.posture_after
        if not self._extra_kinds():
            self._extra_at = INF
        elif self._extra_at < INF:
            self._extra_at += s.extra_every - old.extra_every
        elif self._held not in EXTRA_KINDS:  # switched back on
            self._extra_at = max(now, start + s.extra_every)
        if self._held is not None and self._held not in s.enabled:
            self._held = None
        self._refresh()

    def learn_with(self, pauses: PauseModel | None) -> None:
        """Learn the break threshold with `pauses` from now on (None: use
        `break_idle` as configured); `reconfigure` after it applies it."""
        self.pauses = pauses
        self._gap_watch = GAP_MIN if pauses is not None else INF

    def rebase(self, offset: float) -> None:
        """Move every time the engine holds by `offset` seconds: the caller's
        timeline was re-anchored (the wall clock was stepped). Only ever
        called between sessions, so no session stretches or shrinks."""
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is not None and math.isfinite(value):
                setattr(self, name, value + offset)
        self._sat_from = [c + offset for c in self._sat_from]
        self._off_hours = None  # found on the old timeline
        self._refresh()

    def finish(self, t: float) -> tuple[Output, ...]:
        """Stop watching at `t` (daemon shutdown, end of a trace): close the session."""
        out = self._advance(t) if t >= self._deadline else []
        self._clock(t)
        if self._start is not None:
            left = self._left_at if self._absent else self._seen
            self._end_session(left, Cause.SHUTDOWN, out)
        self._break_start = None
        self._settle(out)
        return tuple(out)

    # ------------------------------------------------------------ handlers

    def _on_activity(self, t: float, out: list[Output]) -> None:
        now = self._clock(t)
        if self._suspended_at is not None:
            # Input while "asleep" means we missed the resume.
            self._on_resume(Resume(now), out)
        if self._locked_at is not None:
            # Typing the password on the lock screen: note when it began, and
            # treat a long unbroken stretch of it as an unlock we missed.
            if self._typed_first is None or now - self._typed_last > LOCK_SCREEN_GAP:
                self._typed_first = now
            self._typed_last = now
            if now - self._typed_first >= MISSED_UNLOCK_AFTER:
                self._on_unlock(Unlock(now), out)
            return
        if self._start is None and now < self._leaving_until:
            return  # getting up after "taking a break"
        # A late input keeps its own time inside a session (so it cannot
        # stretch it); a new session starts now, after what is decided.
        self._present(t if self._start is not None else now, out)

    def _on_lock(self, ev: Lock, out: list[Output]) -> None:
        t = self._clock(ev.t)
        self._tainted = True
        self._unlocked_at = None
        if self._locked_at is None:
            self._locked_at = t
            self._typed_first = None
            self._absence_begins(t, Cause.LOCK)
            self._withdraw(out)  # they got up

    def _on_unlock(self, ev: Unlock, out: list[Output]) -> None:
        t = self._clock(ev.t)
        if self._locked_at is None:
            return
        typed = self._typed_first if t - self._typed_last <= LOCK_SCREEN_GAP else None
        self._locked_at = None
        self._typed_first = None
        if self._suspended_at is None:
            self._absence_ends()
            back = typed if typed is not None and t - typed <= LOCK_SCREEN_RETURN else t
            if back == t and self._start is None:
                # Unlocked with no password typed here (a fingerprint, a
                # phone, a remote tool, a screen that unlocks itself): after a
                # break, that alone is not someone at the desk. The session
                # starts at the unlock once input or a call follows within
                # the idle limit; if none does, the break goes on (a session
                # of nothing but an unlock would end back-dated to it anyway).
                self._unlocked_at = t
                return
            self._present(back, out)
            if back < t:
                self._present(t, out)

    def _on_suspend(self, ev: Suspend, out: list[Output]) -> None:
        t = self._clock(ev.t)
        self._tainted = True
        self._unlocked_at = None
        if self._suspended_at is None:
            self._suspended_at = t
            self._absence_begins(t, Cause.SUSPEND)
            self._withdraw(out)

    def _on_resume(self, ev: Resume, out: list[Output]) -> None:
        self._clock(ev.t)
        if self._suspended_at is None:
            return
        self._suspended_at = None
        if self._locked_at is None:
            # Waking up is not a person (wake timers, a lid bumped): wait for input.
            self._absence_ends()

    def _on_call_start(self, ev: CallStart, out: list[Output]) -> None:
        t = self._clock(ev.t)
        self._calls += 1
        self._tainted = True
        if not self._absent:
            self._present(t, out)

    def _on_call_end(self, ev: CallEnd, out: list[Output]) -> None:
        if self._calls:
            self._calls -= 1
            self._seated_until(ev.t, out)

    def _on_watch_start(self, ev: WatchStart, out: list[Output]) -> None:
        self._clock(ev.t)
        self._watching += 1
        self._tainted = True

    def _on_watch_end(self, ev: WatchEnd, out: list[Output]) -> None:
        if self._watching:
            self._watching -= 1
            self._seated_until(ev.t, out)

    def _seated_until(self, t: float, out: list[Output]) -> None:
        """A call or video just ended: they were seated through it (unless the
        cap or a lock already ended the session)."""
        now = self._clock(t)
        self._tainted = True  # the stillness before was the call's or video's
        if not self._absent and self._start is not None:
            self._present(now, out)

    def _on_desktop_busy(self, ev: DesktopBusy, out: list[Output]) -> None:
        t = self._clock(ev.t)
        self._desktop_busy = ev.busy
        if not ev.busy:
            self._try_deliver_held(t, out)

    def _on_pause(self, ev: Pause, out: list[Output]) -> None:
        t = self._clock(ev.t)
        self._paused_until = INF if ev.until is None else max(ev.until, t)

    def _on_unpause(self, ev: Unpause, out: list[Output]) -> None:
        t = self._clock(ev.t)
        # "Resume" means prompts again, whichever of the two held them.
        self._paused_until = -INF
        self._snoozed_until = -INF
        self._try_deliver_held(t, out)

    def _on_snooze(self, ev: Snooze, out: list[Output]) -> None:
        t = self._clock(ev.t)
        # The latest snooze says how long: `snooze 1m` after `snooze 10m`
        # means prompts again in 1 minute. It ends with the session it holds.
        self._snoozed_until = t + max(ev.duration, 0.0)
        self._try_deliver_held(t, out)

    def _on_break_now(self, ev: BreakNow, out: list[Output]) -> None:
        now = self._clock(ev.t)
        if self._start is not None:
            # They said so: the session ends now (or when they left, if a lock
            # already sent them away), and what they do while getting up
            # does not start the next one.
            self._end_session(self._left_at if self._absent else now, Cause.BREAK_NOW, out)
            self._leaving_until = now + BREAK_NOW_GRACE

    def _on_tick(self, ev: Tick, out: list[Output]) -> None:
        self._clock(ev.t)

    # ----------------------------------------------------------- the core

    @property
    def _absent(self) -> bool:
        return self._locked_at is not None or self._suspended_at is not None

    @property
    def _in_call(self) -> bool:
        return self._calls > 0 or self._watching > 0

    def _idle_limit(self) -> float:
        if self._in_call:
            return self.settings.call_idle_max
        start = self._start
        if self.pauses is not None and start is not None and self._seen - start < self._early_for:
            # Someone who just sat down rarely gets up again at once: a
            # pause this early in a session must be longer to be a break.
            return self._break_idle * EARLY_SESSION_FACTOR
        return self._break_idle

    def _clock(self, t: float) -> float:
        """Time never runs backwards inside the engine: late events happen now."""
        self._now = max(self._now, t)
        return self._now

    def _absence_begins(self, t: float, cause: Cause) -> None:
        if self._absent_from < INF:
            return  # already away (locked, then suspended): the first cause stands
        self._absent_from = t
        # A lock long after the last input was the screen saver's doing: the
        # person had already gone. Otherwise they were there until they locked.
        auto = t - self._seen >= self.settings.auto_lock_idle and not self._in_call
        self._left_at = self._seen if auto and self._start is not None else t
        self._end_cause = cause

    def _absence_ends(self) -> None:
        self._absent_from = INF
        self._left_at = INF
        if self._start is not None:
            self._end_cause = Cause.IDLE

    def _present(self, t: float, out: list[Output]) -> None:
        """A sign of a person at `t`: start a session or keep one going."""
        if self._start is None:
            unlocked, self._unlocked_at = self._unlocked_at, None
            if unlocked is not None and t - unlocked <= self._usual_idle():
                self._start_session(unlocked, out)  # back since the unlock
            else:
                self._start_session(t, out)
        elif t - self._seen >= self._gap_watch and not self._tainted and not self._in_call:
            self._pause_ended(t - self._seen)
            self._after_walk(t, t - self._seen)
        self._tainted = False
        self._seen = max(self._seen, t)
        if self._held is not None:
            self._try_deliver_held(self._now, out)

    def _start_session(self, t: float, out: list[Output]) -> None:
        s = self.settings
        carry = INF
        self._early_for = EARLY_SESSION
        if self._break_start is not None:
            b = self._break_start
            if self._local_date(b) == self._local_date(t) and t > b:
                out.append(BreakTaken(t, b, t, self._break_cause))
            carry = self._break_ended(t - b, t)
        self._break_start = None
        self._start = t
        self._seen = t
        self._sat_from = [t]
        self._break_idle = self._usual_idle()
        self._end_cause = Cause.IDLE
        self._break_cause = Cause.IDLE
        self._move_level = 0
        self._held = None
        self._move_at = t + s.move_after if PromptKind.MOVE in s.enabled else INF
        # Perhaps no break at all: then the movement clock goes on from before.
        self._move_at = min(self._move_at, carry)
        self._posture_at = t + s.posture_after if PromptKind.POSTURE in s.enabled else INF
        if self._move_at - self._posture_at < s.posture_guard:
            self._posture_at = INF  # a movement prompt is coming anyway
        # The optional kinds are for long sittings only: whoever gets up
        # regularly is not asked to do more.
        self._extra_at = t + s.extra_every if self._extra_kinds() else INF
        out.append(SessionStarted(t))

    def _end_session(self, end: float, cause: Cause, out: list[Output]) -> None:
        start = self._start
        assert start is not None
        end = max(start, end)
        out.append(SessionEnded(self._now, start, end, cause))
        self._withdraw(out)
        if self._held is PromptKind.MOVE:
            self._carry_move_at = -INF  # it was due already
        else:
            self._carry_move_at = self._move_at
        self._start = None
        self._held = None
        self._snoozed_until = -INF  # a snooze is for one session
        self._posture_at = self._move_at = self._extra_at = INF
        self._break_start = end
        self._break_cause = Cause.IDLE if cause is Cause.SHUTDOWN else cause

    # ------------------------------------------------- learning the person

    def _usual_idle(self) -> float:
        """How long unlocked idle makes a break: learned, or as configured."""
        return self.pauses.threshold if self.pauses is not None else self.settings.break_idle

    def _after_walk(self, back: float, gap: float) -> None:
        """Input again at `back` after an unlocked idle `gap` inside a session
        (only watched with a learned threshold).

        A gap of BREAK_MIN or more may have been a short walk: the person may
        have sat down afresh at `back`, so the sitting may have begun there.
        After a gap of WALK_MIN or more, once the session has had its first
        movement prompt, the next one (or one that waited for them) comes no
        sooner than `heeded_within` after `back`, so someone who just walked
        is not told to get up; yet no later than the first prompt's time of
        any sitting that may have begun and has had no prompt yet, so someone
        who sat on through the gap still gets theirs."""
        s = self.settings
        if gap < BREAK_MIN or PromptKind.MOVE not in s.enabled:
            return
        held = self._held
        if gap >= WALK_MIN and self._move_level > 0 and held in (None, PromptKind.MOVE):
            due = back if held is PromptKind.MOVE else self._move_at
            by = min((c + s.move_after for c in self._sat_from), default=INF)
            later = min(max(due, back + s.heeded_within), max(due, by))
            if later > due:
                self._held = None
                self._move_at = later
        self._sat_from.append(back)
        if len(self._sat_from) > _MAX_SAT_FROM:
            del self._sat_from[0]

    def _prompted(self, t: float) -> None:
        """A movement prompt at `t`: every sitting that may have begun early
        enough has had its prompt."""
        since = t - (self.settings.move_after - PROMPT_EARLY)
        self._sat_from = [c for c in self._sat_from if c > since]

    def _pause_ended(self, gap: float) -> None:
        """Input again after an unlocked idle `gap` inside a session: learn from it."""
        pauses = self.pauses
        assert pauses is not None
        if pauses.observe_gap(gap) and self._end_cause is not Cause.BREAK_NOW:
            self._break_idle = pauses.threshold

    def _break_ended(self, gap: float, t: float) -> float:
        """A session starts at `t`, `gap` after the last one ended: learn from
        the gap, and say when the next movement prompt is due if the break was
        not sure (INF: as for a fresh session)."""
        carry, self._carry_move_at = self._carry_move_at, INF
        pauses = self.pauses
        if pauses is None:
            return INF
        cause = self._break_cause
        if cause is Cause.IDLE:
            sure = pauses.sure_break(gap)
            pauses.observe_gap(gap)
            if not sure:
                self._early_for = EARLY_AFTER_UNSURE
                if carry < INF:
                    return max(carry, t + self.settings.heeded_within)
        elif cause is not Cause.SHUTDOWN:
            pauses.observe_break(gap)
        return INF

    def _advance(self, t: float) -> list[Output]:
        """Fire every deadline up to and including `t`, in time order."""
        out: list[Output] = []
        while True:
            d = self._compute_deadline()
            if d > t:
                self._refresh()
                return out
            # A deadline that passed while we were away (locked) fires now.
            self._fire(self._clock(d), out)

    def _fire(self, now: float, out: list[Output]) -> None:
        s = self.settings
        if self._start is not None:
            if self._absent:
                if now >= self._absent_from + s.break_locked:
                    self._end_session(self._left_at, self._end_cause, out)
                    return
            elif now >= self._seen + self._idle_limit():
                # In a call or a video, stillness counted as sitting up to the
                # cap; otherwise they left at their last sign.
                end = self._seen + self.settings.call_idle_max if self._in_call else self._seen
                self._end_session(end, self._end_cause, out)
                return
        # Prompts whose time has come, most important first; lesser ones that
        # collide are dropped (posture) or deferred (the optional kinds).
        if self._start is not None and not self._absent:
            if self._move_at <= now:
                self._move_at = INF
                self._due(PromptKind.MOVE, now, out)
            if self._posture_at <= now:
                self._posture_at = INF
                if now - self._last_prompt >= s.posture_guard:
                    self._due(PromptKind.POSTURE, now, out)
            if self._extra_at <= now:
                soon = min(self._move_at, self._posture_at)
                if now - self._last_prompt < s.posture_guard or soon - now < s.posture_guard:
                    later = self._last_prompt + s.posture_guard
                    if soon - now < s.posture_guard:
                        later = max(later, soon + s.posture_guard)
                    self._extra_at = max(later, now + _MIN_STEP)
                else:
                    self._extra_at = INF
                    self._due(self._next_extra_kind(), now, out)
        # A held prompt waiting for the end of a pause, snooze or quiet hours.
        if self._held is not None:
            self._try_deliver_held(now, out)

    def _due(self, kind: PromptKind, now: float, out: list[Output]) -> None:
        held = self._held
        giving_way: PromptKind | None
        if held is not None and _PRIORITY[kind] < _PRIORITY[held]:
            giving_way = kind  # a more important prompt is waiting already
        else:
            giving_way, self._held = held, kind
        if giving_way in EXTRA_KINDS:
            # The optional prompt gives way, and takes its turn a little after
            # the one it gave way to (see `_try_deliver_held`).
            self._extra_at = INF
        self._try_deliver_held(now, out)

    def _try_deliver_held(self, now: float, out: list[Output]) -> None:
        kind = self._held
        if kind is None or self._start is None or self._blocked(now):
            return
        if now - self._seen > self.settings.hold_after_idle and not self._in_call:
            return  # nobody there: wait for them to come back
        self._held = None
        s = self.settings
        if kind in EXTRA_KINDS:
            self._extra_turn += 1
            self._extra_at = now + s.extra_every
        else:
            if kind is PromptKind.MOVE:
                self._prompted(now)
                self._move_level += 1
                self._move_at = now + s.move_repeat
                self._posture_at = INF
            if self._extra_at == INF and self._extra_kinds():
                # An optional prompt gave way to this one: its turn comes next.
                self._extra_at = now + max(s.posture_guard, _MIN_STEP)
        self._last_prompt = now
        self._on_screen = True
        out.append(
            PromptDue(
                now, kind, self._move_level if kind is PromptKind.MOVE else 1, now - self._start
            )
        )

    def _withdraw(self, out: list[Output]) -> None:
        """The prompt on screen, if any, no longer applies: say so."""
        if self._on_screen:
            self._on_screen = False
            out.append(PromptWithdrawn(self._now))

    def _blocked(self, now: float) -> bool:
        return (
            self._absent
            or self._desktop_busy
            or now < self._paused_until
            or now < self._snoozed_until
            or self._off_hours_until(now) is not None
        )

    def _free_from(self, t: float) -> float:
        """The first time from `t` on that no pause, snooze or off-hours holds
        prompts back (INF: none is in sight)."""
        for _ in range(_MAX_CHAIN):
            if t < self._paused_until:
                t = self._paused_until
            elif t < self._snoozed_until:
                t = self._snoozed_until
            else:
                end = self._off_hours_until(t)
                if end is None:
                    return t
                t = end
            if t == INF:
                return INF
        return t

    def _off_hours_until(self, now: float) -> float | None:
        """If `now` is in quiet hours or outside work time, when prompts may come
        again (INF: never); else None."""
        s = self.settings
        if not s.quiet_hours and not s.limits_work_time:
            return None  # the common case, kept cheap
        known = self._off_hours  # a prompt held through quiet hours asks on every input
        if (
            known is not None
            and known[0] is s
            and known[1] is self.tz
            and known[2] <= now < known[3]
        ):
            return known[3]
        t = now
        # One stretch can run into another (work starts at 09:00, but 09:00 to
        # 09:30 is quiet): follow them to the first time that is neither, or
        # (a config that never allows a prompt) as far as _MAX_CHAIN goes.
        for _ in range(_MAX_CHAIN):
            end = self._quiet_end(t) if s.quiet_hours else None
            if end is None:
                end = self._work_starts(t)
            if end is None:
                break
            if end == INF:
                return INF
            t = end
        if t == now:
            return None
        self._off_hours = (s, self.tz, now, t)  # all of [now, t) is off hours
        return t

    def _work_starts(self, now: float) -> float | None:
        """If `now` is outside work days and hours, when work time next begins
        (INF: never); else None. A range wrapping past midnight belongs to the
        day it starts on: a Friday night shift goes on into Saturday."""
        s = self.settings
        if not s.limits_work_time:
            return None
        local = dt.datetime.fromtimestamp(now, self.tz)
        today = local.date()
        minute = local.hour * 60 + local.minute
        ranges = s.work_hours or (_WHOLE_DAY,)
        yesterday = (today - dt.timedelta(days=1)).weekday()
        for r in ranges:
            if r.start_min < r.end_min:
                if today.weekday() in s.work_days and r.contains(minute):
                    return None
            elif (today.weekday() in s.work_days and minute >= r.start_min) or (
                yesterday in s.work_days and minute < r.end_min
            ):
                return None
        starts = [
            self._local_time(today + dt.timedelta(days=k), r.start_min)
            for k in range(8)  # a week ahead, and today's later ranges
            if (today + dt.timedelta(days=k)).weekday() in s.work_days
            for r in ranges
        ]
        later = [t for t in starts if t > now]
        return max(min(later), now + 1.0) if later else INF

    def _local_time(self, day: dt.date, minute_of_day: int) -> float:
        h, m = divmod(minute_of_day, 60)
        local = dt.datetime.combine(day, dt.time(0), self.tz) + dt.timedelta(hours=h, minutes=m)
        return local.timestamp()

    def _quiet_end(self, now: float) -> float | None:
        """If `now` is in quiet hours, when they end; else None."""
        local = dt.datetime.fromtimestamp(now, self.tz)
        minute = local.hour * 60 + local.minute
        for q in self.settings.quiet_hours:
            if q.contains(minute):
                end_day = local.date()
                if q.end_min <= minute:  # wraps past midnight
                    end_day += dt.timedelta(days=1)
                h, m = divmod(q.end_min, 60)
                end = dt.datetime.combine(end_day, dt.time(0), self.tz) + dt.timedelta(
                    hours=h, minutes=m
                )
                return max(end.timestamp(), now + 1.0)
        return None

    def _next_extra_kind(self) -> PromptKind:
        kinds = self._extra_kinds()
        return kinds[self._extra_turn % len(kinds)]

    def _extra_kinds(self) -> tuple[PromptKind, ...]:
        return tuple(k for k in EXTRA_KINDS if k in self.settings.enabled)

    def _scheduled(self) -> list[tuple[float, PromptKind]]:
        extra = self._next_extra_kind() if self._extra_at < INF else PromptKind.STRETCH
        return [
            (self._move_at, PromptKind.MOVE),
            (self._posture_at, PromptKind.POSTURE),
            (self._extra_at, extra),
        ]

    def _compute_deadline(self) -> float:
        if self._start is None:
            return INF
        if self._absent:
            return self._absent_from + self.settings.break_locked
        d = min(self._seen + self._idle_limit(), self._move_at, self._posture_at, self._extra_at)
        if self._held is not None:
            # Only time can unblock a pause, snooze or quiet hours; presence
            # comes with an event.
            now = self._now
            if now < self._paused_until:
                d = min(d, self._paused_until)
            elif now < self._snoozed_until:
                d = min(d, self._snoozed_until)
            else:
                end = self._off_hours_until(now)
                if end is not None:
                    d = min(d, end)
        return d

    def _settle(self, out: list[Output]) -> None:
        """After an event: fire what it made overdue, then cache the next deadline."""
        self._refresh()
        if self._deadline <= self._now:
            out.extend(self._advance(self._now))

    def _refresh(self) -> None:
        self._deadline = self._compute_deadline()
        # Plain input can take the fast path when all it would do is push the
        # idle deadline later: a session open, nothing held, nobody away.
        self._fast = self._start is not None and self._held is None and not self._absent

    def _local_date(self, t: float) -> dt.date:
        return dt.datetime.fromtimestamp(t, self.tz).date()


#: Every attribute holding a time on the caller's timeline (for `rebase`).
_TIME_FIELDS = (
    "_now",
    "_start",
    "_seen",
    "_locked_at",
    "_suspended_at",
    "_absent_from",
    "_left_at",
    "_typed_first",
    "_typed_last",
    "_unlocked_at",
    "_break_start",
    "_posture_at",
    "_move_at",
    "_extra_at",
    "_last_prompt",
    "_paused_until",
    "_snoozed_until",
    "_leaving_until",
    "_deadline",
    "_carry_move_at",
)

_Handler = Callable[[Engine, Any, list[Output]], None]
_HANDLERS: dict[type, _Handler] = {
    Lock: Engine._on_lock,
    Unlock: Engine._on_unlock,
    Suspend: Engine._on_suspend,
    Resume: Engine._on_resume,
    CallStart: Engine._on_call_start,
    CallEnd: Engine._on_call_end,
    WatchStart: Engine._on_watch_start,
    WatchEnd: Engine._on_watch_end,
    DesktopBusy: Engine._on_desktop_busy,
    Pause: Engine._on_pause,
    Unpause: Engine._on_unpause,
    Snooze: Engine._on_snooze,
    BreakNow: Engine._on_break_now,
    Tick: Engine._on_tick,
}
