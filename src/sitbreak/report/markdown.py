"""The report as Markdown, for notes and issue trackers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitbreak.report.figures import (
    Report,
    clock_change,
    day_state,
    empty_day_words,
    key_figures,
    local_time,
    tz_name,
)
from sitbreak.text import duration

if TYPE_CHECKING:
    pass

# ------------------------------------------------------------- markdown


def render_markdown(report: Report, *, sessions: bool = False) -> str:
    t = report.totals()
    so_far = " (so far)" if report.days[0].start <= report.now < report.days[-1].end else ""
    lines = [
        f"# {report.period.title()}{so_far}",
        "",
        f"Source `{report.source}`, time zone {tz_name(report.tz)}.",
        "",
    ]
    if t.sessions == 0 and report.period.kind == "day":
        lines += [empty_day_words(report.days[0], report.now), ""]
    else:
        lines += ["| | |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in key_figures(t, report.limit_s)]
        lines.append("")
    if report.period.kind != "day":
        lines += [
            "| day | sitting | sessions | longest | over the limit | breaks | prompts | heeded |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for day in report.days:
            f = day.figures
            # As the text report says it (and the CSV's state): a day nobody recorded,
            # or one still to come, is not a row of zeros.
            if (empty := _EMPTY_ROW.get(day_state(day, report.now))) is not None:
                lines.append(f"| {day.date:%a} {day.date.isoformat()} | {empty} |" + " |" * 6)
                continue
            lines.append(
                f"| {day.date:%a} {day.date.isoformat()} | {duration(f.sitting_s)} | "
                f"{f.sessions} | "
                f"{duration(f.longest_session_s)} | {f.sessions_over_limit} | {f.breaks} | "
                f"{f.prompts} | {f.prompts_heeded} |"
            )
        lines.append("")
        if (trend := report.trend()) is not None:
            lines += [trend.text()[0].upper() + trend.text()[1:] + ".", ""]
    for day in report.days:
        if note := clock_change(day, report.tz):
            lines += [f"{day.date.isoformat()}: {note}.", ""]
    if sessions:
        # Across computers, a column naming where each was sat (as the CSV's `computers`).
        across = report.computers is not None
        lines += [
            "| date | start | end | length | ended by |" + (" computers |" if across else ""),
            "|---|---|---|--:|---|" + ("---|" if across else ""),
        ]
        for day in report.days:
            for p in day.sessions:
                where = f" {_cell(', '.join(report.computers_of(p)))} |" if across else ""
                lines.append(
                    f"| {day.date.isoformat()} | {local_time(p.start, report.tz):%H:%M} | "
                    f"{local_time(p.end, report.tz):%H:%M} | {duration(p.length)} | "
                    f"{p.ended_words().removeprefix('ended by ')} |{where}"
                )
        lines.append("")
    if (c := report.computers) is not None:
        lines += ["| computer | with input | prompts shown |", "|---|--:|--:|"]
        lines += [f"| {_cell(p.name)} | {duration(p.input_s)} | {p.prompts} |" for p in c.period]
        lines.append("")
        if note := c.retention_note(report.period.first):
            lines += [note[0].upper() + note[1:] + ".", ""]
    if (advice := report.advice()) is not None:
        lines += [f"> **Tip:** {advice.text}", ""]
    return "\n".join(lines)


#: Days with nothing to count, in the words of the text report.
_EMPTY_ROW = {"unrecorded": "not recorded", "future": "still to come"}


def _cell(text: str) -> str:
    """Text in a table cell: a '|' would end it."""
    return text.replace("|", "\\|")
