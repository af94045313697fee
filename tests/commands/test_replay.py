"""`sitbreak replay`: small hand-made traces through the real command line."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sitbreak.cli import main
from sitbreak.commands.replay import sample_trace_path

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
NINE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp()


def typing(start: float, minutes: float, every: float = 2.0) -> list[dict]:
    n = int(minutes * MIN / every)
    return [{"t": start + i * every, "kind": "input"} for i in range(n + 1)]


def write_trace(path: Path, events: list[dict], tz: str | None = "Europe/Berlin") -> Path:
    lines = [json.dumps({"kind": "meta", "version": 1, "tz": tz})] if tz else []
    lines += [json.dumps(e) for e in events]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    return path


def replay_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["replay", *args, "--json"]) == 0
    out, err = capsys.readouterr()
    print(err, end="", file=__import__("sys").stderr)  # keep warnings for the test to read
    return json.loads(out)


def a_morning() -> list[dict]:
    """38 min typing, a 17-min walk, 20 min typing, a locked coffee break, 10 min."""
    events = typing(NINE, 38)
    events += typing(NINE + 55 * MIN, 20)
    events.append({"t": NINE + 75 * MIN + 5, "kind": "lock"})
    events.append({"t": NINE + 85 * MIN, "kind": "unlock"})
    events += typing(NINE + 85 * MIN + 1, 10)
    return events


def test_a_morning_replays_into_sessions_breaks_prompts_and_a_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = replay_json(capsys, str(write_trace(tmp_path / "m.jsonl", a_morning())))
    assert [(s["start"], s["end"], s["cause"]) for s in report["sessions"]] == [
        (NINE, NINE + 38 * MIN, "idle"),
        (NINE + 55 * MIN, NINE + 75 * MIN + 5, "lock"),
        (NINE + 85 * MIN, NINE + 95 * MIN + 1, "shutdown"),
    ]
    assert [(b["start"], b["end"], b["cause"]) for b in report["breaks"]] == [
        (NINE + 38 * MIN, NINE + 55 * MIN, "idle"),
        (NINE + 75 * MIN + 5, NINE + 85 * MIN, "lock"),
    ]
    assert [(p["kind"], p["t"]) for p in report["prompts"]] == [
        ("posture", NINE + 20 * MIN),
        ("move", NINE + 30 * MIN),
        ("posture", NINE + 75 * MIN),
    ]
    (day,) = report["days"]
    assert day["date"] == "2026-11-02"
    assert day["sitting_s"] == 68 * MIN + 6
    assert (day["sessions"], day["breaks"], day["prompts"], day["prompts_heeded"]) == (3, 2, 3, 1)
    assert day["longest_session_s"] == 38 * MIN


def test_gzip_traces_replay_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = replay_json(capsys, str(write_trace(tmp_path / "m.jsonl", a_morning())))
    packed = replay_json(capsys, str(write_trace(tmp_path / "m.jsonl.gz", a_morning())))
    assert plain == packed


def test_a_config_file_changes_what_is_inferred(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = str(write_trace(tmp_path / "m.jsonl", a_morning()))
    config = tmp_path / "c.toml"
    config.write_text('[session]\nbreak_idle = "20m"\n[prompts.enabled]\nposture = false\n')
    report = replay_json(capsys, trace, "--config", str(config))
    assert [s["cause"] for s in report["sessions"]] == ["lock", "shutdown"]
    kinds = {p["kind"] for p in report["prompts"]}
    assert "posture" not in kinds
    assert "move" in kinds


def test_the_readable_table_shows_each_day_and_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(write_trace(tmp_path / "m.jsonl", a_morning()))]) == 0
    out = capsys.readouterr().out
    assert "Mon 2026-11-02" in out
    assert "09:00-09:38" in out
    assert "ended by lock" in out
    assert "3 sessions, 2 breaks, 3 prompts" in out


def test_the_table_names_the_zone_its_times_are_in_and_how_the_trace_ends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Berlin trace replayed on a machine in UTC: "sessions (local time)"
    showed Berlin's 09:00 as if it were the reader's; and the session the
    trace stops in read "ended by shutdown" though nothing shut down."""
    monkeypatch.setenv("TZ", "UTC")
    assert main(["replay", str(write_trace(tmp_path / "m.jsonl", a_morning()))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "sessions (Europe/Berlin time):" in lines
    sessions = lines[lines.index("sessions (Europe/Berlin time):") + 2 :]
    assert sessions[0].startswith("    09:00-09:38  ")
    assert "ended by idle" in sessions[0]
    assert sessions[-1].split("  ")[-1].startswith("ended with the trace")
    assert all(line == line.rstrip() for line in lines)


def test_the_table_says_heeded_counts_the_move_reminders_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ "prompts 31, heeded 7" read as 7 of 31 prompts; heeded is of the move reminders."""
    report = replay_json(capsys, "--sample")
    moves = sum(p["kind"] == "move" for p in report["prompts"])
    assert 0 < moves < len(report["prompts"])
    assert main(["replay", "--sample"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Worded as the week report's legend is, with no count that reads as "heeded".
    assert lines[3] == (
        "heeded: got up within 10 min of a movement reminder; "
        f"{moves} of the {len(report['prompts'])} prompts were movement reminders"
    )


def test_a_malformed_line_is_an_error_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"kind": "meta", "version": 1, "tz": "UTC"}\n{"t": 1, "kind": "input"}\n{"t": "soon"}\n'
    )
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:" in err
    assert "Traceback" not in err


def test_an_unknown_kind_is_skipped_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [*typing(NINE, 5), {"t": NINE + 301, "kind": "gaze"}, *typing(NINE + 302, 5)]
    report = replay_json(capsys, str(write_trace(tmp_path / "m.jsonl", events)))
    assert len(report["sessions"]) == 1
    assert "gaze" in capsys.readouterr().err


def test_days_are_cut_in_the_trace_time_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 23:30-00:30 in Berlin is one session on two local days.
    late = dt.datetime(2026, 11, 2, 23, 30, tzinfo=BERLIN).timestamp()
    report = replay_json(capsys, str(write_trace(tmp_path / "m.jsonl", typing(late, 60))))
    assert [(d["date"], d["sitting_s"]) for d in report["days"]] == [
        ("2026-11-02", 30 * MIN),
        ("2026-11-03", 30 * MIN),
    ]


def test_a_missing_trace_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_the_shipped_sample_agrees_with_its_ground_truth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = replay_json(capsys, "--sample")
    truth = json.loads(sample_trace_path().with_name("sample.truth.json").read_text())
    sat = sum(e - s for s, e in truth["sitting"])
    inferred = sum(s["end"] - s["start"] for s in report["sessions"])
    assert abs(inferred - sat) / sat < 0.03
    assert len(report["days"]) == 2
    assert any(p["kind"] == "move" and p["level"] >= 3 for p in report["prompts"])


def test_python_dash_m_runs_the_same_cli() -> None:
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "sitbreak", "replay", "--sample", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(res.stdout)["days"]


def test_the_report_says_how_long_idle_made_a_break_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = str(write_trace(tmp_path / "m.jsonl", a_morning()))
    learned = replay_json(capsys, trace)["breaks_after"]
    # Learned over the trace from a new person's defaults: the walk and the lock.
    assert learned == {
        "after_s": learned["after_s"],
        "source": "default",
        "pauses": 2,
        "known_breaks": 1,
    }
    assert 8 * MIN < learned["after_s"] <= 8.5 * MIN
    assert main(["replay", trace]) == 0
    assert "Breaks: after 8 min" in capsys.readouterr().out
    config = tmp_path / "c.toml"
    config.write_text('[session]\nbreak_idle = "20m"\n')
    fixed = replay_json(capsys, trace, "--config", str(config))["breaks_after"]
    assert fixed == {"after_s": 20 * MIN, "source": "config"}


def test_the_table_header_names_the_configured_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = str(write_trace(tmp_path / "m.jsonl", a_morning()))
    assert main(["replay", trace]) == 0
    assert "over 30 min" in capsys.readouterr().out.splitlines()[0]
    config = tmp_path / "c.toml"
    config.write_text('[prompts]\nmove_after = "45m"\n')
    assert main(["replay", trace, "--config", str(config)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "over 45 min" in header and "30m" not in header


def test_counts_in_the_summary_are_singular_for_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = typing(NINE, 31)  # one session, one move prompt
    assert main(["replay", str(write_trace(tmp_path / "m.jsonl", one))]) == 0
    out = capsys.readouterr().out
    assert ", 1 session, 0 breaks, 2 prompts" in out


@pytest.mark.parametrize("text", ["", '{"kind": "meta", "version": 1, "tz": "UTC"}\n'])
def test_a_trace_without_events_is_replayed_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """An empty file (a failed export, the wrong file) read as a day of no sitting."""
    path = tmp_path / "empty.jsonl"
    path.write_text(text)
    assert main(["replay", str(path)]) == 0
    captured = capsys.readouterr()
    assert "(no sitting found in this trace)" in captured.out
    assert captured.err == (
        f"sitbreak: warning: {path}: the trace has no events (input, lock, sleep, ...) to replay\n"
    )


def test_a_movement_prompt_early_in_a_session_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    """ "10:15-10:56 ... move@10 min move@20 min" read as prompts 10 minutes after
    sitting down: the 11-minute idle break before was not sure, so the movement
    clock of the session before ran on. The table marks such prompts and says so."""
    assert main(["replay", "--sample"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (line,) = [x for x in lines if x.startswith("    10:15-10:56")]
    assert line.endswith("move@10 min* move@20 min* move@30 min move@40 min 25 s")
    (first,) = [x for x in lines if x.startswith("    08:52-10:04")]
    assert "*" not in first
    assert lines[-1] == (
        "  * sooner than 30 min into the session: the break before it was too short to be "
        "sure of, so the movement clock ran on from the session before"
    )
