"""Every report renders: any store × every period × every format, found by hypothesis.

Stores hold any sessions, breaks and prompts (none at all too, overlapping
ones, sessions across midnight), on and around DST days in zones with one-
hour and half-hour shifts; the report is asked for a day, a week, a month or
a range, at any moment (before, during or after the data). Each gives a
report, never a traceback, and its words pass the text check (wording.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitbreak.cli import main
from sitbreak.core import BreakTaken, Cause, EngineSettings, PromptDue, PromptKind, SessionEnded
from sitbreak.report import figures as report
from sitbreak.report.render import render
from sitbreak.storage.store import DAEMON, Store
from wording import problems, visible_text

FORMATS = ("text", "markdown", "json", "csv", "html")
#: Zones and their DST days: Europe's and America's one hour, Lord Howe's half hour.
ZONES = {
    "Europe/Berlin": (dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
    "America/New_York": (dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
    "Australia/Lord_Howe": (dt.date(2026, 4, 5), dt.date(2026, 10, 4)),
    "UTC": (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
}
DAY = 86400.0


@st.composite
def stores(draw: st.DrawFn) -> tuple[str, float, list[object]]:
    """(zone, the local midnight of a DST day, outputs to store around it)."""
    zone = draw(st.sampled_from(sorted(ZONES)))
    day = draw(st.sampled_from(ZONES[zone])) + dt.timedelta(days=draw(st.integers(-2, 2)))
    midnight = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).timestamp()
    at = st.floats(-2 * DAY, 3 * DAY).map(lambda s: midnight + s)
    length = st.one_of(st.just(0.0), st.floats(0, 6 * 3600))
    outputs: list[object] = []
    for start, n, cause in draw(
        st.lists(st.tuples(at, length, st.sampled_from(list(Cause))), max_size=12)
    ):
        outputs.append(SessionEnded(start + n + 5, start, start + n, cause))
    for start, n, cause in draw(
        st.lists(st.tuples(at, length, st.sampled_from(list(Cause))), max_size=8)
    ):
        outputs.append(BreakTaken(start + n, start, start + n, cause))
    for t, kind, level, seated in draw(
        st.lists(
            st.tuples(at, st.sampled_from(list(PromptKind)), st.integers(1, 9), length),
            max_size=12,
        )
    ):
        outputs.append(PromptDue(t, kind, level, seated))
    return zone, midnight, outputs


def _store(path: Path, outputs: list[object]) -> Store:
    store = Store.open(path)
    for o in outputs:
        if isinstance(o, SessionEnded):
            store.session_ended(o)
        elif isinstance(o, BreakTaken):
            store.break_taken(o)
        elif isinstance(o, PromptDue):
            store.prompt_sent(o)
    assert store.flush()
    return store


def _check(text: str, fmt: str) -> None:
    assert text
    if fmt == "json":
        json.loads(text)
    elif fmt == "csv":
        list(csv.reader(io.StringIO(text)))
    elif fmt == "html":
        assert text.rstrip().endswith("</html>")
        text = visible_text(text)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # colour
    assert problems(text) == [], text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    store=stores(),
    period=st.sampled_from(["day", "week", "month", "range"]),
    now_offset=st.floats(-3 * DAY, 40 * DAY),
    move_after=st.sampled_from([5 * 60.0, 80.0, 30 * 60.0, 4 * 3600.0]),
    open_session=st.booleans(),
)
def test_every_report_renders(
    store: tuple[str, float, list[object]],
    period: str,
    now_offset: float,
    move_after: float,
    open_session: bool,
) -> None:
    zone, midnight, outputs = store
    tz = ZoneInfo(zone)
    now = midnight + now_offset
    today = dt.datetime.fromtimestamp(now, tz).date()
    day = dt.datetime.fromtimestamp(midnight, tz).date()
    chosen = report.choose_period(
        day.isoformat() if period in ("day", "week", "month") else None,
        week="" if period == "week" else None,
        month="" if period == "month" else None,
        first=(day - dt.timedelta(days=3)).isoformat() if period == "range" else None,
        last=(day + dt.timedelta(days=3)).isoformat() if period == "range" else None,
        today=today,
    )
    settings_ = EngineSettings(move_after=move_after, posture_after=min(60.0, move_after / 2))
    with tempfile.TemporaryDirectory() as tmp:
        db = _store(Path(tmp) / "sitbreak.db", outputs)
        try:
            if open_session:  # the daemon is running, in a session since an hour ago
                db.session_started(now - 3600)
                db.checkpoint(now - 3600, now - 1)
                assert db.flush()
            for fmt, sessions in [(f, s) for f in FORMATS for s in (False, True)]:
                rep = report.gather(
                    db,
                    chosen,
                    source=DAEMON,
                    tz=tz,
                    settings=settings_,
                    now=now,
                    detail=sessions or fmt == "html" or chosen.kind == "day",
                    previous=fmt != "csv",
                    week=fmt == "html",
                )
                _check(render(rep, fmt, color=sessions, sessions=sessions), fmt)
        finally:
            db.close()


PERIODS = (
    [],
    ["yesterday"],
    ["2026-03-29"],
    ["--week"],
    ["--week", "2026-10-25"],
    ["--month"],
    ["--month", "2026-02-01"],
    ["--from", "2025-12-25", "--to", "2026-01-05"],
)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("when", PERIODS, ids=lambda w: " ".join(w) or "today")
def test_every_period_of_an_empty_store_renders_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, when: list[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[general]\ntimezone = "Europe/Berlin"\n')
    with Store.open():
        pass  # a database with nothing in it: sitbreak ran, nobody sat
    code = main(["report", *when, "--format", fmt, "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 0, err
    _check(out, fmt)
