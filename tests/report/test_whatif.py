"""`sitbreak replay --days/--week`: one's own recorded days under another config,
beside what really happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from office import BERLIN, MIN, NINE, Office
from sitbreak.cli import main
from sitbreak.core import Lock, Unlock
from sitbreak.daemon.control import format_status


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Office:
    o = Office(tmp_path)
    monkeypatch.setenv("SITBREAK_HOME", str(o.home))
    monkeypatch.delenv("SITBREAK_CONFIG", raising=False)
    return o


def a_morning(office: Office) -> None:
    office.sit(40 * MIN, every=3)  # posture at 20, move at 30
    office.away(12 * MIN)
    office.sit(38 * MIN, every=5)  # move at 30
    office.send(Lock(office.clock.now()))
    office.away(5 * MIN)
    office.send(Unlock(office.clock.now()))
    office.sit(55 * MIN, every=2)  # move at 30, again at 40 and 50
    office.away(20 * MIN)


def replay_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["replay", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_replayed_under_ones_own_config_the_days_are_what_happened(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    a_morning(office)
    office.stop()
    report = replay_json(capsys, "--days", "2026-11-02")
    assert report["recorded"]["sessions"] == 3
    # The 12-minute absence may have been a pause (under twice the break
    # threshold): the movement clock runs on into the next sitting.
    assert report["recorded"]["prompts_by_kind"] == {"move": 8, "posture": 2, "stretch": 1}
    assert report["replayed"] == report["recorded"]
    assert report["config_reloads"] == []


def test_a_trial_config_shows_what_it_would_have_changed(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a_morning(office)
    office.stop()
    trial = tmp_path / "try.toml"
    trial.write_text('[general]\ntimezone = "Europe/Berlin"\n[prompts]\nmove_after = "45m"\n')
    report = replay_json(capsys, "--days", "2026-11-02", "--config", str(trial))
    happened, replayed = report["recorded"], report["replayed"]
    assert replayed["sessions"] == happened["sessions"] == 3
    assert replayed["sitting_s"] == happened["sitting_s"]
    # At 45 minutes the first sitting, 40 minutes long, gets no move prompt.
    assert replayed["prompts_by_kind"]["move"] == 5
    assert happened["long_sittings_without_move_prompt"] == 0
    assert replayed["long_sittings_without_move_prompt"] == 1

    assert main(["replay", "--days", "2026-11-02", "--config", str(trial)]) == 0
    text = capsys.readouterr().out
    assert "Your days 2026-11-02 (Europe/Berlin): what happened, and under" in text
    assert [line.split()[-3:] for line in text.splitlines() if line.startswith("  move")] == [
        ["8", "5", "-3"]
    ]
    assert "long sittings with no move prompt" in text
    assert "prompts within 10 minutes of a break" in text


def test_prompts_just_before_a_break_are_counted(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    office.sit(33 * MIN)  # the move prompt at 30, then up 3 minutes later
    office.away(15 * MIN)
    office.sit(5 * MIN)
    office.stop()
    report = replay_json(capsys, "--days", "2026-11-02")
    # The move prompt came 3 minutes before the break; the posture prompt at
    # 20 minutes, 13 minutes before it, did not.
    assert report["recorded"]["prompts_by_kind"] == {"move": 1, "posture": 1}
    assert report["recorded"]["prompts_near_a_break"] == 1


def test_a_reload_is_named_by_status_reports_and_replay(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    office.sit(10 * MIN)
    assert office.daemon is not None
    office.daemon.reload()
    office.sit(10 * MIN)
    status = office.daemon.status(office.clock.now())
    assert status["config_reloads_today"] == [pytest.approx(NINE + 10 * MIN + 5, abs=1)]
    assert "The config was reloaded today at 09:10: today's figures follow the settings " in (
        format_status(status, now=office.clock.now(), tz=BERLIN)
    )
    office.stop()

    assert main(["report", "2026-11-02"]) == 0
    assert "config reloaded at 09:10: the figures follow the settings before and after" in (
        capsys.readouterr().out
    )
    assert main(["report", "--week", "2026-11-02", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["config_reloads"] == [
        pytest.approx(NINE + 10 * MIN + 5, abs=1)
    ]
    assert main(["report", "--week", "2026-11-02"]) == 0
    assert "(config reloaded at 09:10" in capsys.readouterr().out
    report = replay_json(capsys, "--week", "2026-11-04")
    assert len(report["config_reloads"]) == 1
    assert main(["replay", "--days", "2026-11-02"]) == 0
    assert "The config was reloaded on Mon 2026-11-02 at 09:10" in capsys.readouterr().out


def test_no_recorded_days_is_said_plainly(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    office.sit(5 * MIN)
    office.stop()
    assert main(["replay", "--days", "2026-10-01"]) == 1
    assert capsys.readouterr().err == (
        "sitbreak: no activity recorded on 2026-10-01: sitbreak records while `sitbreak run` "
        "runs (`sitbreak status` says whether it does)\n"
    )
    assert main(["replay", "--days", "2026-10-01..2026-10-07"]) == 1
    assert "no activity recorded from 2026-10-01 to 2026-10-07: " in capsys.readouterr().err
    assert main(["replay", "--days", "someday"]) == 2
    assert "bad date 'someday'" in capsys.readouterr().err


def test_the_table_keeps_its_columns_for_durations_and_counts() -> None:
    """Durations used to end two and three characters short of the counts
    under the same headings."""
    from sitbreak.report.whatif import Figures, table

    happened = Figures(sitting_s=3 * 3600 + 5 * 60, sessions=4, longest_session_s=52 * MIN)
    trial = Figures(sitting_s=3 * 3600 + 5 * 60, sessions=5, longest_session_s=41 * MIN + 20)
    lines = table(happened, trial, "try.toml")
    heading, sitting, sessions, longest = lines[:4]
    assert sitting.split() == ["sitting", "3", "h", "05", "3", "h", "05", "±0", "s"]
    assert longest.endswith("52 min  41 min 20 s −10 min 40 s")
    # Every column ends where its heading ends.
    for row in (sitting, sessions, longest):
        assert len(row) == len(heading)
        for word in ("happened", "try.toml", "change"):
            end = heading.index(word) + len(word)
            assert row[end - 1] != " ", (word, row)
