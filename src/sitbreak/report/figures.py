"""The figures behind every report: periods, days, totals, trends, advice, timelines.

Each format has its own renderer beside this module (text, markdown, json,
csv, html); `render` chooses one. Every day's figures come from
`Store.day_figures`, the code path the daemon's end-of-day line uses, so the
two agree to the second. The stored sessions and breaks are read only to draw
the timeline; nothing here counts or sums them into figures of its own, apart
from adding whole days' figures into a period's totals.

The format of the JSON and CSV output is documented in docs/report-format.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sitbreak.core import DayFigures, EngineSettings, PromptDue, PromptKind, SessionEnded
from sitbreak.errors import SitbreakError
from sitbreak.text import count, duration, got_up_phrase, signed_duration

if TYPE_CHECKING:
    from sitbreak.storage.store import Store

DAY = dt.timedelta(days=1)
#: Version of the JSON document; bump on incompatible changes.
JSON_VERSION = 1

# ----------------------------------------------------------------- dates

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str, today: dt.date) -> dt.date:
    """'today', 'yesterday' or YYYY-MM-DD; anything else is a SitbreakError."""
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - DAY
    # fromisoformat alone would also take "20261116" and week dates.
    if not _DATE_RE.fullmatch(word):
        raise SitbreakError(f"bad date {text!r}: expected YYYY-MM-DD, 'today' or 'yesterday'")
    try:
        return dt.date.fromisoformat(word)
    except ValueError as exc:
        raise SitbreakError(f"bad date {text!r}: {exc}") from None


@dataclass(frozen=True)
class Period:
    """An inclusive run of local dates: a day, an ISO week, a month or any range."""

    kind: str  # "day" | "week" | "month" | "range"
    first: dt.date
    last: dt.date

    def dates(self) -> list[dt.date]:
        return [self.first + i * DAY for i in range((self.last - self.first).days + 1)]

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.first - DAY
            return Period("month", last.replace(day=1), last)
        n = (self.last - self.first).days + 1
        return Period(self.kind, self.first - n * DAY, self.first - DAY)

    @property
    def noun(self) -> str:
        return {"day": "day", "week": "week", "month": "month"}.get(self.kind, "period")

    def title(self) -> str:
        f, la = self.first, self.last
        if self.kind == "day":
            return f"{f:%A} {f.day} {f:%B %Y}"
        if self.kind == "week":
            iso = f.isocalendar()
            return f"Week {iso.week} of {iso.year}, {_span(f, la)}"
        if self.kind == "month":
            return f"{f:%B %Y}"
        return _span(f, la)


def _span(f: dt.date, la: dt.date) -> str:
    if f.year != la.year:
        return f"{f.day} {f:%B %Y} – {la.day} {la:%B %Y}"
    if f.month != la.month:
        return f"{f.day} {f:%B} – {la.day} {la:%B %Y}"
    return f"{f.day}–{la.day} {la:%B %Y}"


def choose_period(
    when: str | None,
    *,
    week: str | None,
    month: str | None,
    first: str | None,
    last: str | None,
    today: dt.date,
) -> Period:
    """The period the command line asks for. `week`/`month` are "" when given without a date."""
    if first is not None or last is not None:
        if first is None:
            raise SitbreakError("--to needs --from")
        a = parse_date(first, today)
        b = parse_date(last, today) if last is not None else today
        if b < a:
            to = (
                f"--to {b}" if last is not None else f"today ({b}), where a range ends without --to"
            )
            raise SitbreakError(f"--from {a} is after {to}")
        if (b - a).days > 3660:
            raise SitbreakError("a report covers at most ten years; choose a shorter range")
        return Period("range", a, b)
    if week is not None:
        d = parse_date(week or when or "today", today)
        monday = d - d.weekday() * DAY
        return Period("week", monday, monday + 6 * DAY)
    if month is not None:
        d = parse_date(month or when or "today", today)
        nxt = (d.replace(day=28) + 4 * DAY).replace(day=1)
        return Period("month", d.replace(day=1), nxt - DAY)
    d = parse_date(when or "today", today)
    return Period("day", d, d)


def day_bounds(date: dt.date, tz: dt.tzinfo) -> tuple[float, float]:
    """Epoch seconds of the day's local midnight and the next; 23 or 25 h apart on DST days."""
    start = dt.datetime.combine(date, dt.time(0), tz).timestamp()
    return start, dt.datetime.combine(date + DAY, dt.time(0), tz).timestamp()


