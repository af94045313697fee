"""The report as JSON (docs/report-format.md): the day figures, optionally every session."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sitbreak.core import PromptKind
from sitbreak.report.figures import (
    JSON_VERSION,
    Day,
    Report,
    Totals,
    day_state,
    local_time,
    tz_name,
)

if TYPE_CHECKING:
    pass

# ------------------------------------------------------------- json, csv


def session_rows(report: Report) -> list[dict[str, object]]:
    """One row per session piece and day (a session across midnight gives two),
    with the computers it was sat at (names as in `computers`, `--host NAME`)."""
    rows: list[dict[str, object]] = []
    for day in report.days:
        for p in day.sessions:
            rows.append(
                {
                    "date": day.date.isoformat(),
                    "start": local_time(p.start, report.tz).isoformat(timespec="seconds"),
                    "end": local_time(p.end, report.tz).isoformat(timespec="seconds"),
                    "length_s": round(p.length, 1),
                    "cause": p.ended_by,
                    "over_limit": p.length > report.limit_s,
                    "continued": p.cut_before,
                    "computers": report.computers_of(p),
                }
            )
    return rows


def day_row(report: Report, day: Day) -> dict[str, object]:
    """A day's figures and its `state`, which tells a day of no sitting from one not
    recorded or still to come (zeros alone would let an average count them)."""
    return {**day.figures.as_dict(), "state": day_state(day, report.now)}


def as_json(report: Report, *, sessions: bool = False) -> dict[str, object]:
    trend = report.trend()
    advice = report.advice()
    doc: dict[str, object] = {
        "version": JSON_VERSION,
        "source": report.source,
        "tz": tz_name(report.tz),
        "period": {
            "kind": report.period.kind,
            "first": report.period.first.isoformat(),
            "last": report.period.last.isoformat(),
        },
        "limit_s": report.limit_s,
        "days": [day_row(report, d) for d in report.days],
        "config_reloads": [t for d in report.days for t in d.reloads],
        "totals": report.totals().as_dict(),
        "previous": {
            "first": report.previous.first.isoformat(),
            "last": report.previous.last.isoformat(),
            "totals": Totals.of(report.previous_figures).as_dict(),
        },
        "trend": trend.as_dict() if trend else None,
        "advice": {"rule": advice.rule, "text": advice.text} if advice else None,
    }
    if sessions:
        doc["sessions"] = session_rows(report)
    if (c := report.computers) is not None:
        doc["computers"] = [p.as_dict() for p in c.period]
        doc["computers_by_day"] = [
            {"date": d.isoformat(), "computers": [p.as_dict() for p in parts]}
            for d, parts in c.days.items()
        ]
        doc["computers_kept_from"] = c.kept_from.isoformat()
    return doc


def render_json(report: Report, *, sessions: bool = False) -> str:
    return json.dumps(as_json(report, sessions=sessions), indent=2, ensure_ascii=False) + "\n"


_KINDS = [k.value for k in PromptKind]
DAY_COLUMNS = [
    "date",
    "state",
    "sitting_s",
    "sessions",
    "longest_session_s",
    "sessions_over_limit",
    "breaks",
    "break_s",
    "prompts",
    "prompts_heeded",
    "prompts_acted",
    "prompts_snoozed",
    "prompts_skipped",
    "prompts_ignored",
    *(f"prompts_{k}" for k in _KINDS),
    "first_seen",
    "last_seen",
]
#: `computers` last, and always there (empty for a replay): a column added only
#: with a [sync] folder would move with the setting under a script or a sheet.
SESSION_COLUMNS = [
    "date",
    "start",
    "end",
    "length_s",
    "cause",
    "over_limit",
    "continued",
    "computers",
]
