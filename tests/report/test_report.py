"""`sitbreak report`: figures checked by hand, agreement with replay and daemon, edge days.

Sessions, breaks and prompts are written into the store with the daemon's own
calls, then the report is read back through the real command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

import synced
from sitbreak.cli import main
from sitbreak.commands.replay import sample_trace_path
from sitbreak.core import BreakTaken, Cause, EngineSettings, PromptDue, PromptKind, SessionEnded
from sitbreak.report import figures as report
from sitbreak.report.text import render_text
from sitbreak.storage.store import DAEMON, Store, default_db_path
from sitbreak.storage.sync import SyncWriter

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
HOUR = 3600.0
SRC = Path(__file__).resolve().parents[2] / "src"


def at(day: dt.date, hh: int, mm: int = 0, ss: int = 0, fold: int = 0) -> float:
    return dt.datetime.combine(day, dt.time(hh, mm, ss, fold=fold), BERLIN).timestamp()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[general]\ntimezone = "Europe/Berlin"\n')
    return path


def sit(store: Store, start: float, end: float, cause: Cause = Cause.IDLE) -> None:
    """A session as the daemon stores it: noticed when the idle break was recognised."""
    noticed = end + (8.5 * MIN if cause is Cause.IDLE else 5)
    store.session_ended(SessionEnded(noticed, start, end, cause))


def pause(store: Store, start: float, end: float, cause: Cause = Cause.IDLE) -> None:
    store.break_taken(BreakTaken(end, start, end, cause))


def prompt(store: Store, t: float, kind: PromptKind, level: int = 1, seated: float = 0.0) -> None:
    store.prompt_sent(PromptDue(t, kind, level, seated))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


# ------------------------------------------------------- a hand-made day

MONDAY = dt.date(2025, 11, 3)


def a_monday(store: Store) -> None:
    """Three sessions: 40 min (over the limit), 25 min, 90 min (over twice it).

    09:00-09:40 sit, 09:40-09:55 break, 09:55-10:20 sit (locked), 10:20-10:35
    break, 10:35-12:05 sit. Prompts: posture 09:20, move 09:30 (heeded: the
    session ends 09:40, within 10 min), posture 10:55, move 11:05, 11:15,
    11:25 (not heeded: the session ends 12:05) and 11:58 (heeded).
    """
    d = MONDAY
    sit(store, at(d, 9), at(d, 9, 40))
    pause(store, at(d, 9, 40), at(d, 9, 55))
    sit(store, at(d, 9, 55), at(d, 10, 20), Cause.LOCK)
    pause(store, at(d, 10, 20), at(d, 10, 35), Cause.LOCK)
    sit(store, at(d, 10, 35), at(d, 12, 5))
    prompt(store, at(d, 9, 20), PromptKind.POSTURE)
    prompt(store, at(d, 9, 30), PromptKind.MOVE, 1, 30 * MIN)
    prompt(store, at(d, 10, 55), PromptKind.POSTURE)
    for i, (h, m) in enumerate([(11, 5), (11, 15), (11, 25), (11, 58)]):
        prompt(store, at(d, h, m), PromptKind.MOVE, i + 1)
    store.flush()


#: The Monday's figures, worked out by hand from the docstring above.
MONDAY_BY_HAND = {
    "date": "2025-11-03",
    "sitting_s": (40 + 25 + 90) * MIN,
    "sessions": 3,
    "longest_session_s": 90 * MIN,
    "sessions_over_limit": 2,
    "breaks": 2,
    "break_s": 30 * MIN,
    "prompts": 7,
    "prompts_heeded": 2,
    "prompts_acted": 0,  # no notification answers recorded for this day
    "prompts_snoozed": 0,
    "prompts_skipped": 0,
    "prompts_ignored": 0,
    "prompts_by_kind": {"move": 5, "posture": 2},
    "first_seen": at(MONDAY, 9),
    "last_seen": at(MONDAY, 12, 5),
}


@pytest.fixture
def monday() -> None:
    with Store.open() as store:
        a_monday(store)


@pytest.mark.usefixtures("monday")
def test_json_figures_of_a_hand_made_day(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    doc = report_json(capsys, "2025-11-03", "--config", str(config))
    assert doc["days"] == [{**MONDAY_BY_HAND, "state": "sat"}]
    assert doc["source"] == DAEMON and doc["tz"] == "Europe/Berlin"
    assert doc["period"] == {"kind": "day", "first": "2025-11-03", "last": "2025-11-03"}
    assert doc["totals"]["move_prompts"] == 5
    # 90 min against a 30-min limit outweighs 2 of 3 sessions over it.
    assert doc["advice"]["rule"] == "long_session"
    assert "1 h 30" in doc["advice"]["text"] and "30 min" in doc["advice"]["text"]


@pytest.mark.usefixtures("monday")
def test_csv_a_row_per_day_and_per_session(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, _ = run(
        capsys, "--from", "2025-11-02", "--to", "2025-11-04", "-f", "csv", "--config", str(config)
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["date"] for r in rows] == ["2025-11-02", "2025-11-03", "2025-11-04"]
    mon = rows[1]
    assert float(mon["sitting_s"]) == 155 * MIN
    assert (mon["sessions"], mon["sessions_over_limit"], mon["breaks"]) == ("3", "2", "2")
    assert (mon["prompts"], mon["prompts_heeded"], mon["prompts_move"]) == ("7", "2", "5")
    assert mon["first_seen"] == "2025-11-03T09:00:00+01:00"
    assert rows[0]["sessions"] == "0" and rows[0]["first_seen"] == ""

    code, out, _ = run(capsys, "2025-11-03", "-f", "csv", "--sessions", "--config", str(config))
    sessions = list(csv.DictReader(io.StringIO(out)))
    got = [(s["start"][11:16], s["end"][11:16], s["cause"], s["over_limit"]) for s in sessions]
    assert got == [
        ("09:00", "09:40", "idle", "True"),
        ("09:55", "10:20", "lock", "False"),
        ("10:35", "12:05", "idle", "True"),
    ]
    assert sum(float(s["length_s"]) for s in sessions) == 155 * MIN


@pytest.mark.usefixtures("monday")
def test_text_figures_and_timeline(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    code, out, _ = run(capsys, "2025-11-03", "--config", str(config), "--sessions")
    assert code == 0
    assert out.startswith("Monday 3 November 2025 · daemon · Europe/Berlin")
    assert "2 h 35 in 3 sessions" in out
    assert "longest session  1 h 30" in out
    assert "2 of 3 sessions longer than 30 min" in out
    assert "got up after 2 of 5 movement reminders" in out
    rows = {line[2:7]: line[9:] for line in out.splitlines() if line[2:4].isdigit()}
    # A minute a cell: 40 min over the limit, the 15-min break, 5 min of a short session.
    assert rows["09:00"] == "▓" * 40 + "─" * 15 + "▒" * 5
    assert rows["11:00"] == "█" * 60  # the 90-min session: over twice the limit
    assert rows["12:00"] == "█" * 5 + "·" * 55
    assert "  13:00–24:00  no sitting" in out  # the evening folds into one line
    assert "  00:00–09:00  not recorded" in out  # before the first stored session
    assert "10:35–12:05       1 h 30  ended by idle" in out
    assert "\x1b[" not in out  # captured output is no terminal: no colour


@pytest.mark.usefixtures("monday")
def test_markdown_has_the_same_figures(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    code, out, _ = run(capsys, "2025-11-03", "-f", "markdown", "--config", str(config))
    assert code == 0
    assert out.startswith("# Monday 3 November 2025\n")
    assert "| sitting | 2 h 35 in 3 sessions |" in out
    assert "| longest session | 1 h 30 |" in out
    assert "> **Tip:** Your longest session was 1 h 30" in out


@pytest.mark.usefixtures("monday")
def test_report_agrees_with_the_daemons_end_of_day_summary(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    from sitbreak.daemon.loop import summary_line

    with Store.open(recover=False) as store:
        fig = store.day_figures(MONDAY, BERLIN, settings=EngineSettings())
        store.save_day(fig, "Europe/Berlin")  # what the daemon does at midnight
        store.flush()
        saved = store.saved_days()
    doc = report_json(capsys, "2025-11-03", "--config", str(config))
    assert doc["days"] == [{**fig.as_dict(), "state": "sat"}]
    assert {k: saved[0][k] for k in fig.as_dict()} == fig.as_dict()
    _, text, _ = run(capsys, "2025-11-03", "--config", str(config))
    line = summary_line(fig)  # "...: sat 2 h 35 in 3 sessions (longest 1 h 30, ..."
    assert "sat 2 h 35 in 3 sessions (longest 1 h 30, 2 over the limit)" in line
    assert "2 h 35 in 3 sessions" in text


# ------------------------------------------------ the sample trace, recorded


def test_recorded_sample_replay_reports_the_replays_own_days(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["replay", "--sample", "--record", "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)["days"]
    assert [d["date"] for d in replayed] == ["2026-11-16", "2026-11-17"]
    source = ["--source", "replay:sample"]
    doc = report_json(capsys, "--from", "2026-11-16", "--to", "2026-11-17", *source)
    assert [d.pop("state") for d in doc["days"]] == ["sat", "sat"]
    assert doc["days"] == replayed  # the replay's own days, and where they stand
    assert doc["tz"] == "Europe/Berlin"  # the trace's zone, whatever the machine's
    for day in replayed:
        assert report_json(capsys, day["date"], *source)["days"] == [{**day, "state": "sat"}]
    week = report_json(capsys, "--week", "2026-11-18", *source)
    assert week["totals"]["sessions"] == sum(d["sessions"] for d in replayed)


# ------------------------------------------------------------ colour


def _read_all(fd: int, proc: subprocess.Popen[bytes]) -> bytes:
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 10)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(10)
    return b"".join(chunks)


def _on_a_terminal(args: list[str], **env: str) -> str:
    """Run `sitbreak report ARGS` with stdout on a pseudo-terminal, as a person would."""
    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(PYTHONPATH=str(SRC), TERM="xterm-256color", **env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitbreak", "report", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=full_env,
    )
    os.close(slave)
    try:
        return _read_all(master, proc).decode()
    finally:
        os.close(master)


@pytest.mark.usefixtures("monday")
def test_colour_on_a_terminal_only_and_never_with_no_color(config: Path) -> None:
    args = ["2025-11-03", "--config", str(config)]
    coloured = _on_a_terminal(args)
    assert "\x1b[33m" in coloured and "\x1b[31m" in coloured  # over / over twice
    assert "2 h 35 in 3 sessions" in coloured
    assert "\x1b[" not in _on_a_terminal(args, NO_COLOR="1")
    piped = subprocess.run(
        [sys.executable, "-m", "sitbreak", "report", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
    )
    assert "\x1b[" not in piped.stdout and "2 h 35 in 3 sessions" in piped.stdout


# ---------------------------------------------------------- periods


def _week_of_sitting(store: Store, monday: dt.date, sessions_per_day: list[list[int]]) -> None:
    """Sessions of the given minutes each day from 09:00, with 15-minute breaks between."""
    for i, lengths in enumerate(sessions_per_day):
        t = at(monday + dt.timedelta(days=i), 9)
        for n, minutes in enumerate(lengths):
            if n:
                pause(store, t, t + 15 * MIN)
                t += 15 * MIN
            sit(store, t, t + minutes * MIN)
            t += minutes * MIN
    store.flush()


def test_week_view_rows_and_the_trend_against_the_previous_week(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    previous, this = dt.date(2025, 10, 20), dt.date(2025, 10, 27)
    with Store.open() as store:
        # Previous week: 5 days of 2 h (100 + 20 min) = 10 h, longest 1 h 40.
        _week_of_sitting(store, previous, [[100, 20]] * 5)
        # This week: 4 days of 2 h 12 (80 + 52 min) = 8 h 48 (-12 %), longest 1 h 20 (-20 min).
        _week_of_sitting(store, this, [[80, 52]] * 4)
    code, out, _ = run(capsys, "--week", "2025-10-29", "--config", str(config))
    assert code == 0
    assert out.startswith("Week 44 of 2025, 27 October – 2 November 2025 · daemon")
    assert "sitting −12 % vs the previous week, longest session −20 min" in out
    assert "  Mon 27 Oct       2 h 12         2       1 h 20      2" in out
    assert "  Fri 31 Oct  no sitting" in out
    assert "  total            8 h 48         8       1 h 20      8" in out
    doc = report_json(capsys, "--week", "2025-10-27", "--config", str(config))
    assert [d["sitting_s"] for d in doc["days"]] == [132 * MIN] * 4 + [0.0] * 3
    assert doc["trend"]["sitting_pct"] == -12.0
    assert doc["trend"]["longest_session_delta_s"] == -20 * MIN
    assert doc["previous"] == {
        "first": "2025-10-20",
        "last": "2025-10-26",
        "totals": doc["previous"]["totals"],
    }
    assert doc["previous"]["totals"]["sitting_s"] == 10 * HOUR


def test_the_week_names_the_heeded_count_as_the_day_does(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    # The day says "got up after 2 of 3 movement reminders"; the week's legend
    # explains the same column and must not call them something else.
    with Store.open() as store:
        _week_of_sitting(store, dt.date(2025, 10, 27), [[80, 52]])
    _, out, _ = run(capsys, "--week", "2025-10-27", "--config", str(config))
    assert "heeded: got up within 10 min of a movement reminder" in out
    assert "move reminder" not in out


def test_a_week_in_progress_is_compared_with_as_many_days_of_the_last(config: Path) -> None:
    previous, this = dt.date(2025, 10, 20), dt.date(2025, 10, 27)
    with Store.open() as store:
        _week_of_sitting(store, previous, [[60]] * 5)
        _week_of_sitting(store, this, [[90]] * 2)
        tuesday_evening = at(this + dt.timedelta(days=1), 20)
        rep = report.gather(
            store,
            report.Period("week", this, this + 6 * report.DAY),
            source=DAEMON,
            tz=BERLIN,
            settings=EngineSettings(),
            now=tuesday_evening,
            detail=False,
        )
    assert rep.previous.first == previous and rep.previous.last == previous + report.DAY
    trend = rep.trend()
    assert trend is not None and trend.sitting_pct == 50.0  # 3 h against Mon+Tue's 2 h
    text = render_text(rep, color=False)
    assert "  29–31 Oct   still to come (3 days)" in text  # three empty days fold into one line
    assert "  Sat  1 Nov  still to come" in text  # not across a month's end


def test_month_and_range_periods() -> None:
    today = dt.date(2026, 2, 11)
    p = report.choose_period(None, week=None, month="", first=None, last=None, today=today)
    assert (p.first, p.last, p.previous().first, p.previous().last) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
    )
    p = report.choose_period(
        None, week=None, month=None, first="2026-01-30", last=None, today=today
    )
    assert (p.kind, p.first, p.last) == ("range", dt.date(2026, 1, 30), today)
    assert p.previous().last == dt.date(2026, 1, 29) and len(p.previous().dates()) == 13
    p = report.choose_period("yesterday", week="", month=None, first=None, last=None, today=today)
    assert (p.first, p.last) == (dt.date(2026, 2, 9), dt.date(2026, 2, 15))


# -------------------------------------------------------- special days


def test_dst_days_of_25_and_23_hours(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    autumn, spring = dt.date(2025, 10, 26), dt.date(2025, 3, 30)
    with Store.open() as store:
        # 01:30 summer time to 03:30 winter time: 3 real hours, across the repeated hour.
        sit(store, at(autumn, 1, 30), at(autumn, 3, 30))
        # 01:30 winter time to 03:30 summer time: 1 real hour; 02:00-03:00 never happened.
        sit(store, at(spring, 1, 30), at(spring, 3, 30))
        store.flush()
    autumn_doc = report_json(capsys, "2025-10-26", "--config", str(config))
    assert autumn_doc["days"][0]["sitting_s"] == 3 * HOUR
    _, text, _ = run(capsys, "2025-10-26", "--config", str(config))
    labels = [line[2:7] for line in text.splitlines() if line[2:4].isdigit() and line[7:9] == "  "]
    assert labels[:5] == ["00:00", "01:00", "02:00", "02:00", "03:00"]  # the hour comes twice
    assert "25-hour day: the clocks went back from 03:00 to 02:00" in text

    assert report_json(capsys, "2025-03-30", "--config", str(config))["days"][0]["sitting_s"] == (
        1 * HOUR
    )
    _, text, _ = run(capsys, "2025-03-30", "--config", str(config))
    labels = [line[2:7] for line in text.splitlines() if line[2:4].isdigit() and line[7:9] == "  "]
    assert labels[:3] == ["00:00", "01:00", "03:00"]
    assert "23-hour day: the clocks went forward from 02:00 to 03:00" in text


def test_a_25_hour_day_has_25_hour_rows(config: Path) -> None:
    autumn = dt.date(2025, 10, 26)
    with Store.open() as store:
        sit(store, at(autumn, 0, 10), at(autumn, 23, 50))  # sat all day: nothing folds
        rep = _gather_day(store, autumn)
    day = rep.days[0]
    assert day.hours == 25
    text = render_text(rep, color=False)
    rows = [line for line in text.splitlines() if line[2:4].isdigit() and line[7:9] == "  "]
    assert len(rows) == 25
    assert rep.days[0].figures.sitting_s == 24 * HOUR + 40 * MIN


def _gather_day(store: Store, date: dt.date, now: float | None = None) -> report.Report:
    return report.gather(
        store,
        report.Period("day", date, date),
        source=DAEMON,
        tz=BERLIN,
        settings=EngineSettings(),
        now=now if now is not None else at(date + 3 * report.DAY, 12),
        detail=True,
    )


def test_a_session_across_midnight_counts_in_both_days(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    fri, sat = dt.date(2025, 11, 7), dt.date(2025, 11, 8)
    with Store.open() as store:
        sit(store, at(fri, 23, 30), at(sat, 0, 45))
        store.flush()
    doc = report_json(capsys, "--from", "2025-11-07", "--to", "2025-11-08", "--config", str(config))
    assert [(d["sitting_s"], d["sessions"], d["longest_session_s"]) for d in doc["days"]] == [
        (30 * MIN, 1, 30 * MIN),
        (45 * MIN, 1, 45 * MIN),
    ]
    _, out, _ = run(
        capsys,
        "--from",
        "2025-11-07",
        "--to",
        "2025-11-08",
        "-f",
        "csv",
        "--sessions",
        "--config",
        str(config),
    )
    pieces = list(csv.DictReader(io.StringIO(out)))
    assert [
        (p["date"], p["start"][11:19], p["end"][11:19], p["cause"], p["continued"]) for p in pieces
    ] == [
        ("2025-11-07", "23:30:00", "00:00:00", "midnight", "False"),
        ("2025-11-08", "00:00:00", "00:45:00", "idle", "True"),
    ]
    _, text, _ = run(capsys, "2025-11-08", "--sessions", "--config", str(config))
    assert "…00:00–00:45       45 min  ended by idle" in text
    assert "  00:00  " + "▓" * 45 + "·" * 15 in text


def test_empty_and_unrecorded_days(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    with Store.open() as store:
        a_monday(store)
        sit(store, at(MONDAY + 2 * report.DAY, 9), at(MONDAY + 2 * report.DAY, 9, 20))
        store.flush()
    code, out, _ = run(capsys, "2025-11-04", "--config", str(config))
    assert code == 0
    assert "No sitting recorded." in out and "Tip:" not in out
    doc = report_json(capsys, "2025-11-04", "--config", str(config))
    assert doc["days"][0]["sessions"] == 0 and doc["days"][0]["sitting_s"] == 0
    assert doc["advice"] is None
    _, out, _ = run(capsys, "2025-11-02", "--config", str(config))  # before the first record
    assert "Nothing recorded: sitbreak was not recording on this day." in out
    assert "  00:00–24:00  not recorded" in out


def test_a_half_recorded_day_marks_what_was_not_recorded(config: Path) -> None:
    """The daemon first ran at noon: the morning is 'not recorded', not 'no sitting'."""
    day = dt.date(2025, 11, 12)
    with Store.open() as store:
        sit(store, at(day, 12, 4), at(day, 12, 50))
        rep = _gather_day(store, day, now=at(day, 15, 30))
    text = render_text(rep, color=False)
    assert "  00:00–12:00  not recorded" in text
    assert "  12:00      " + "▓" * 46 in text  # four blank minutes, then the session
    assert "  16:00–24:00  still to come" in text  # today, at half past three
    assert rep.days[0].recorded == (at(day, 12, 4), at(day, 15, 30))
    assert rep.days[0].figures.sitting_s == 46 * MIN


# ------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2025-13-01"], "bad date '2025-13-01': month must be in 1..12"),
        (["2025-02-30"], "bad date '2025-02-30'"),
        (["20251103"], "expected YYYY-MM-DD, 'today' or 'yesterday'"),
        (["tomorrow"], "bad date 'tomorrow'"),
        (["--week", "next"], "bad date 'next'"),
        (["--from", "2025-11-05", "--to", "2025-11-01"], "--from 2025-11-05 is after --to"),
        (["--to", "2025-11-01"], "--to needs --from"),
        (["--from", "2099-01-01"], "--from 2099-01-01 is after today ("),
        (["--source", "elsewhere"], "unknown source 'elsewhere'"),
    ],
)
def test_bad_input_is_exit_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with Store.open():
        pass
    code, out, err = run(capsys, *args)
    assert code == 2
    assert message in err and out == ""


@pytest.mark.parametrize(
    "argv",
    [["2026-13-45"], ["--week", "2026-02-30"], ["--from", "2026-01-05", "--to", "2026-01-01"]],
)
def test_a_bad_date_is_refused_even_without_a_database(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "nothing to report" not in err and err.startswith("sitbreak: ")
    assert not default_db_path().exists()


def test_no_database_yet_is_a_friendly_exit_1_that_creates_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--format", "json")
    assert code == 1 and out == ""
    assert "nothing to report yet" in err and "sitbreak run" in err
    assert not default_db_path().exists()
    with Store.open():
        pass
    code, out, err = run(capsys, "--source", "replay:never")
    assert code == 2 and out == ""
    assert "unknown source 'replay:never'" in err and "no replay is recorded yet" in err


def test_an_unknown_replay_source_is_refused_with_the_recorded_ones_listed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["replay", "--sample", "--record"]) == 0
    trace = tmp_path / "day1.jsonl.gz"
    shutil.copy(sample_trace_path(), trace)
    assert main(["replay", str(trace), "--record"]) == 0
    assert "as 'replay:day1'" in capsys.readouterr().err
    code, out, err = run(capsys, "--source", "replay:sample.jsonl.gz")
    assert code == 2 and out == ""
    assert "recorded replays: replay:day1, replay:sample" in err
    code, out, err = run(capsys, "2026-11-16", "--source", "replay:sample")
    assert code == 0 and "sitting" in out


def test_a_replay_reported_on_a_day_it_has_nothing_in_says_which_days_it_has(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`sitbreak replay --sample --record`, then `sitbreak report --source replay:sample`
    (today, as a new user does): "Nothing recorded: sitbreak was not recording on
    this day", and not a word of the two days of November the replay holds."""
    assert main(["replay", "--sample", "--record"]) == 0
    capsys.readouterr()
    for fmt in ("text", "json"):
        code, out, err = run(capsys, "2026-12-01", "--source", "replay:sample", "-f", fmt)
        assert code == 0 and out
        assert err == (
            "sitbreak: replay:sample has nothing in this period; its sessions run from "
            "2026-11-16 to 2026-11-17 (`sitbreak report 2026-11-16 --source replay:sample`)\n"
        )
    code, _, err = run(capsys, "--week", "2026-11-16", "--source", "replay:sample")
    assert code == 0 and err == ""