# ------------------------------------------------------------- gathering

#: Classes of timeline segments, in the order they are painted (later wins).
SESSION_CLASSES = ("ok", "over", "long")


def session_class(length_s: float, limit_s: float) -> str:
    """ "ok" up to the limit, "over" past it, "long" past twice it (as DayLedger counts "over")."""
    if length_s > 2 * limit_s:
        return "long"
    return "over" if length_s > limit_s else "ok"


#: A session's cause while it has not ended yet (the engine's causes are for ended ones).
OPEN = "open"


@dataclass(frozen=True)
class Piece:
    """A session or break as seen within one day: cut at the day's midnights."""

    start: float
    end: float
    cls: str  # "ok" | "over" | "long" | "break"
    cause: str  # a Cause's value, or OPEN
    cut_before: bool = False  # began the day before
    cut_after: bool = False  # goes on into the next day

    @property
    def length(self) -> float:
        return self.end - self.start

    @property
    def ended_by(self) -> str:
        """Why this part ended: the cause, 'midnight' for a part cut there, or 'open'."""
        return "midnight" if self.cut_after else self.cause

    def ended_words(self) -> str:
        """'ended by lock', 'ended by midnight'; 'still going' for the open session."""
        return "still going" if self.ended_by == OPEN else f"ended by {self.ended_by}"


@dataclass
class Day:
    date: dt.date
    start: float
    end: float
    figures: DayFigures
    #: The part of the day sitbreak was recording (None: none of it); see `source_extent`.
    recorded: tuple[float, float] | None
    sessions: list[Piece] = field(default_factory=list)
    breaks: list[Piece] = field(default_factory=list)
    prompts: list[PromptDue] = field(default_factory=list)
    #: When the daemon reloaded its config that day: the figures mix two configs.
    reloads: list[float] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 3600


@dataclass(frozen=True)
class Totals:
    days: int
    days_with_sitting: int
    sitting_s: float
    sessions: int
    longest_session_s: float
    sessions_over_limit: int
    breaks: int
    break_s: float
    prompts: int
    move_prompts: int
    prompts_heeded: int
    prompts_by_kind: dict[str, int]

    @classmethod
    def of(cls, figures: Sequence[DayFigures]) -> Totals:
        return cls(
            days=len(figures),
            days_with_sitting=sum(1 for f in figures if f.sessions),
            sitting_s=sum(f.sitting_s for f in figures),
            sessions=sum(f.sessions for f in figures),
            longest_session_s=max((f.longest_session_s for f in figures), default=0.0),
            sessions_over_limit=sum(f.sessions_over_limit for f in figures),
            breaks=sum(f.breaks for f in figures),
            break_s=sum(f.break_s for f in figures),
            prompts=sum(f.prompts for f in figures),
            move_prompts=sum(f.prompts_by_kind.get(PromptKind.MOVE.value, 0) for f in figures),
            prompts_heeded=sum(f.prompts_heeded for f in figures),
            prompts_by_kind=dict(
                sorted(sum((Counter(f.prompts_by_kind) for f in figures), Counter()).items())
            ),
        )

    def as_dict(self) -> dict[str, object]:
        return {k: round(v, 1) if isinstance(v, float) else v for k, v in vars(self).items()}


@dataclass(frozen=True)
class Share:
    """One computer's part of a day or a period, from the synced folder."""

    name: str
    id: str
    input_s: float  # time with input on it
    prompts: int  # prompts it showed

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "id": self.id,
            "input_s": round(self.input_s, 1),
            "prompts": self.prompts,
        }


