"""`sitbreak report --format html`: one self-contained page, charts as inline SVG.

No script, no network, no external fonts: the file opens anywhere, offline,
and can be mailed. The charts lay out in percentages inside SVGs sized in
CSS pixels, so bars stretch with the screen while labels keep a readable
size on a phone. Colours are CSS custom properties with a dark variant
(prefers-color-scheme); the session colours have at least 3:1 contrast with
the card and the chart track in both, text at least 4.5:1.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence

from sitbreak.core import DayFigures
from sitbreak.report.figures import (
    Day,
    Report,
    Totals,
    clock_change,
    empty_day_words,
    segments,
    session_class,
)
from sitbreak.text import count, duration

_CLASS_WORDS = {
    "ok": "up to the limit",
    "over": "over the limit",
    "long": "over twice the limit",
    "break": "break",
    "idle": "no sitting",
    "unrecorded": "not recorded",
    "future": "still to come",
}

CSS = """
:root{color-scheme:light dark;--bg:#f3f5f8;--card:#fff;--text:#17202b;--muted:#56606e;
--line:#dfe4ea;--track:#e9edf2;--ok:#1e8a5a;--over:#b86e00;--long:#c43c32;--brk:#3f7fbf;
--accent:#1e8a5a;--tip:#eef7f2;--hatch:#c9d0d8}
@media (prefers-color-scheme:dark){:root{--bg:#11151b;--card:#1a1f27;--text:#e8ecf1;
--muted:#a3adbb;--line:#2f3742;--track:#2a313b;--ok:#3cc48a;--over:#f2aa2e;--long:#ff7a6b;
--brk:#6fb0ef;--accent:#3cc48a;--tip:#17261f;--hatch:#3a424e}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.45;
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:56rem;margin:0 auto;padding:1.5rem 1rem 2.5rem}
header p{margin:0;color:var(--muted);font-size:.9rem}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-weight:600;font-size:.75rem}
h1{margin:.15rem 0 .25rem;font-size:clamp(1.5rem,4.5vw,2.1rem);line-height:1.2}
h2{margin:0 0 .75rem;font-size:1.05rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:1rem 1.1rem;margin-top:1rem}
.tip{background:var(--tip);border-color:transparent;border-left:5px solid var(--accent)}
.tip p{margin:0;font-size:1.08rem}
.tip .label{font-weight:700;color:var(--accent)}
.figures{display:grid;grid-template-columns:repeat(3,1fr);gap:.75rem;margin-top:1rem}
@media (max-width:40rem){.figures{grid-template-columns:repeat(2,1fr)}.minor{display:none}}
.fig{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:.8rem .95rem}
.fig .k{margin:0;color:var(--muted);font-size:.85rem}
.fig .v{margin:.1rem 0 0;font-size:1.6rem;font-weight:700;font-variant-numeric:tabular-nums}
.fig .n{margin:.1rem 0 0;color:var(--muted);font-size:.85rem}
.empty{color:var(--muted);font-size:1.1rem;margin:0}
.trend{margin:.75rem 0 0;color:var(--muted)}
svg{display:block;width:100%;overflow:visible}
svg text{fill:var(--muted);font-size:12px;font-family:inherit}
svg .strong{fill:var(--text);font-weight:600}
.track{fill:var(--track)}.ok{fill:var(--ok)}.over{fill:var(--over)}.long{fill:var(--long)}
.break{fill:var(--brk)}.unrecorded{fill:url(#hatch)}.future{fill:var(--card);opacity:.55}
.now{stroke:var(--text);stroke-width:1.5;stroke-dasharray:3 2}
.grid{stroke:var(--line);stroke-width:1}.hatchline{stroke:var(--hatch);stroke-width:3}
.sit{fill:var(--track);stroke:var(--muted);stroke-width:1}
.sel{stroke:var(--text);stroke-width:2}
.prompt{fill:var(--card);stroke:var(--muted);stroke-width:1.5}
.legend{display:flex;flex-wrap:wrap;gap:.35rem 1rem;margin:.75rem 0 0;padding:0;list-style:none;
color:var(--muted);font-size:.85rem}
.legend li{display:flex;align-items:center;gap:.4rem}
.sw{display:inline-block;width:.9rem;height:.9rem;border-radius:3px}
.sw.ok{background:var(--ok)}.sw.over{background:var(--over)}.sw.long{background:var(--long)}
.sw.break{background:var(--brk)}.sw.sit{background:var(--track);border:1px solid var(--muted)}
.sw.unrecorded{background:repeating-linear-gradient(135deg,var(--track) 0 3px,var(--hatch) 3px 6px)}
.note{margin:.5rem 0 0;color:var(--muted);font-size:.85rem}
.sub{margin:.9rem 0 .3rem;color:var(--muted);font-size:.8rem}
.sw.prompt{width:.55rem;height:.55rem;border-radius:50%;border:1.5px solid var(--muted)}
.strip{display:grid;grid-template-columns:5.5rem 1fr 3.5rem;align-items:center;gap:.5rem;
margin:.3rem 0;font-size:.85rem;font-variant-numeric:tabular-nums}
.strip .d{color:var(--muted)}.strip .s{text-align:right}
.strip.wide{grid-template-columns:5.5rem 1fr 6rem}.input{fill:var(--muted)}
footer{margin-top:1.5rem;color:var(--muted);font-size:.8rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
"""

#: Defined once per page (ids must be unique); every chart fills "not recorded" with it.
_DEFS = (
    '<svg width="0" height="0" aria-hidden="true" focusable="false" style="position:absolute">'
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" class="track"/>'
    '<line x1="0" y1="0" x2="0" y2="6" class="hatchline"/></pattern></defs></svg>'
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pct(x: float) -> str:
    return f"{x:.3f}%"


def _clock(t: float, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(t, tz).strftime("%H:%M")


# ------------------------------------------------------------ the day


def _window(day: Day) -> tuple[float, float]:
    """The part of the day the detailed timeline shows: whole hours around what happened.

    An hour of margin on each side, at least six hours, the whole day when
    nothing happened. Hours are counted in real time from midnight, so a DST
    day's window holds the hours that really were.
    """
    things = [(p.start, p.end) for p in (*day.sessions, *day.breaks)]
    if not things:
        return day.start, day.end
    first = min(s for s, _ in things)
    last = max(e for _, e in things)
    a = day.start + 3600 * max(math.floor((first - day.start) / 3600) - 1, 0)
    b = day.start + 3600 * (math.ceil((last - day.start) / 3600) + 1)
    b = min(b, day.end)
    while b - a < 6 * 3600 and (a > day.start or b < day.end):
        a, b = max(a - 1800, day.start), min(b + 1800, day.end)
    return a, b


def _ticks(a: float, b: float, day: Day, every_h: int) -> list[float]:
    """Whole hours since local midnight in [a, b], every `every_h` hours."""
    k0 = math.ceil((a - day.start) / 3600 - 1e-9)
    ticks = []
    for k in range(k0, int((b - day.start) / 3600 + 1e-9) + 1):
        if k % every_h == 0:
            ticks.append(day.start + 3600 * k)
    return ticks


def timeline_svg(day: Day, report: Report) -> str:
    """The day in detail: sessions coloured by length, breaks below, move prompts above."""
    tz = report.tz
    a, b = _window(day)
    span = b - a

    def x(t: float) -> float:
        return 100.0 * (min(max(t, a), b) - a) / span

    hours = span / 3600
    every = 1 if hours <= 12 else 2 if hours <= 20 else 3
    parts = []
    ticks = _ticks(a, b, day, every)
    for t in ticks:
        parts.append(f'<line x1="{_pct(x(t))}" x2="{_pct(x(t))}" y1="14" y2="78" class="grid"/>')
    parts.append('<rect x="0" y="22" width="100%" height="40" rx="6" class="track"/>')
    for s, e, cls in segments(day, report.now):
        if e <= a or s >= b or cls not in ("unrecorded", "future"):
            continue  # sessions and breaks are drawn below, each with its own title
        title = f"{_clock(s, tz)}–{_clock(e, tz)} {_CLASS_WORDS[cls]}"
        parts.append(_rect(x(s), x(e), 22, 40, cls, title=title))
    for p in day.breaks:
        title = f"break {_clock(p.start, tz)}–{_clock(p.end, tz)}, {duration(p.length)}"
        parts.append(_rect(x(p.start), x(p.end), 66, 8, "break", title=title))
    for p in day.sessions:
        across = " (from the day before)" if p.cut_before else ""
        across += " (goes on past midnight)" if p.cut_after else ""
        title = (
            f"session {_clock(p.start, tz)}–{_clock(p.end, tz)}{across}, {duration(p.length)}, "
            f"{_CLASS_WORDS[p.cls]}{report.sat_at_words(p)}"
        )
        parts.append(_rect(x(p.start), x(p.end), 22, 40, p.cls, title=title, rx=4))
    for q in day.prompts:
        if q.kind.value == "move" and a <= q.t <= b:
            parts.append(
                f'<circle cx="{_pct(x(q.t))}" cy="15" r="2.5" class="prompt">'
                f"<title>movement reminder at {_clock(q.t, tz)}</title></circle>"
            )
    if a <= report.now < b:
        parts.append(
            f'<line x1="{_pct(x(report.now))}" x2="{_pct(x(report.now))}" y1="8" y2="78" '
            f'class="now"/><text x="{_pct(x(report.now))}" y="6" text-anchor="middle" '
            f'class="strong">now</text>'
        )
    for t in ticks:
        # Every other label goes on a narrow screen, where they would collide.
        minor = ' class="minor"' if round((t - day.start) / 3600) % (2 * every) else ""
        parts.append(
            f'<text x="{_pct(x(t))}" y="94" text-anchor="middle"{minor}>{_clock(t, tz)}</text>'
        )
    label = (
        f"Timeline of {day.date:%A %d %B}, {_clock(a, tz)} to {_clock(b, tz)}: "
        f"{count(len(day.sessions), 'session')}, {count(len(day.breaks), 'break')}"
    )
    return _svg("timeline", 100, label, parts)


def overview_svg(day: Day, report: Report, *, label_hours: bool = True, height: int = 14) -> str:
    """The whole day in one thin bar scaled to its real length: 23, 24 or 25 hours."""
    span = day.end - day.start

    def x(t: float) -> float:
        return 100.0 * (t - day.start) / span

    parts = [f'<rect x="0" y="0" width="100%" height="{height}" rx="4" class="track"/>']
    for s, e, cls in segments(day, report.now):
        if cls != "idle":
            parts.append(_rect(x(s), x(e), 0, height, cls, title=None))
    if label_hours:
        for t in _ticks(day.start, day.end, day, 6):
            anchor = "start" if t == day.start else "middle"
            parts.append(
                f'<text x="{_pct(x(t))}" y="{height + 14}" text-anchor="{anchor}">'
                f"{_clock(t, report.tz)}</text>"
            )
    hours = f"{day.hours:g}"
    label = f"The whole of {day.date:%A %d %B} ({hours} hours)"
    return _svg("overview", height + (18 if label_hours else 0), label, parts)


def _rect(
    x0: float, x1: float, y: float, h: float, cls: str, *, title: str | None, rx: float = 0
) -> str:
    w = max(x1 - x0, 0.15)  # a one-minute blip still shows
    inner = f"<title>{_e(title)}</title>" if title else ""
    return (
        f'<rect x="{_pct(x0)}" y="{y}" width="{_pct(w)}" height="{h}" rx="{rx}" '
        f'class="{cls}">{inner}</rect>'
    )


def _svg(kind: str, height: int, label: str, parts: Sequence[str]) -> str:
    return (
        f'<svg class="chart {kind}" height="{height}" role="img" aria-label="{_e(label)}">'
        f"<title>{_e(label)}</title>{''.join(parts)}</svg>"
    )


# ------------------------------------------------------ days in a row


def days_svg(figures: Sequence[DayFigures], report: Report, selected: dt.date | None) -> str:
    """A bar a day of sitting time, the longest session inside it, coloured by its length."""
    n = max(len(figures), 1)
    top = max([4 * 3600.0, *(f.sitting_s for f in figures)])
    step = 2 * 3600 if top <= 10 * 3600 else 4 * 3600
    scale_top = math.ceil(top / step) * step
    plot_h, y0, left = 150.0, 18.0, 9.0  # px, px, % kept for the axis labels
    parts = []

    def y(seconds: float) -> float:
        return y0 + plot_h * (1 - seconds / scale_top)

    for s in range(0, int(scale_top) + 1, step):
        parts.append(f'<line x1="{left}%" x2="100%" y1="{y(s):.1f}" y2="{y(s):.1f}" class="grid"/>')
        parts.append(f'<text x="0" y="{y(s) + 4:.1f}">{s // 3600} h</text>')
    slot = (100 - left) / n
    labels = n <= 14
    for i, f in enumerate(figures):
        cx = left + slot * (i + 0.5)
        w = slot * 0.62
        title = (
            f"{f.date:%a %d %b}: sat {duration(f.sitting_s)}, longest session "
            f"{duration(f.longest_session_s)}, {count(f.sessions, 'session')}"
        )
        sel = " sel" if f.date == selected else ""
        h_sit = plot_h * f.sitting_s / scale_top
        h_long = plot_h * f.longest_session_s / scale_top
        cls = session_class(f.longest_session_s, report.limit_s)
        parts.append(
            f'<g><title>{_e(title)}</title><rect x="{_pct(cx - w / 2)}" y="{y(f.sitting_s):.1f}" '
            f'width="{_pct(w)}" height="{h_sit:.1f}" rx="3" class="sit{sel}"/>'
            f'<rect x="{_pct(cx - w / 4)}" y="{y(f.longest_session_s):.1f}" width="{_pct(w / 2)}" '
            f'height="{h_long:.1f}" rx="2" class="{cls}"/></g>'
        )
        if labels:
            strong = ' class="strong"' if f.date == selected else ""
            parts.append(
                f'<text x="{_pct(cx)}" y="{y0 + plot_h + 16}" text-anchor="middle"{strong}>'
                f"{f.date:%a}</text>"
                f'<text x="{_pct(cx)}" y="{y0 + plot_h + 30}" text-anchor="middle">'
                f"{f.date.day}</text>"
            )
            value = duration(f.sitting_s) if f.sitting_s > 0 else "–"  # a day without sitting
            parts.append(
                f'<text x="{_pct(cx)}" y="{y(f.sitting_s) - 5:.1f}" text-anchor="middle"'
                f"{strong}>{_e(value)}</text>"
            )
        elif (sparse := _sparse_label(f.date, n)) is not None:
            parts.append(
                f'<line x1="{_pct(cx)}" x2="{_pct(cx)}" y1="{y0 + plot_h}" '
                f'y2="{y0 + plot_h + 4}" class="grid"/>'
                f'<text x="{_pct(cx)}" y="{y0 + plot_h + 16}" text-anchor="middle">'
                f"{_e(sparse)}</text>"
            )
    first, last = figures[0].date, figures[-1].date
    label = f"Sitting time and longest session per day, {first:%d %b} to {last:%d %b}"
    return _svg("days", int(y0 + plot_h + (34 if labels else 20)), label, parts)


def _sparse_label(date: dt.date, n: int) -> str | None:
    """Too many days to name each: Mondays up to two months, then the first of each month."""
    if n <= 62:
        return f"{date.day} {date:%b}" if date.weekday() == 0 else None
    return f"{date:%b}" if date.day == 1 else None


# ------------------------------------------------------------- page


def _figure_cards(t: Totals, limit_s: float) -> str:
    heeded = f"{t.prompts_heeded} of {t.move_prompts}" if t.move_prompts else "–"
    per_day = (
        f"{duration(t.sitting_s / t.days_with_sitting)} a day"
        if t.days > 1 and t.days_with_sitting
        else None
    )
    cards = [
        ("Sitting", duration(t.sitting_s), per_day or f"in {count(t.sessions, 'session')}"),
        ("Longest session", duration(t.longest_session_s), f"the limit is {duration(limit_s)}"),
        ("Over the limit", str(t.sessions_over_limit), f"of {count(t.sessions, 'session')}"),
        ("Breaks", str(t.breaks), f"{duration(t.break_s)} in all" if t.breaks else "none counted"),
        (
            "Reminders heeded",
            heeded,
            "got up after a movement reminder" if t.move_prompts else "no movement reminders",
        ),
        ("Prompts", str(t.prompts), _by_kind(t.prompts_by_kind)),
    ]
    return (
        '<section class="figures" aria-label="Key figures">'
        + "".join(
            f'<div class="fig"><p class="k">{_e(k)}</p><p class="v">{_e(v)}</p>'
            f'<p class="n">{_e(n)}</p></div>'
            for k, v, n in cards
        )
        + "</section>"
    )


def _by_kind(counts: dict[str, int]) -> str:
    """'17 move · 7 posture · 5 other': the two commonest kinds by name."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [f"{n} {k}" for k, n in top[:2]]
    rest = sum(n for _, n in top[2:])
    return " · ".join(words + ([f"{rest} other"] if rest else [])) or "none sent"


def _legend(limit_s: float, *, prompts: bool = False) -> str:
    items = [
        ("ok", f"session up to {duration(limit_s)}"),
        ("over", f"over {duration(limit_s)}"),
        ("long", f"over {duration(2 * limit_s)}"),
        ("break", "break"),
        ("unrecorded", "not recorded"),
    ]
    if prompts:
        items.append(("prompt", "movement reminder"))
    return (
        '<ul class="legend">'
        + "".join(
            f'<li><span class="sw {c}" aria-hidden="true"></span>{_e(w)}</li>' for c, w in items
        )
        + "</ul>"
    )


def _meta_line(report: Report) -> str:
    from sitbreak.storage.store import DAEMON, tz_label

    bits = []
    if report.period.kind == "day":
        day = report.days[0]
        if day.recorded is not None:
            bits.append(recorded_words(day, report))
    bits.append(tz_label(report.tz))
    if report.source != DAEMON:
        bits.append(report.source)
    return " · ".join(bits)


def recorded_words(day: Day, report: Report) -> str:
    """'recorded from 12:04', 'recorded 08:52–14:53', 'recorded all day'."""
    assert day.recorded is not None
    a, b = day.recorded
    whole_start, whole_end = a <= day.start, b >= min(day.end, report.now)
    if whole_start and whole_end:
        return "recorded all day" if report.now >= day.end else "recorded so far"
    if whole_end:
        return f"recorded from {_clock(a, report.tz)}"
    if whole_start:
        return f"recorded until {_clock(b, report.tz)}"
    return f"recorded {_clock(a, report.tz)}–{_clock(b, report.tz)}"


def _tip(report: Report) -> str:
    advice = report.advice()
    if advice is None:
        return ""
    return (
        f'<section class="card tip" aria-label="Tip"><p><span class="label">Tip </span>'
        f"{_e(advice.text)}</p></section>"
    )


def _day_body(report: Report) -> list[str]:
    day = report.days[0]
    t = report.totals()
    body = []
    if t.sessions == 0:
        body.append(
            f'<section class="card"><p class="empty">{_e(empty_day_words(day, report.now))}'
            "</p></section>"
        )
    else:
        body.append(_figure_cards(t, report.limit_s))
    notes = [n for n in [clock_change(day, report.tz)] if n]
    body.append(
        '<section class="card"><h2>The day</h2>'
        + timeline_svg(day, report)
        + f'<p class="sub">The whole day, midnight to midnight ({day.hours:g} hours)</p>'
        + overview_svg(day, report)
        + _legend(report.limit_s, prompts=True)
        + "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
        + "</section>"
    )
    body.append(
        '<section class="card"><h2>The last seven days</h2>'
        + days_svg(report.week, report, day.date)
        + _days_legend()
        + "</section>"
    )
    return body


def _days_legend() -> str:
    return (
        '<ul class="legend"><li><span class="sw sit" aria-hidden="true"></span>time sitting</li>'
        '<li><span class="sw ok" aria-hidden="true"></span><span class="sw over" '
        'aria-hidden="true"></span><span class="sw long" aria-hidden="true"></span>'
        "longest session, by length</li></ul>"
    )


def _period_body(report: Report) -> list[str]:
    t = report.totals()
    trend = report.trend()
    body = [_figure_cards(t, report.limit_s)]
    trend_html = (
        f'<p class="trend">{_e(trend.text()[0].upper() + trend.text()[1:])}.</p>' if trend else ""
    )
    body.append(
        f'<section class="card"><h2>Day by day</h2>'
        f"{days_svg([d.figures for d in report.days], report, None)}{_days_legend()}{trend_html}"
        "</section>"
    )
    if len(report.days) <= 31:
        strips = []
        for d in report.days:
            strips.append(
                f'<div class="strip"><span class="d">{d.date:%a %d %b}</span>'
                f"{overview_svg(d, report, label_hours=False, height=12)}"
                '<span class="s">'
                f"{_e(duration(d.figures.sitting_s)) if d.figures.sessions else '–'}"
                "</span></div>"
            )
        body.append(
            '<section class="card"><h2>Each day, midnight to midnight</h2>'
            + "".join(strips)
            + _legend(report.limit_s)
            + "</section>"
        )
    return body


FOOTER = (
    "General wellbeing reminders, not medical advice: move gently and stop if it hurts. "
    "Back pain that is severe or not getting better after a few weeks: see a GP or "
    "physiotherapist."
)


def _time_with_zone(when: dt.datetime) -> str:
    """'2026-12-01 15:32 CET (UTC+01:00)': a time means nothing without its zone."""
    offset = when.utcoffset() or dt.timedelta(0)
    sign = "−" if offset < dt.timedelta(0) else "+"
    h, m = divmod(abs(int(offset.total_seconds())) // 60, 60)
    abbr = when.tzname() or ""
    utc = f"UTC{sign}{h:02d}:{m:02d}"
    return f"{when:%Y-%m-%d %H:%M} " + (f"{abbr} ({utc})" if abbr and abbr != utc else utc)


def _computers_card(report: Report) -> list[str]:
    """With a sync folder: each computer's input time, as a bar, and its prompts."""
    c = report.computers
    if c is None:
        return []
    top = max([60.0, *(p.input_s for p in c.period)])
    rows = []
    for p in c.period:
        width = 100.0 * p.input_s / top
        label = f"{p.name}: {duration(p.input_s)} with input, {count(p.prompts, 'prompt')} shown"
        bar = (
            f'<svg class="chart share" height="12" role="img" aria-label="{_e(label)}">'
            '<rect x="0" y="0" width="100%" height="12" rx="4" class="track"/>'
            f'<rect x="0" y="0" width="{_pct(width)}" height="12" rx="4" class="input"/></svg>'
        )
        rows.append(
            f'<div class="strip wide"><span class="d">{_e(p.name)}</span>{bar}'
            f'<span class="s">{_e(duration(p.input_s))}</span></div>'
        )
    shown = ", ".join(f"{p.name} {p.prompts}" for p in c.period)
    note = c.retention_note(report.period.first)
    return [
        '<section class="card"><h2>By computer</h2>'
        + "".join(rows)
        + '<p class="note">Time with keyboard or mouse input on each computer. '
        + f"Prompts shown: {_e(shown)}.</p>"
        + (f'<p class="note">{_e(note[0].upper() + note[1:])}.</p>' if note else "")
        + "</section>"
    ]


def render_html(report: Report) -> str:
    title = report.period.title()
    body = _day_body(report) if report.period.kind == "day" else _period_body(report)
    body += _computers_card(report)
    generated = _time_with_zone(dt.datetime.fromtimestamp(report.now, report.tz))
    kicker = "Daily summary" if report.period.kind == "day" else "Summary"
    if report.days[0].start <= report.now < report.days[-1].end:
        kicker += " · so far"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>sitbreak · {_e(title)}</title><style>{CSS}</style></head>\n<body><main>"
        f'<header><p class="kicker">sitbreak · {kicker}</p><h1>{_e(title)}</h1>'
        f"<p>{_e(_meta_line(report))}</p></header>{_DEFS}"
        + _tip(report)
        + "".join(body)
        + f"<footer><p>{_e(FOOTER)}</p><p>Made by sitbreak on {generated}.</p></footer>"
        "</main></body></html>\n"
    )
