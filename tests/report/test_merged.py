"""`sitbreak report` with a [sync] folder: the person's day across computers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from sitbreak.cli import main
from sitbreak.storage.sync import SyncWriter
from synced import MIN, MONDAY, at, config_for, two_computers, typing


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return two_computers(tmp_path / "Sync")


@pytest.fixture
def config(tmp_path: Path, folder: Path) -> Path:
    return config_for(tmp_path / "config.toml", folder)


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
    capsys: pytest.CaptureFixture[str], config: Path, folder: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config), "--host", "tablet")
    assert code == 2 and out == ""
    # The name quoted (an empty --host "" read "--host : no such computer"), and the
    # names that would do: this computer's own, and all.
    assert err == (
        f"sitbreak: --host 'tablet': no such computer in {folder} (the computers there: "
        "desk, laptop; this one is 'desk', or 'all' for every one)\n"
    )


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


def test_the_csv_has_each_computers_input_and_prompts_for_each_day(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    import csv
    import io

    code, out, err = report(capsys, "--config", str(config), "--format", "csv")
    assert code == 0, err
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0].endswith(",input_s:desk,prompts:desk,input_s:laptop,prompts:laptop")
    assert float(row["input_s:desk"]) == pytest.approx(30 * MIN, abs=5)
    assert float(row["input_s:laptop"]) == pytest.approx(30 * MIN - 20, abs=5)
    assert (row["prompts:desk"], row["prompts:laptop"]) == ("0", "1")
    assert float(row["sitting_s"]) == pytest.approx(60 * MIN, abs=10)  # the person's, once


def test_a_weeks_csv_and_json_split_each_day_by_computer(
    capsys: pytest.CaptureFixture[str], config: Path, folder: Path
) -> None:
    import csv
    import io

    laptop = SyncWriter(folder, "e" * 16, "laptop")
    tuesday = at(10) + 86400
    typing(laptop, tuesday, tuesday + 10 * MIN)  # Tuesday on the laptop alone
    code = main(["report", "--week", "2026-11-02", "--config", str(config), "-f", "csv"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = {r["date"]: r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows["2026-11-03"]["input_s:laptop"]) == pytest.approx(10 * MIN, abs=5)
    assert float(rows["2026-11-03"]["input_s:desk"]) == 0.0
    assert float(rows["2026-11-04"]["input_s:laptop"]) == 0.0
    code = main(["report", "--week", "2026-11-02", "--config", str(config), "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    by_day = {d["date"]: {c["name"]: c for c in d["computers"]} for d in doc["computers_by_day"]}
    assert by_day["2026-11-03"]["laptop"]["input_s"] == pytest.approx(10 * MIN, abs=5)
    week = {c["name"]: c for c in doc["computers"]}
    # The week's figure is its days' added up.
    assert week["laptop"]["input_s"] == pytest.approx(
        sum(d["laptop"]["input_s"] for d in by_day.values()), abs=0.5
    )
    assert week["laptop"]["prompts"] == 1


def test_markdown_and_html_have_the_breakdown_too(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config), "--format", "markdown")
    assert code == 0, err
    assert "| computer | with input | prompts shown |" in out
    assert "| desk | 30 min | 0 |" in out
    assert "| laptop | 29 min 40 s | 1 |" in out
    code, out, err = report(capsys, "--config", str(config), "--format", "html")
    assert code == 0, err
    assert "<h2>By computer</h2>" in out
    assert 'aria-label="laptop: 29 min 40 s with input, 1 prompt shown"' in out
    assert "Prompts shown: desk 0, laptop 1." in out


def test_one_computer_from_the_folder_has_its_own_columns(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config), "--host", "laptop", "-f", "csv")
    assert code == 0, err
    assert out.splitlines()[0].endswith(
        ",input_s:laptop,prompts:laptop"
    )  # the one, from the folder


def test_two_computers_of_one_name_are_told_apart(
    capsys: pytest.CaptureFixture[str], config: Path, folder: Path
) -> None:
    twin = SyncWriter(folder, "f" * 16, "laptop")
    typing(twin, at(16), at(16, 5))
    doc = report_json(capsys, "--config", str(config))
    assert [c["name"] for c in doc["computers"]] == ["desk", "laptop (eeeeee)", "laptop (ffffff)"]


def test_a_report_reaching_past_the_folders_keep_says_where_the_old_days_are(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    # 2026-11-02 is kept with the default 60 days only until early January 2027.
    code, out, err = report(capsys, "--config", str(config))
    assert code == 0, err
    if dt.date.today() < MONDAY + dt.timedelta(days=59):
        assert "[sync] keep" not in out
    config.write_text(config.read_text() + 'keep = "7d"\n')
    code, out, err = report(capsys, "--config", str(config))
    assert code == 0, err
    text = " ".join(out.split())
    assert "The synced folder keeps each computer's last 7 days ([sync] keep): days before" in text
    assert "`sitbreak report --host NAME` on each computer reports its own days in full." in text
    doc = report_json(capsys, "--config", str(config))
    assert doc["computers_kept_from"] > "2026-11-02"


def test_the_sessions_listed_for_people_say_where_each_was_sat(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, err = report(capsys, "--config", str(config), "--sessions")
    assert code == 0, err
    assert "09:00–09:50       50 min  ended by idle, at desk, then laptop" in out
    assert "14:00–14:10       10 min  ended by idle, at desk" in out
    code, out, err = report(capsys, "--config", str(config), "--sessions", "-f", "markdown")
    assert code == 0, err
    assert "| date | start | end | length | ended by | computers |" in out
    assert "| 2026-11-02 | 09:00 | 09:50 | 50 min | idle | desk, laptop |" in out
    code, out, err = report(capsys, "--config", str(config), "-f", "html")
    assert code == 0, err
    assert "<title>session 09:00–09:50, 50 min, over the limit, at desk, then laptop" in out


def test_one_computers_sessions_for_people_do_not_name_it(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    from sitbreak.core import Cause, SessionEnded
    from sitbreak.storage.store import Store

    with Store.open() as store:
        store.session_ended(SessionEnded(at(14, 20), at(14), at(14, 10), Cause.IDLE))
    code, out, err = report(capsys, "--config", str(config), "--sessions", "--host", "desk")
    assert code == 0, err
    assert "14:00–14:10       10 min  ended by idle\n" in out  # the obvious is not said
    code, out, err = report(
        capsys, "--config", str(config), "--sessions", "--host", "desk", "-f", "markdown"
    )
    assert code == 0, err
    assert "| date | start | end | length | ended by |\n" in out