@dataclass(frozen=True)
class Computers:
    """With a [sync] folder, the person's day across computers: each one's part.

    `kept_from`: the first day the folder still holds whole ([sync] keep);
    a period that begins before it has only what is left of the days before.
    """

    period: tuple[Share, ...]
    days: dict[dt.date, tuple[Share, ...]]
    keep_days: int
    kept_from: dt.date
    #: Each computer's input, as disjoint spans in time order, under its name in `period`.
    spans: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [s.name for s in self.period]

    def used(self, start: float, end: float) -> list[str]:
        """The computers with input from `start` to `end` (both included: a
        session of no length has its one input), the first used first."""
        first: dict[str, float] = {}
        for name, spans in self.spans.items():
            i = bisect.bisect_left(spans, start, key=lambda s: s[1])  # the first to end after
            if i < len(spans) and spans[i][0] <= end:
                first[name] = max(spans[i][0], start)
        return sorted(first, key=first.__getitem__)

    def retention_note(self, first: dt.date) -> str | None:
        """Said when the period reaches back past what the folder keeps."""
        if first >= self.kept_from:
            return None
        return (
            f"the synced folder keeps each computer's last {count(self.keep_days, 'day')} "
            f"([sync] keep): days before {self.kept_from.day} {self.kept_from:%B %Y} have only "
            "what is left of them there; `sitbreak report --host NAME` on each computer "
            "reports its own days in full"
        )


@dataclass
class Report:
    period: Period
    source: str
    tz: dt.tzinfo
    limit_s: float
    now: float
    days: list[Day]
    #: The previous period, cut to as many days as have begun of this one (a fair trend).
    previous: Period
    previous_figures: list[DayFigures]
    #: For a one-day report: the seven days ending on it (the HTML week chart).
    week: list[DayFigures]
    #: A move prompt counts as heeded when a break begins this soon after it.
    heeded_within_s: float = 600.0
    #: With a [sync] folder (`--host all`): each computer's part; None: one computer.
    computers: Computers | None = None
    #: Without `computers`, the computer whose history this is: this one's name
    #: ([sync] name or the hostname), an import's host; "" for a replay (a trace).
    computer: str = ""

    def computers_of(self, piece: Piece) -> list[str]:
        """The computers a session (or its part in a day) was sat at, the first used first."""
        if self.computers is not None:
            return self.computers.used(piece.start, piece.end)
        return [self.computer] if self.computer else []

    def sat_at_words(self, piece: Piece) -> str:
        """Across computers, ', at desk, then laptop' for a session listed for
        people; '' in a one-computer report, where it would say the obvious."""
        if self.computers is None:
            return ""
        names = self.computers_of(piece)
        return ", at " + ", then ".join(names) if names else ""

    def elapsed(self) -> list[Day]:
        """The days of the period that have begun (a week report on Tuesday: Mon and Tue)."""
        return [d for d in self.days if d.start <= self.now] or self.days[:1]

    def totals(self) -> Totals:
        return Totals.of([d.figures for d in self.elapsed()])

    def trend(self) -> Trend | None:
        if self.period.kind == "day" or not self.previous_figures:
            return None
        return Trend(self.period.noun, self.totals(), Totals.of(self.previous_figures))

    def advice(self) -> Advice | None:
        return choose_advice(self.totals(), self.limit_s)


def source_extent(store: Store, source: str, now: float) -> tuple[float, float] | None:
    """From when to when `source` was recording, as far as the stored data tells.

    The store keeps no record of when the daemon ran, only what it saw, so:
    recording began with the first session stored under the source (a daemon
    started at noon shows its morning as not recorded, and so does a replay
    the hours before its trace), and ended with the last one for a replay,
    or goes on until now for the daemon (which may be running with nobody
    at the desk). A day in between is taken as recorded throughout.
    """
    from sitbreak.storage.store import DAEMON

    # Reads every session of the source once; a year is ~2,500 rows, a few ms.
    sessions = store.sessions_between(0.0, float("inf"), source)
    if not sessions:
        return None
    last = now if source == DAEMON else max(s.end for s in sessions)
    return sessions[0].start, max(last, sessions[0].start)


def _pieces(
    items: Sequence[tuple[float, float, str]], lo: float, hi: float, cls_of: str | float
) -> list[Piece]:
    """Cut (start, end, cause) items to [lo, hi); a float `cls_of` is the limit for sessions."""
    out = []
    for start, end, cause in items:
        s, e = max(start, lo), min(end, hi)
        if start == end:  # no length (one keystroke, then a stop): it still counts as a session
            if not lo <= start < hi:
                continue
        elif e <= s:
            continue
        cls = cls_of if isinstance(cls_of, str) else session_class(e - s, cls_of)
        out.append(Piece(s, e, cls, cause, start < lo, end > hi))
    return out


