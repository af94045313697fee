"""The summaries log: one JSON line a day; failing to write it is logged, not raised."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sitbreak.core import DayFigures
from sitbreak.storage.store import Store, append_summary, summaries_log_path
from store_scenario import DAY, TZ, drive_daemon, scenario


def test_append_summary_writes_json_lines(db: Store) -> None:
    drive_daemon(db, scenario())
    fig = db.day_figures(DAY, TZ)
    assert append_summary(fig, "Europe/Berlin")
    assert append_summary(db.day_figures(DAY + dt.timedelta(days=1), TZ), "Europe/Berlin")
    lines = summaries_log_path().read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {"tz": "Europe/Berlin", **fig.as_dict()}


def test_append_summary_tolerates_io_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "summaries.jsonl"
    target.mkdir()  # a directory where the file should be
    assert not append_summary(DayFigures(DAY), "UTC", target)
    assert any("cannot append" in r.getMessage() for r in caplog.records)
