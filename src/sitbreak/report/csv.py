"""The report as CSV (docs/report-format.md): a row per day, or per session."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from sitbreak.report.figures import Report, local_time
from sitbreak.report.json import _KINDS, DAY_COLUMNS, SESSION_COLUMNS, session_rows

if TYPE_CHECKING:
    pass


def render_csv(report: Report, *, sessions: bool = False) -> str:
    buf = io.StringIO()
    if sessions:
        w = csv.DictWriter(buf, SESSION_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(session_rows(report))
        return buf.getvalue()
    w = csv.DictWriter(buf, DAY_COLUMNS, lineterminator="\n")
    w.writeheader()
    for day in report.days:
        row = day.figures.as_dict()
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