def _day(
    store: Store,
    figures: DayFigures,
    *,
    tz: dt.tzinfo,
    source: str,
    settings: EngineSettings,
    extent: tuple[float, float] | None,
    detail: bool,
    live: SessionEnded | None = None,
) -> Day:
    date = figures.date
    lo, hi = day_bounds(date, tz)
    recorded = None
    if extent is not None and extent[0] < hi and extent[1] > lo:
        recorded = (max(extent[0], lo), min(extent[1], hi))
    day = Day(date, lo, hi, figures, recorded)
    if detail:
        stored = store.sessions_between(lo, hi, source)
        still_open = store.open_session_starts(source)
        if live is not None:  # the open session as the daemon sees it, not its last checkpoint
            stored = [s for s in stored if s.start != live.start]
            still_open.add(live.start)
            if live.start < hi and live.end >= lo:
                stored.append(live)
        day.sessions = _pieces(
            [
                (s.start, s.end, OPEN if s.start in still_open else s.cause.value)
                for s in sorted(stored, key=lambda s: s.start)
            ],
            lo,
            hi,
            settings.move_after,
        )
        day.breaks = _pieces(
            [(b.start, b.end, b.cause.value) for b in store.breaks_between(lo, hi, source)],
            lo,
            hi,
            "break",
        )
        day.prompts = store.prompts_between(lo, hi, source)
    return day


def gather(
    store: Store,
    period: Period,
    *,
    source: str,
    tz: dt.tzinfo,
    settings: EngineSettings,
    now: float,
    detail: bool,
    previous: bool = True,
    week: bool = True,
    live: SessionEnded | None = None,
) -> Report:
    """Read what the renderers need; the figures through `Store.figures_between`.

    `detail`: also each day's sessions, breaks and prompts (timelines, --sessions).
    `previous`: the previous period's figures, for the trend. `week`: for a day,
    the six days before it (the HTML week chart). A year's CSV needs neither,
    and each is another read of the store. `live`: the running daemon's open
    session up to its latest input, which stands in for the stored row (whose
    end is only the last checkpoint), as in `sitbreak status`.
    """
    extent = source_extent(store, source, now)
    figures = store.figures_between(
        period.first, period.last, tz, source, settings=settings, live=live
    )
    days = [
        _day(
            store,
            f,
            tz=tz,
            source=source,
            settings=settings,
            extent=extent,
            detail=detail,
            live=live,
        )
        for f in figures
    ]
    _add_reloads(store, days, source)
    begun = sum(1 for d in days if d.start <= now) or 1
    prev = period.previous()
    prev = Period(prev.kind, prev.first, min(prev.last, prev.first + (begun - 1) * DAY))
    prev_figs = (
        store.figures_between(prev.first, prev.last, tz, source, settings=settings)
        if previous
        else []
    )
    seven: list[DayFigures] = []
    if period.kind == "day" and week:
        seven = store.figures_between(
            period.first - 6 * DAY, period.first - DAY, tz, source, settings=settings, live=live
        )
        seven.append(days[0].figures)
    return Report(
        period,
        source,
        tz,
        settings.move_after,
        now,
        days,
        prev,
        prev_figs,
        seven,
        heeded_within_s=settings.heeded_within,
    )


# ------------------------------------------------------- trend and advice


@dataclass(frozen=True)
class Trend:
    noun: str  # "week", "month", "period"
    now: Totals
    before: Totals

    @property
    def sitting_pct(self) -> float | None:
        if self.before.sitting_s <= 0:
            return None
        return 100.0 * (self.now.sitting_s - self.before.sitting_s) / self.before.sitting_s

    @property
    def longest_delta_s(self) -> float:
        return self.now.longest_session_s - self.before.longest_session_s

    def text(self) -> str:
        pct = self.sitting_pct
        if pct is None:
            return f"no sitting recorded in the previous {self.noun} to compare with"
        sign = "+" if round(pct) > 0 else "−" if round(pct) < 0 else "±"
        return (
            f"sitting {sign}{abs(round(pct))} % vs the previous {self.noun}, "
            f"longest session {signed_duration(self.longest_delta_s)}"
        )

    def as_dict(self) -> dict[str, object]:
        pct = self.sitting_pct
        return {
            "sitting_pct": None if pct is None else round(pct, 1),
            "longest_session_delta_s": round(self.longest_delta_s, 1),
            "sessions_over_limit_delta": self.now.sessions_over_limit
            - self.before.sessions_over_limit,
            "text": self.text(),
        }


