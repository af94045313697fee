"""`sitbreak report` with a [sync] folder: the person's day across computers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitbreak.cli import main
from sitbreak.storage.sync import SyncWriter

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
MONDAY = dt.date(2026, 11, 2)


def at(hh: int, mm: int = 0) -> float:
    return dt.datetime.combine(MONDAY, dt.time(hh, mm), BERLIN).timestamp()


def typing(w: SyncWriter, start: float, end: float) -> None:
    """Input every 5 s from start to end, as the daemon polls it."""
    t = start
    while t <= end:
        w.activity(t)
        w.tick(t)
        t += 5
    w.tick(end + 60)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync"
    folder.mkdir()
    desk = SyncWriter(folder, "d" * 16, "desk")
    laptop = SyncWriter(folder, "e" * 16, "laptop")
    typing(desk, at(9), at(9, 20))
    typing(laptop, at(9, 20) + 20, at(9, 50))  # moved over in 20 seconds
    laptop.record("p", t=at(9, 30), p="move", l=1.0)
    laptop.tick(at(9, 30))
    typing(desk, at(14), at(14, 10))  # the afternoon, after a real break
    return folder


@pytest.fixture
def config(tmp_path: Path, folder: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[general]\ntimezone = "Europe/Berlin"\n[sync]\nfolder = "{folder}"\nname = "desk"\n'
    )
    return path


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", "2026-11-02", *args])
    out, err = capsys.readouterr()
    return code, out, err


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = report(capsys, *args, "--format", "json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_the_day_across_both_computers_is_one_morning_session(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    doc = report_json(capsys, "--config", str(config))
    (day,) = doc["days"]
    assert day["sessions"] == 2  # the morning across both, and the afternoon
    assert day["longest_session_s"] == pytest.approx(50 * MIN, abs=5)
    assert day["sitting_s"] == pytest.approx(60 * MIN, abs=10)
    assert doc["source"] == "2 computers (desk, laptop)"
    shares = {c["name"]: c for c in doc["computers"]}
    assert shares["desk"]["input_s"] == pytest.approx(30 * MIN, abs=5)
    assert shares["laptop"]["input_s"] == pytest.approx(30 * MIN - 20, abs=5)
    assert (shares["desk"]["prompts"], shares["laptop"]["prompts"]) == (0, 1)


def test_one_computer_alone(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    doc = report_json(capsys, "--config", str(config), "--host", "laptop")
    (day,) = doc["days"]
    assert day["sessions"] == 1
    assert day["sitting_s"] == pytest.approx(30 * MIN - 20, abs=5)
    assert doc["source"] == "1 computer (laptop)"


def test_the_text_report_names_the_computers_and_each_ones_share(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config))
    assert code == 0, err
    assert "· 2 computers (desk, laptop) ·" in out.splitlines()[0]
    assert "  by computer" in out
    assert "    desk    30 min with input, 0 prompts shown" in out
    assert "    laptop  29 min 40 s with input, 1 prompt shown" in out


def test_an_unknown_computer_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config), "--host", "tablet")
    assert code == 2 and out == ""
    assert "--host tablet: no such computer in" in err
    assert "(the computers there: desk, laptop)" in err


def test_host_without_a_sync_folder_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = main(["report", "--host", "laptop"]), *capsys.readouterr()
    assert code == 2
    assert "no [sync] folder is set" in err


def test_this_computers_own_name_is_its_own_database(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config), "--host", "desk")
    assert code == 1 and out == ""
    assert "nothing to report yet: no database at" in err  # not the folder's copy


def test_a_lock_on_the_computer_left_is_no_break_but_a_lock_at_the_end_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, folder: Path, config: Path
) -> None:
    desk = SyncWriter(folder, "d" * 16, "desk")
    desk.record("lk", t=at(9, 20) + 5)  # locked on the way to the laptop
    desk.record("lk", t=at(14, 10) + 5)  # and in the afternoon, going home
    desk.tick(at(14, 11))
    laptop = SyncWriter(folder, "e" * 16, "laptop")
    laptop.record("lk", t=at(9, 10))  # the laptop's screen saver, while at the desk
    laptop.tick(at(14, 11))
    doc = report_json(capsys, "--config", str(config), "--sessions")
    (day,) = doc["days"]
    assert day["sessions"] == 2  # the morning across both is still one
    assert [s["cause"] for s in doc["sessions"]] == ["idle", "lock"]
    assert doc["sessions"][1]["end"] == "2026-11-02T14:10:05+01:00"
