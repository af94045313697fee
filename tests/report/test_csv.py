"""`sitbreak report --format csv`: the session rows say which computer each was sat at.

A person who exports a month of sessions to a spreadsheet, from a day spent at
two computers sharing a [sync] folder, tells the machines apart by the
`computers` column; one computer's report has the column too, with its name.
"""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

import pytest

from sitbreak.cli import main
from sitbreak.core import Cause, SessionEnded
from sitbreak.storage.store import Store
from synced import MIN, at, config_for, desk, laptop, two_computers, typing

HEADER = "date,start,end,length_s,cause,over_limit,continued,computers"


def session_rows(
    capsys: pytest.CaptureFixture[str], config: Path, *args: str
) -> list[dict[str, str]]:
    code = main(["report", "2026-11-02", "-f", "csv", "--sessions", "--config", str(config), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[0] == HEADER
    return list(csv.DictReader(io.StringIO(out)))


def test_each_session_row_names_the_computers_it_was_sat_at(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = two_computers(tmp_path / "Sync")
    typing(laptop(folder), at(16), at(16, 5))  # a look at mail, on the laptop
    typing(laptop(folder), at(18), at(18, 5))  # and in the evening from the laptop
    typing(desk(folder), at(18, 5) + 20, at(18, 15))  # to the desk
    typing(laptop(folder), at(20), at(20))  # one touch: a session of no length
    config = config_for(tmp_path / "config.toml", folder)
    rows = session_rows(capsys, config)
    got = [(r["start"][11:16], r["end"][11:16], r["computers"]) for r in rows]
    assert got == [
        ("09:00", "09:50", "desk, laptop"),  # one session: begun at the desk, ended on the laptop
        ("14:00", "14:10", "desk"),
        ("16:00", "16:05", "laptop"),
        ("18:00", "18:15", "laptop, desk"),  # the first used first
        ("20:00", "20:00", "laptop"),
    ]
    assert float(rows[0]["length_s"]) == pytest.approx(50 * MIN, abs=5)


def test_a_session_across_midnight_names_its_computer_on_both_days(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = two_computers(tmp_path / "Sync")
    typing(laptop(folder), at(23, 50), at(23, 50) + 20 * MIN)  # on into Tuesday
    config = config_for(tmp_path / "config.toml", folder)
    days = ["--from", "2026-11-02", "--to", "2026-11-03"]
    code = main(["report", *days, "-f", "csv", "--sessions", "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    late = [(r["date"], r["cause"], r["continued"], r["computers"]) for r in rows[-2:]]
    assert late == [
        ("2026-11-02", "midnight", "False", "laptop"),
        ("2026-11-03", "idle", "True", "laptop"),
    ]


def test_one_computers_report_names_it_in_the_same_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open() as store:
        store.session_ended(SessionEnded(at(9, 40) + 510, at(9), at(9, 40), Cause.IDLE))
        store.flush()
    monkeypatch.setattr(socket, "gethostname", lambda: "study")
    config = tmp_path / "config.toml"
    config.write_text('[general]\ntimezone = "Europe/Berlin"\n')  # no sync at all
    (row,) = session_rows(capsys, config)
    assert (row["start"][11:16], row["end"][11:16], row["computers"]) == ("09:00", "09:40", "study")
    # The name it would have in a folder, when one is given: the rows read the same.
    config.write_text('[general]\ntimezone = "Europe/Berlin"\n[sync]\nname = "desk"\n')
    (row,) = session_rows(capsys, config)
    assert row["computers"] == "desk"


def test_this_computers_own_database_beside_a_folder_is_named_as_in_the_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with Store.open() as store:
        store.session_ended(SessionEnded(at(14, 10) + 510, at(14), at(14, 10), Cause.IDLE))
        store.flush()
    config = config_for(tmp_path / "config.toml", two_computers(tmp_path / "Sync"))
    (row,) = session_rows(capsys, config, "--host", "desk")  # its own database
    assert row["computers"] == "desk"
    rows = session_rows(capsys, config, "--host", "laptop")  # the laptop's, from the folder
    assert [(r["start"][11:19], r["computers"]) for r in rows] == [("09:20:20", "laptop")]


def test_a_replay_is_no_computers_and_says_so_with_an_empty_cell(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["replay", "--sample", "--record"]) == 0
    capsys.readouterr()
    code = main(["report", "2026-11-16", "-f", "csv", "--sessions", "--source", "replay:sample"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == HEADER
    assert rows and {r["computers"] for r in rows} == {""}