@dataclass(frozen=True)
class Advice:
    rule: str
    text: str
    score: float


def choose_advice(t: Totals, limit_s: float) -> Advice | None:
    """The one tip that fits best: every rule that applies scores how far off the day was.

    Scores are roughly "how many times the target was missed by", so a 1 h 40
    session against a 30-minute limit (3.3) outweighs 4 of 6 sessions over
    the limit (1.7). Praise and the general tip score lowest: they are given
    only when nothing needs saying. Wording follows shared/EVIDENCE.md:
    movement, not medicine.
    """
    if t.sessions == 0 or t.sitting_s < limit_s:
        # Less sitting than one limit's worth: no habit to praise or correct
        # ("no session ran past 30 min ... well broken up" on a near-empty day).
        return None
    limit = duration(limit_s)
    candidates: list[Advice] = []
    if t.longest_session_s > 1.5 * limit_s:
        candidates.append(
            Advice(
                "long_session",
                f"Your longest session was {duration(t.longest_session_s)} — try a movement break "
                f"at {limit}: stand up and walk for two or three minutes.",
                t.longest_session_s / limit_s,
            )
        )
    if t.sessions_over_limit >= 3 and t.sessions_over_limit * 2 >= t.sessions:
        candidates.append(
            Advice(
                "many_over_limit",
                f"{t.sessions_over_limit} of your {t.sessions} sessions ran past {limit}. "
                "When the reminder comes, get up, even if only to refill your water.",
                1.0 + t.sessions_over_limit / t.sessions,
            )
        )
    expected = t.sitting_s / (2 * limit_s)  # about one real break an hour
    if t.sitting_s >= 2 * 3600 and t.breaks < expected / 2:
        candidates.append(
            Advice(
                "few_breaks",
                f"{'Only ' + count(t.breaks, 'break') if t.breaks else 'No breaks'} in "
                f"{duration(t.sitting_s)} of sitting. A short walk to the window, the kitchen or "
                "the stairs every half hour keeps the back from stiffening.",
                1.0 + expected / (t.breaks + 1),
            )
        )
    if t.move_prompts >= 4 and t.prompts_heeded * 3 < t.move_prompts:
        candidates.append(
            Advice(
                "prompts_ignored",
                f"You got up after {t.prompts_heeded} of your "
                f"{count(t.move_prompts, 'movement reminder')}. "
                "If they come at bad moments, snooze them (sitbreak snooze) or change "
                "move_after in your config rather than ignore them.",
                1.5 + (1 - 3 * t.prompts_heeded / t.move_prompts),
            )
        )
    if t.sessions_over_limit == 0 and t.breaks > 0:
        candidates.append(
            Advice(
                "good_day",
                f"No session ran past {limit}, and you took {count(t.breaks, 'break')}. "
                "Well broken up — keep it going.",
                1.0,
            )
        )
    candidates.append(
        Advice(
            "steady",
            f"A steady {'day' if t.days == 1 else 'stretch'}. Two minutes of walking after "
            f"each {limit} of sitting is the easiest habit to keep.",
            0.0,
        )
    )
    return max(candidates, key=lambda a: a.score)


# ------------------------------------------------------- timeline segments

BACKGROUND = ("unrecorded", "future", "idle")
#: Later classes win where segments overlap: a session beats a break beats the background.
_PRIORITY = {c: i for i, c in enumerate((*BACKGROUND, "break", *SESSION_CLASSES))}


def segments(day: Day, now: float) -> list[tuple[float, float, str]]:
    """The day cut into non-overlapping (start, end, class) covering it exactly.

    Classes: "unrecorded" (nothing was being recorded), "future" (still to
    come), "idle" (recorded, nobody sitting and no break counted), "break",
    and the session classes "ok", "over", "long".
    """
    layers: list[tuple[float, float, str]] = [(day.start, day.end, "unrecorded")]
    if day.recorded is not None:
        layers.append((*day.recorded, "idle"))
    if now < day.end:
        layers.append((max(now, day.start), day.end, "future"))
    layers += [(p.start, p.end, p.cls) for p in (*day.breaks, *day.sessions)]
    cuts = sorted({t for s, e, _ in layers for t in (s, e) if day.start <= t <= day.end})
    out: list[tuple[float, float, str]] = []
    for a, b in itertools.pairwise(cuts):
        # "future" outranks "idle" but never a session already stored (clocks drift).
        cls = max(
            (c for s, e, c in layers if s <= a and e >= b),
            key=lambda c: _PRIORITY[c] if c != "future" else 2.5,
        )
        if out and out[-1][2] == cls and out[-1][1] == a:
            out[-1] = (out[-1][0], b, cls)
        else:
            out.append((a, b, cls))
    return out


