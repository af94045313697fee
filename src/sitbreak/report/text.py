"""The report as text for a terminal: key figures, an hour-by-hour timeline, a row per day."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sitbreak.core import DayFigures
from sitbreak.report.figures import (
    BACKGROUND,
    SESSION_CLASSES,
    Day,
    Report,
    Totals,
    clock_change,
    config_change,
    coverage,
    day_state,
    empty_day_words,
    key_figures,
    local_time,
    segments,
    session_class,
    tz_name,
)
from sitbreak.text import count, duration

if TYPE_CHECKING:
    pass

# --------------------------------------------------------------- text


#: SGR codes: the 16 basic colours every terminal has; the glyphs differ without colour.
_ANSI = {
    "ok": "32",
    "over": "33",
    "long": "31",
    "break": "36",
    "idle": "2",
    "dim": "2",
    "bold": "1",
}
_GLYPH_COLOR = {"ok": "█", "over": "█", "long": "█", "break": "─", "idle": "·"}
_GLYPH_PLAIN = {"ok": "▒", "over": "▓", "long": "█", "break": "─", "idle": "·"}


class _Ink:
    """Wraps text in ANSI colours, or leaves it plain."""

    def __init__(self, color: bool) -> None:
        self.color = color
        self.glyphs = _GLYPH_COLOR if color else _GLYPH_PLAIN

    def __call__(self, text: str, style: str) -> str:
        code = _ANSI.get(style)
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and code and text.strip() else text

    def cell(self, cls: str, n: int = 1) -> str:
        return self(self.glyphs.get(cls, " ") * n, cls)

    def bar(self, seconds: float, scale_s: float, width: int, cls: str) -> str:
        """A horizontal bar `seconds / scale_s` of `width` cells, in eighths of a cell."""
        eighths = round(8 * width * min(seconds / scale_s, 1.0)) if scale_s > 0 else 0
        full, part = divmod(eighths, 8)
        text = "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])
        return self(text, cls)


def _header(report: Report) -> str:
    so_far = " (so far)" if report.days[0].start <= report.now < report.days[-1].end else ""
    return f"{report.period.title()}{so_far} · {report.source} · {tz_name(report.tz)}"


#: How the text report names a stretch with no sitting in it.
_EMPTY_WORDS = {"unrecorded": "not recorded", "future": "still to come", "idle": "no sitting"}


def _hour_rows(day: Day, now: float, tz: dt.tzinfo, ink: _Ink) -> list[str]:
    """One row per hour of the day (23, 24 or 25), a minute a cell.

    Runs of two or more hours with nothing but one background class (not
    recorded, still to come, no sitting) fold into one line, so a normal day
    does not print its night.
    """
    segs = segments(day, now)
    rows: list[tuple[float, float, str | None, str]] = []  # start, end, background, cells
    t = day.start
    while t < day.end - 0.5:
        end = min(t + 3600, day.end)
        cov = coverage(segs, t, end)
        only = next(iter(cov)) if len(cov) == 1 and next(iter(cov)) in BACKGROUND else None
        cells = "".join(ink.cell(_cell_class(segs, t + 60 * i)) for i in range(60))
        rows.append((t, end, only, cells))
        t = end
    out = [" " * 9 + "".join(f":{m:02d}".ljust(15) for m in (0, 15, 30, 45)).rstrip()]
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[i][2] is not None and rows[j + 1][2] == rows[i][2]:
            j += 1
        start, bg = rows[i][0], rows[i][2]
        if j > i and bg is not None:
            # The day's end is 24:00: "00:00–00:00" would read as no time at all.
            until = "24:00" if j == len(rows) - 1 else f"{local_time(rows[j][1], tz):%H:%M}"
            span = f"{local_time(start, tz):%H:%M}–{until}"
            out.append(ink(f"  {span}  {_EMPTY_WORDS[bg]}", "dim"))
        else:
            out.append(f"  {local_time(start, tz):%H:%M}  {rows[i][3]}")
        i = j + 1
    return out


def _cell_class(segs: list[tuple[float, float, str]], a: float) -> str:
    """What a one-minute cell shows: a session if sessions fill a quarter of it, else the most."""
    cov = coverage(segs, a, a + 60)
    sessions = {c: v for c, v in cov.items() if c in SESSION_CLASSES}
    if sum(sessions.values()) >= 15:
        return max(sessions, key=lambda c: sessions[c])
    return max(cov, key=lambda c: cov[c]) if cov else "unrecorded"


def _legend(ink: _Ink, limit_s: float) -> str:
    lim = duration(limit_s)
    parts = [
        f"{ink.cell('ok')} up to {lim}",
        f"{ink.cell('over')} over {lim}",
        f"{ink.cell('long')} over {duration(2 * limit_s)}",
        f"{ink.cell('break')} break",
        f"{ink.cell('idle')} no sitting",
        "blank: not recorded",
    ]
    return "  " + "   ".join(parts)


def _session_lines(report: Report, day: Day) -> list[str]:
    tz = report.tz
    out = []
    for p in day.sessions:
        a = "…" if p.cut_before else " "
        b = "…" if p.cut_after else " "
        out.append(
            f"    {a}{local_time(p.start, tz):%H:%M}–{local_time(p.end, tz):%H:%M}{b} "
            f"{duration(p.length):>11}  {p.ended_words()}{report.sat_at_words(p)}"
        )
    return out


def render_text(report: Report, *, color: bool, sessions: bool = False) -> str:
    ink = _Ink(color)
    if report.period.kind == "day":
        lines = _text_day(report, ink, sessions)
    else:
        lines = _text_period(report, ink, sessions)
    return "\n".join(lines) + "\n"


def _text_day(report: Report, ink: _Ink, sessions: bool) -> list[str]:
    (day,) = report.days
    t = report.totals()
    lines = [ink(_header(report), "bold"), ""]
    if t.sessions == 0:
        lines.append("  " + empty_day_words(day, report.now))
    else:
        width = max(len(k) for k, _ in key_figures(t, report.limit_s))
        lines += [f"  {k:<{width}}  {v}" for k, v in key_figures(t, report.limit_s)]
    lines.append("")
    lines += _hour_rows(day, report.now, report.tz, ink)
    lines.append(_legend(ink, report.limit_s))
    note = clock_change(day, report.tz)
    if note:
        lines.append(f"  {note}")
    if reloaded := config_change(day, report.tz):
        lines.append(f"  {reloaded}")
    if sessions and day.sessions:
        lines += ["", "  sessions", *_session_lines(report, day)]
    return lines + _computer_lines(report) + _tip_lines(report)


_COLUMNS = (
    ("sitting", 11),
    ("sessions", 8),
    ("longest", 11),
    ("over", 5),
    ("breaks", 6),
    ("prompts", 7),
    ("heeded", 6),
)


def _table_row(label: str, values: Sequence[object]) -> str:
    cells = "  ".join(f"{v!s:>{w}}" for v, (_, w) in zip(values, _COLUMNS, strict=True))
    return f"  {label:<10}  {cells}"


def _row_values(t: Totals | DayFigures) -> list[object]:
    return [
        duration(t.sitting_s),
        t.sessions,
        duration(t.longest_session_s),
        t.sessions_over_limit,
        t.breaks,
        t.prompts,
        t.prompts_heeded,
    ]


def _text_period(report: Report, ink: _Ink, sessions: bool) -> list[str]:
    lines = [ink(_header(report), "bold"), "", _table_row("day", [h for h, _ in _COLUMNS])]
    scale = max([4 * 3600.0, *(d.figures.sitting_s for d in report.days)])
    for run in _runs(report):
        day, f = run[0], run[0].figures
        label = f"{day.date:%a} {day.date.day:>2} {day.date:%b}"
        state = day_state(day, report.now)
        if len(run) > 2:  # a fortnight away needs no fourteen lines
            span = f"{day.date.day}–{run[-1].date.day} {run[-1].date:%b}"
            lines.append(
                ink(f"  {span:<10}  {_EMPTY_WORDS[state]} ({count(len(run), 'day')})", "dim")
            )
            continue
        if state != "sat":
            lines.append(ink(f"  {label:<10}  {_EMPTY_WORDS[state]}", "dim"))
            continue
        cls = session_class(f.longest_session_s, report.limit_s)
        lines.append(
            _table_row(label, _row_values(f)) + "  " + ink.bar(f.sitting_s, scale, 14, cls)
        )
        if note := clock_change(day, report.tz):
            lines.append(ink(f"  {'':<10}  ({note})", "dim"))
        if reloaded := config_change(day, report.tz):
            lines.append(ink(f"  {'':<10}  ({reloaded})", "dim"))
        if sessions:
            lines += _session_lines(report, day)
    lines.append(_table_row("total", _row_values(report.totals())))
    lines.append(
        ink(
            f"  over: sessions longer than {duration(report.limit_s)}; heeded: got up "
            f"within {duration(report.heeded_within_s)} of a movement reminder",
            "dim",
        )
    )
    trend = report.trend()
    if trend:
        lines += ["", f"  {trend.text()}"]
    return lines + _computer_lines(report) + _tip_lines(report)


def _computer_lines(report: Report) -> list[str]:
    """With a sync folder: each computer's input time and prompts over the report."""
    c = report.computers
    if c is None:
        return []
    lines = ["", "  by computer"]
    width = max((len(p.name) for p in c.period), default=0)
    for p in c.period:
        prompts = count(p.prompts, "prompt") + " shown"
        lines.append(f"    {p.name:<{width}}  {duration(p.input_s)} with input, {prompts}")
    if note := c.retention_note(report.period.first):
        lines += textwrap.wrap(
            note[0].upper() + note[1:] + ".", 78, initial_indent="  ", subsequent_indent="  "
        )
    return lines


def _runs(report: Report) -> list[list[Day]]:
    """The days, with consecutive days of one empty state (no sitting, not recorded) together."""
    runs: list[list[Day]] = []
    for day in report.days:
        state = day_state(day, report.now)
        if (
            runs
            and state != "sat"
            and day_state(runs[-1][0], report.now) == state
            and runs[-1][-1].date.month == day.date.month
        ):
            runs[-1].append(day)
        else:
            runs.append([day])
    # Runs of one or two stay day by day; only longer ones fold into a line.
    return [r for run in runs for r in ([run] if len(run) > 2 else [[d] for d in run])]


def _tip_lines(report: Report) -> list[str]:
    advice = report.advice()
    if advice is None:
        return []
    return [
        "",
        *textwrap.wrap(f"Tip: {advice.text}", 78, initial_indent="  ", subsequent_indent="       "),
    ]
