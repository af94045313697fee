"""`sitbreak tune`: thresholds proposed from one's own recorded weeks, each with its what-if.

Three thresholds matter most, and each is read off what the timeline shows
of the person (storage/timeline.py), in a way they can check:

- `break_idle`: where their pauses at the desk thin out. Every gap in input
  with no lock, sleep, call or video in it is a pause or a break; the
  proposal is the value between 5 and 10 minutes (where the best threshold
  lies for people as unlike as the v2 sample traces) with the fewest gaps
  within a minute of it, so a pause a little longer or shorter than usual
  does not flip between "still sitting" and "a break".
- `move_after`, within the sitting guidance (get up every 30 to 60
  minutes): the value with the most prompts that come in sittings going on
  for 10 minutes or more after them, less those that come when the person
  was about to get up anyway (within 10 minutes of the end); the earliest
  such value.
- `hold_after_idle`: the length that half of their short pauses at the desk
  stay under (from 15 s to 90 s): a prompt falling due in one of those is
  shown at once, one in a longer pause waits for them to come back.

Each proposal is replayed alone, everything else as today, and its figures
are set beside what happened (report/whatif.py).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sitbreak.core import EngineSettings, replay_events
from sitbreak.report.whatif import Outcome, pause_model, recorded, replayed_rows
from sitbreak.storage.store import Store
from sitbreak.storage.timeline import (
    CALL_END,
    CALL_START,
    INPUT,
    LOCK,
    RESUME,
    STARTED,
    STOPPED,
    SUSPEND,
    UNLOCK,
    WATCH_END,
    WATCH_START,
    Row,
    events_from_rows,
    recorded_rows,
    recorded_state,
    recorded_states,
    replay_step_ms,
)
from sitbreak.text import count, idle_text

MINUTE = 60.0
#: The store's name for the daemon's pause model (daemon/loop.py PAUSES_KEY).
PAUSES = "pauses"
#: Where a person's best break threshold lies (docs/inference.md, the v2 traces).
BREAK_IDLE_RANGE = (5 * MINUTE, 10 * MINUTE)
BREAK_IDLE_STEP = 30.0
#: Sitting guidance: get up at least every 30 to 60 minutes.
MOVE_AFTER_RANGE = (30 * MINUTE, 60 * MINUTE)
MOVE_AFTER_STEP = 5 * MINUTE
HOLD_RANGE = (15.0, 90.0)
#: Fewer pauses than this, and a proposal would be a guess: today's value stays.
MIN_PAUSES = 30
MIN_SESSIONS = 10
#: A gap this long is a night or a weekend, not a pause.
LONGEST_GAP_S = 4 * 3600.0


@dataclass
class Proposal:
    section: str
    key: str
    today: float
    proposed: float
    why: str
    #: The days replayed with only this value changed (None: it stays as it is).
    whatif: Outcome | None
    #: The value is learned (break_idle, by the pause model): shown, never written.
    learned: bool = False


@dataclass
class Tuning:
    first: dt.date
    last: dt.date
    tz: dt.tzinfo
    days_recorded: int
    recorded: Outcome
    proposals: list[Proposal]


def pauses(rows: Sequence[Row]) -> list[float]:
    """Gaps in input (seconds) with no lock, sleep, call, video or restart in them."""
    out: list[float] = []
    last_end: int | None = None
    calls = watching = 0
    for r in rows:
        kind = r.kind
        if kind == INPUT:
            if last_end is not None and calls == 0 and watching == 0:
                gap = (r.t_ms - last_end) / 1000
                if 0 < gap < LONGEST_GAP_S:
                    out.append(gap)
            last_end = r.t_ms + (r.arg or 0)
        elif kind in (LOCK, UNLOCK, SUSPEND, RESUME, STARTED, STOPPED):
            last_end = None
        elif kind == CALL_START:
            calls += 1
        elif kind == CALL_END:
            calls, last_end = max(0, calls - 1), None
        elif kind == WATCH_START:
            watching += 1
        elif kind == WATCH_END:
            watching, last_end = max(0, watching - 1), None
    return out


#: How a proposal's `why` ends when too little was recorded to propose anything.
TOO_FEW_TO_JUDGE = "to judge"


def _too_few(n: int, what: str, needed: int) -> str:
    """'1 sitting recorded; it takes 10 to judge': what there is, and how much it needs."""
    plural = what.replace("pause", "pauses", 1) if "pause" in what else what + "s"
    return f"{count(n, what, plural)} recorded; it takes {needed} {TOO_FEW_TO_JUDGE}"


def propose_break_idle(gaps: Sequence[float], today: float) -> tuple[float, str]:
    long = [g for g in gaps if g >= 2 * MINUTE]
    if len(long) < MIN_PAUSES:
        return today, _too_few(len(long), "pause of 2 minutes or more", MIN_PAUSES)
    lo, hi = BREAK_IDLE_RANGE
    candidates = [lo + i * BREAK_IDLE_STEP for i in range(int((hi - lo) / BREAK_IDLE_STEP) + 1)]

    def near(t: float) -> int:
        return sum(1 for g in long if t - MINUTE <= g <= t + MINUTE)

    best = min(candidates, key=lambda t: (near(t), abs(t - today), t))
    if lo <= today <= hi and near(today) <= near(best):
        best = today  # today's value is as good: no change for nothing
    shorter = sum(1 for g in long if g < best)
    return best, (
        f"your pauses at the desk thin out here: {near(best)} of {len(long)} gaps of 2 minutes "
        f"or more lasted within a minute of it ({shorter} were shorter, kept as sitting)"
    )


def propose_move_after(lengths: Sequence[float], today: float) -> tuple[float, str]:
    if len(lengths) < MIN_SESSIONS:
        return today, _too_few(len(lengths), "sitting", MIN_SESSIONS)
    lo, hi = MOVE_AFTER_RANGE
    candidates = [lo + i * MOVE_AFTER_STEP for i in range(int((hi - lo) / MOVE_AFTER_STEP) + 1)]

    def helped(m: float) -> int:  # they would have sat on at least 10 more minutes
        return sum(1 for length in lengths if length >= m + 10 * MINUTE)

    def wasted(m: float) -> int:  # they were about to get up anyway
        return sum(1 for length in lengths if m <= length < m + 10 * MINUTE)

    def score(m: float) -> int:
        return helped(m) - wasted(m)

    best = max(candidates, key=lambda m: (score(m), -m))
    if lo <= today <= hi and score(today) >= score(best):
        best = today  # today's value is as good: no change for nothing
    return best, (
        f"of {len(lengths)} sittings, {wasted(best)} would end within 10 minutes of this "
        f"prompt anyway and {helped(best)} would go on for 10 minutes or more after it "
        f"(guidance: {round(lo / MINUTE)} to {round(hi / MINUTE)} minutes)"
    )


def propose_hold(gaps: Sequence[float], break_idle: float, today: float) -> tuple[float, str]:
    short = [g for g in gaps if 10.0 <= g < min(break_idle, 5 * MINUTE)]
    if len(short) < MIN_PAUSES:
        return today, _too_few(len(short), "short pause", MIN_PAUSES)
    half = statistics.median(short)
    lo, hi = HOLD_RANGE
    value = min(hi, max(lo, round(half / 5) * 5))
    return float(value), (
        f"half of your {len(short)} short pauses at the desk (10 s to 5 min) are under "
        f"{round(half)} s: a prompt due in one of them is shown at once, in a longer one it "
        "waits for you"
    )


def tune(
    store: Store, *, first: dt.date, last: dt.date, tz: dt.tzinfo, settings: EngineSettings
) -> Tuning:
    rows = recorded_rows(store, first, last, tz)
    state = recorded_state(store, rows)
    states = recorded_states(store, rows)
    dates = {dt.datetime.fromtimestamp(r.t_ms / 1000, tz).date() for r in rows if r.kind == INPUT}
    days = {d for d in dates if first <= d <= last}
    gaps = pauses(rows)

    def whatif(changed: EngineSettings) -> Outcome:
        return replayed_rows(
            rows,
            first=first,
            last=last,
            tz=tz,
            settings=changed,
            long_s=settings.move_after,
            state=state,
            states=states,
        )

    proposals: list[Proposal] = []
    today_idle = settings.break_idle
    learned = None if settings.break_idle_set else pause_model(store.learned(PAUSES), settings)
    if learned is not None:
        today_idle = learned.threshold
    break_idle, why = propose_break_idle(gaps, today_idle)
    # A fixed value, as the person would write it (it stops the learning).
    with_idle = replace(settings, break_idle=break_idle, break_idle_set=True)
    if learned is not None:
        why = (
            f"sitbreak learns it from your pauses (now {idle_text(today_idle)}); a fixed "
            f"value would be {idle_text(break_idle)}: {why}. `--write` leaves it to the "
            "learning; set [session] break_idle yourself to fix it"
        )
    proposals.append(
        Proposal(
            "session",
            "break_idle",
            today_idle,
            break_idle,
            why,
            whatif(with_idle) if break_idle != today_idle else None,
            learned=learned is not None,
        )
    )
    # Sittings as the proposed break_idle cuts them.
    result = replay_events(events_from_rows(rows, replay_step_ms(with_idle)), with_idle, tz)
    # (a fixed break_idle learns nothing: no model states needed)
    lengths = [s.end - s.start for s in result.sessions if s.end > s.start]
    move_after, why = propose_move_after(lengths, settings.move_after)
    proposals.append(
        Proposal(
            "prompts",
            "move_after",
            settings.move_after,
            move_after,
            why,
            whatif(replace(settings, move_after=move_after))
            if move_after != settings.move_after
            else None,
        )
    )
    hold, why = propose_hold(gaps, break_idle, settings.hold_after_idle)
    proposals.append(
        Proposal(
            "prompts",
            "hold_after_idle",
            settings.hold_after_idle,
            hold,
            why,
            whatif(replace(settings, hold_after_idle=hold))
            if hold != settings.hold_after_idle
            else None,
        )
    )
    return Tuning(
        first=min(days, default=first),
        last=max(days, default=last),
        tz=tz,
        days_recorded=len(days),
        recorded=recorded(store, first, last, tz, settings),
        proposals=proposals,
    )
