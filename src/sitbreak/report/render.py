"""Choosing a renderer for `sitbreak report --format`, and whether to colour."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from sitbreak.report.csv import render_csv
from sitbreak.report.figures import Report
from sitbreak.report.json import render_json
from sitbreak.report.markdown import render_markdown
from sitbreak.report.text import render_text

if TYPE_CHECKING:
    pass

# ----------------------------------------------------------------- run


def wants_color(out: TextIO, environ: dict[str, str]) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM") != "dumb"


def render(report: Report, fmt: str, *, color: bool, sessions: bool) -> str:
    if fmt == "text":
        return render_text(report, color=color, sessions=sessions)
    if fmt == "markdown":
        return render_markdown(report, sessions=sessions)
    if fmt == "json":
        return render_json(report, sessions=sessions)
    if fmt == "csv":
        return render_csv(report, sessions=sessions)
    from sitbreak.report.html import render_html

    return render_html(report)
