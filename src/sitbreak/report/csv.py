"""The report as CSV (docs/report-format.md): a row per day, or per session."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from sitbreak.report.figures import Report, local_time
from sitbreak.report.json import _KINDS, DAY_COLUMNS, SESSION_COLUMNS, day_row, session_rows

if TYPE_CHECKING:
    pass


def render_csv(report: Report, *, sessions: bool = False) -> str:
    buf = io.StringIO()
    if sessions:
        w = csv.DictWriter(buf, SESSION_COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in session_rows(report):
            names = row["computers"]
            assert isinstance(names, list)
            row["computers"] = ", ".join(names)  # as the header names them: "desk, laptop"
            w.writerow(row)
        return buf.getvalue()
    c = report.computers
    # With a sync folder: two columns per computer, its input time and its prompts.
    names = c.names() if c is not None else []
    extra = [f"{what}:{name}" for name in names for what in ("input_s", "prompts")]
    w = csv.DictWriter(buf, DAY_COLUMNS + extra, lineterminator="\n")
    w.writeheader()
    for day in report.days:
        row = day_row(report, day)
        if c is not None:
            for part in c.days.get(day.date, ()):
                row[f"input_s:{part.name}"] = round(part.input_s, 1)
                row[f"prompts:{part.name}"] = part.prompts
        by_kind = row.pop("prompts_by_kind")
        assert isinstance(by_kind, dict)
        row.update({f"prompts_{k}": by_kind.get(k, 0) for k in _KINDS})
        # Spreadsheets read local ISO times; JSON keeps epoch seconds as stored.
        for key, t in (
            ("first_seen", day.figures.first_seen),
            ("last_seen", day.figures.last_seen),
        ):
            row[key] = "" if t is None else local_time(t, report.tz).isoformat("T", "seconds")
        w.writerow(row)
    return buf.getvalue()