def coverage(segs: list[tuple[float, float, str]], a: float, b: float) -> dict[str, float]:
    """Seconds of each class within [a, b)."""
    starts = [s for s, _, _ in segs]
    i = max(bisect.bisect_right(starts, a) - 1, 0)
    out: dict[str, float] = {}
    while i < len(segs) and segs[i][0] < b:
        s, e, c = segs[i]
        overlap = min(e, b) - max(s, a)
        if overlap > 0:
            out[c] = out.get(c, 0.0) + overlap
        i += 1
    return out


def _add_reloads(store: Store, days: Sequence[Day], source: str) -> None:
    """Each day's config reloads, from the daemon's activity timeline (one read)."""
    from sitbreak.storage.timeline import RELOADED

    if not days:
        return
    lo, hi = round(days[0].start * 1000), round(days[-1].end * 1000)
    for t in store.timeline_times(RELOADED, lo, hi, source):
        for day in days:
            if day.start <= t < day.end:
                day.reloads.append(t)


def config_change(day: Day, tz: dt.tzinfo) -> str | None:
    """'config reloaded at 14:02: ...', or None on a day with one config throughout."""
    if not day.reloads:
        return None
    times = " and ".join(f"{dt.datetime.fromtimestamp(t, tz):%H:%M}" for t in day.reloads)
    return f"config reloaded at {times}: the figures follow the settings before and after"


def clock_change(day: Day, tz: dt.tzinfo) -> str | None:
    """'25-hour day: the clocks went back from 03:00 to 02:00', or None on a 24-hour day."""
    if abs(day.hours - 24) < 1 / 120:
        return None
    lo, hi = day.start, day.end
    before = dt.datetime.fromtimestamp(lo, tz).utcoffset()
    # Bisect to the second the offset changed: zones shift by 30 min as well as by hours.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    assert before is not None
    old = dt.datetime.fromtimestamp(hi, dt.timezone(before))
    new = dt.datetime.fromtimestamp(hi, tz)
    way = "back" if day.hours > 24 else "forward"
    return f"{day.hours:g}-hour day: the clocks went {way} from {old:%H:%M} to {new:%H:%M}"


def day_state(day: Day, now: float) -> str:
    """ "sat", or why there is nothing: "future", "unrecorded" or "idle" (no sitting)."""
    if day.figures.sessions:
        return "sat"
    if day.start > now:
        return "future"
    return "unrecorded" if day.recorded is None else "idle"


def empty_day_words(day: Day, now: float) -> str:
    return {
        "future": "This day is still to come.",
        "unrecorded": "Nothing recorded: sitbreak was not recording on this day.",
    }.get(day_state(day, now), "No sitting recorded.")


#: The period table: (heading, width); the "over" heading names the limit.


# ------------------------------------------------------- words every format uses


def local_time(t: float, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, tz)


def tz_name(tz: dt.tzinfo) -> str:
    from sitbreak.storage.store import tz_label

    return tz_label(tz)


def key_figures(t: Totals, limit_s: float) -> list[tuple[str, str]]:
    """(label, value) of the key figures, for text and Markdown (HTML has its own cards)."""
    heeded = got_up_phrase(t.prompts_heeded, t.move_prompts)
    return [
        ("sitting", f"{duration(t.sitting_s)} in {count(t.sessions, 'session')}"),
        ("longest session", duration(t.longest_session_s)),
        (
            "over the limit",
            f"{t.sessions_over_limit} of {count(t.sessions, 'session')} longer than "
            f"{duration(limit_s)}",
        ),
        ("breaks", f"{t.breaks}, {duration(t.break_s)} in all" if t.breaks else "0"),
        ("prompts", f"{t.prompts} sent; {heeded}"),
    ]