def test_a_week_says_which_days_had_no_sitting_were_not_recorded_or_are_to_come(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    """Zeros alone would let a spreadsheet average a week over days nobody recorded."""
    with Store.open() as store:
        a_monday(store)
    now = at(MONDAY + dt.timedelta(days=2), 12)  # Wednesday noon: Thursday on is to come
    with mock.patch("time.time", return_value=now):
        doc = report_json(capsys, "--week", "2025-11-03", "--config", str(config))
        _, csv_text, _ = run(capsys, "--week", "2025-11-03", "-f", "csv", "--config", str(config))
    states = [d["state"] for d in doc["days"]]
    assert states[0] == "sat" and states[3:] == ["future"] * 4
    assert set(states[1:3]) <= {"idle", "unrecorded"}  # nothing stored after the Monday
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["state"] for r in rows] == states


def test_a_markdown_week_says_not_recorded_and_still_to_come_as_the_text_does(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    """The text week said "not recorded" and "still to come"; the Markdown one gave
    those days rows of "0 s | 0 | 0 s | ...", read as days of no sitting."""
    with Store.open() as store:
        a_monday(store)
    now = at(MONDAY + dt.timedelta(days=2), 12)  # Wednesday noon: Thursday on is to come
    with mock.patch("time.time", return_value=now):
        _, out, _ = run(capsys, "--week", "2025-11-03", "-f", "markdown", "--config", str(config))
    rows = [line for line in out.splitlines() if line.startswith("| ") and "2025-11" in line]
    assert rows[0] == "| Mon 2025-11-03 | 2 h 35 | 3 | 1 h 30 | 2 | 2 | 7 | 2 |"
    assert rows[3:] == [
        f"| {day} 2025-11-{6 + n:02d} | still to come | | | | | | |"
        for n, day in enumerate(["Thu", "Fri", "Sat", "Sun"])
    ]
    assert "| 0 s | 0 |" not in "\n".join(rows[3:])


@pytest.mark.usefixtures("monday")
def test_output_file(capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path) -> None:
    target = tmp_path / "monday.json"
    code, out, err = run(
        capsys, "2025-11-03", "-f", "json", "-o", str(target), "--config", str(config)
    )
    assert code == 0 and out == "" and str(target) in err
    assert json.loads(target.read_text())["days"] == [{**MONDAY_BY_HAND, "state": "sat"}]


# ------------------------------------------------------------- advice


def _totals(**kw: float) -> report.Totals:
    base = dict(
        days=1,
        days_with_sitting=1,
        sitting_s=4 * HOUR,
        sessions=8,
        longest_session_s=28 * MIN,
        sessions_over_limit=0,
        breaks=7,
        break_s=HOUR,
        prompts=10,
        move_prompts=4,
        prompts_heeded=3,
        prompts_by_kind={},
    )
    base.update(kw)
    return report.Totals(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("totals", "rule"),
    [
        (_totals(), "good_day"),
        (_totals(longest_session_s=100 * MIN, sessions_over_limit=1), "long_session"),
        (_totals(sessions_over_limit=6, longest_session_s=40 * MIN), "many_over_limit"),
        (
            _totals(breaks=1, sessions=2, sessions_over_limit=1, longest_session_s=44 * MIN),
            "few_breaks",
        ),
        (
            _totals(
                move_prompts=12, prompts_heeded=1, sessions_over_limit=2, longest_session_s=40 * MIN
            ),
            "prompts_ignored",
        ),
        (_totals(sessions_over_limit=1, longest_session_s=35 * MIN), "steady"),
    ],
)
def test_the_advice_that_fits_the_day_best(totals: report.Totals, rule: str) -> None:
    advice = report.choose_advice(totals, 30 * MIN)
    assert advice is not None and advice.rule == rule
    assert "doctor" not in advice.text.lower() and "pain" not in advice.text.lower()


def test_no_advice_without_sitting() -> None:
    assert report.choose_advice(_totals(sessions=0, sitting_s=0), 30 * MIN) is None


def test_no_praise_for_a_day_with_next_to_no_sitting() -> None:
    # A day of a few seconds' sitting is not "well broken up".
    short = _totals(sessions=2, sitting_s=50, longest_session_s=30, breaks=0, break_s=0)
    assert report.choose_advice(short, 60) is None
    assert report.choose_advice(short, 30 * MIN) is None


def test_no_praise_for_breaks_that_were_not_taken() -> None:
    advice = report.choose_advice(_totals(breaks=0, break_s=0), 30 * MIN)
    assert advice is not None and advice.rule != "good_day"
    assert "0 breaks" not in advice.text


def test_a_report_of_today_counts_the_open_session_as_status_does(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    # The daemon's store is where the report reads; its control socket answers.
    from test_loop import Office

    from sitbreak.daemon import control
    from sitbreak.daemon.control import ControlServer

    data = sitbreak_home / "data"
    data.mkdir(mode=0o700, parents=True)
    office = Office(data)
    office.sit(84)  # the last checkpoint was at 60 s: the stored row ends there
    server = ControlServer(control.socket_path(), office.daemon._answer)
    server.start()
    try:
        status = office.ask("status")
        doc = report_json(capsys, "2026-11-02", "--config", str(data / "config.toml"))
    finally:
        server.stop()
        office.store.close()
    (day,) = doc["days"]
    assert status["today"]["sitting_s"] == pytest.approx(84, abs=2)
    assert day["sitting_s"] == status["today"]["sitting_s"]
    assert day["longest_session_s"] == status["today"]["longest_session_s"]
    # Without the daemon the report is what is stored: up to the checkpoint.
    doc = report_json(capsys, "2026-11-02", "--config", str(data / "config.toml"))
    assert doc["days"][0]["sitting_s"] < 70


def test_the_session_still_going_is_not_said_to_have_ended(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    """A morning: one session ended by a lock, the next one still open (the
    daemon running, or stopped by a crash nobody has restarted from yet). The
    list used to say "ended by shutdown" for it, and its columns slipped."""
    from test_loop import Office

    from sitbreak.core import Lock, Unlock

    data = sitbreak_home / "data"
    data.mkdir(mode=0o700, parents=True)
    office = Office(data)
    office.sit(42 * MIN)
    office.daemon.inbox.put(Lock(office.clock.now()))
    office.away(5 * MIN)
    office.daemon.inbox.put(Unlock(office.clock.now()))
    office.sit(3 * MIN)
    office.daemon._checkpoint()
    office.store.close()  # no daemon answers: the report reads the store alone
    config = str(data / "config.toml")
    code, out, err = run(capsys, "2026-11-02", "--sessions", "--config", config)
    assert code == 0, err
    lines = out.splitlines()
    at = lines.index("  sessions")
    assert lines[at + 1 : at + 3] == [
        "     09:00–09:42  41 min 59 s  ended by lock",
        "     09:47–09:49   2 min 59 s  still going",
    ]
    code, out, err = run(capsys, "2026-11-02", "--sessions", "-f", "csv", "--config", config)
    assert [row["cause"] for row in csv.DictReader(io.StringIO(out))] == ["lock", "open"]
    code, out, err = run(capsys, "2026-11-02", "--sessions", "-f", "markdown", "--config", config)
    assert "| 2026-11-02 | 09:47 | 09:49 | 2 min 59 s | still going |" in out


def test_todays_markdown_says_so_far_as_the_text_does(capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open():
        pass
    code, text, _ = run(capsys, "--format", "text")
    code, markdown, _ = run(capsys, "--format", "markdown")
    assert code == 0
    assert " (so far) · daemon · " in text.splitlines()[0]
    assert markdown.splitlines()[0].endswith(" (so far)")
    code, markdown, _ = run(capsys, "yesterday", "--format", "markdown")
    assert "(so far)" not in markdown


def test_a_session_of_no_length_is_listed_as_it_is_counted(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    """One keystroke, then sitbreak stopped: the day said "in 2 sessions" and
    listed one."""
    with Store.open() as store:
        sit(store, at(MONDAY, 9), at(MONDAY, 9, 40))
        store.session_ended(
            SessionEnded(at(MONDAY, 10), at(MONDAY, 10), at(MONDAY, 10), Cause.SHUTDOWN)
        )
    code, out, err = run(capsys, "2025-11-03", "--sessions", "--config", str(config))
    assert code == 0, err
    assert "40 min in 2 sessions" in out
    lines = out.splitlines()
    at_ = lines.index("  sessions")
    assert [line.split()[0] for line in lines[at_ + 1 : at_ + 3]] == ["09:00–09:40", "10:00–10:00"]


# ------------------------------------------------ across computers ([sync])


def test_the_json_sessions_name_their_computers_as_the_breakdown_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = synced.two_computers(tmp_path / "Sync")
    config = synced.config_for(tmp_path / "config.toml", folder)
    doc = report_json(capsys, "2026-11-02", "--sessions", "--config", str(config))
    assert [(s["start"][11:16], s["computers"]) for s in doc["sessions"]] == [
        ("09:00", ["desk", "laptop"]),
        ("14:00", ["desk"]),
    ]
    named = {c["name"] for c in doc["computers"]}
    assert {n for s in doc["sessions"] for n in s["computers"]} <= named
    # Without --sessions, no session list and nothing else changes.
    assert "sessions" not in report_json(capsys, "2026-11-02", "--config", str(config))


def test_one_computers_json_sessions_name_it(
    capsys: pytest.CaptureFixture[str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with Store.open() as store:
        sit(store, at(MONDAY, 9), at(MONDAY, 9, 40))
    monkeypatch.setattr(socket, "gethostname", lambda: "study")
    doc = report_json(capsys, "2025-11-03", "--sessions", "--config", str(config))
    assert [s["computers"] for s in doc["sessions"]] == [["study"]]
    assert "computers" not in doc  # no breakdown: the report is of one computer


def test_two_computers_of_one_name_are_picked_by_the_name_the_report_gives_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = synced.two_computers(tmp_path / "Sync")
    twin = SyncWriter(folder, "f" * 16, "laptop")  # the office's laptop, named the same
    synced.typing(twin, synced.at(16), synced.at(16, 5))
    config = synced.config_for(tmp_path / "config.toml", folder)
    doc = report_json(capsys, "2026-11-02", "--sessions", "--config", str(config))
    assert [s["computers"] for s in doc["sessions"]] == [
        ["desk", "laptop (eeeeee)"],
        ["desk"],
        ["laptop (ffffff)"],
    ]
    # What the report calls it is what --host takes.
    one = report_json(
        capsys, "2026-11-02", "--sessions", "--host", "laptop (ffffff)", "--config", str(config)
    )
    assert one["source"] == "1 computer (laptop)"
    assert [(s["start"][11:16], s["computers"]) for s in one["sessions"]] == [("16:00", ["laptop"])]
