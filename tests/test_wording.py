"""A text check over what people read: notifications of every kind and level,
`sitbreak status` in every state, the daemon's log lines, the replay table.
Reports in every format are checked in report/test_every_report.py.

Every text goes through `wording.problems`: no "1 minutes", no "2 session",
no "30m" in prose, no "under a minute"; and a duration is shown as it is
(80 s is "1 min 20 s", as `config show` says 1m20s, never "1 min").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
from pathlib import Path
from typing import Any

import pytest
from test_loop import MIN, Office

from sitbreak.cli import main
from sitbreak.core import DayFigures, PromptDue, PromptKind
from sitbreak.daemon.control import format_status
from sitbreak.daemon.loop import summary_line
from sitbreak.prompts import PromptWriter, load_library
from sitbreak.text import duration
from wording import problems

NOW = dt.datetime(2026, 11, 18, 10, 54, tzinfo=dt.timezone.utc).timestamp()
#: Seated times around every boundary the wording has: seconds, one minute, an hour.
SEATED = (1, 2, 59, 60, 61, 80, 119, 120, 30 * MIN, 59 * MIN + 59, 3600, 3660, 3661, 65 * MIN, 7260)


def _clean(text: str) -> None:
    assert problems(text) == [], text


# ---------------------------------------------------------------- notifications


@pytest.mark.parametrize("kind", list(PromptKind))
def test_every_notification_of_every_kind_and_level_reads_right(kind: PromptKind) -> None:
    writer = PromptWriter(load_library())
    for level, seated in itertools.product(range(1, 7), SEATED):
        message = writer.write(PromptDue(NOW, kind, level, seated))
        _clean(message.title)
        _clean(message.body)


@pytest.mark.parametrize(
    ("seated", "said"),
    [
        (60, "1 minute seated"),
        (61, "1 minute 1 second seated"),
        (80, "1 minute 20 seconds seated"),
        (2 * MIN, "2 minutes seated"),
        (30 * MIN, "30 minutes seated"),
        (3661 + 4 * MIN, "1 hour 5 minutes without a break"),
    ],
)
def test_the_move_headline_says_the_time_as_it_is(seated: float, said: str) -> None:
    message = PromptWriter(load_library()).write(PromptDue(NOW, PromptKind.MOVE, 1, seated))
    assert message.title.startswith(said + " — ")


# ---------------------------------------------------------------- status


def _status(state: str, seated: float, n: int, **more: Any) -> dict[str, Any]:
    return {
        "ok": True,
        "state": state,
        "paused_until": None,
        "session": None if state == "away" else {"start": NOW - seated, "seated_s": seated},
        "next_prompt": {"kind": "move", "at": NOW + 80, "why": "1 min 20 s of continuous sitting"},
        "today": {
            "sitting_s": seated * n,
            "sessions": n,
            "longest_session_s": seated,
            "breaks": n,
            "prompts": n,
            "prompts_heeded": n,
            "prompts_by_kind": {"move": n},
        },
        "in_call": False,
        "watching": False,
        "since": NOW - seated,
        **more,
    }


STATES = ("sitting", "idle", "away", "locked", "suspended")
EXTRAS: tuple[dict[str, Any], ...] = (
    {},
    {"paused": True},
    {"paused_until": NOW + 3600},
    {"in_call": True},
    {"watching": True},
    {"next_prompt": None},
    *({"next_prompt": {"kind": k.value, "at": NOW + 60, "why": None}} for k in PromptKind),
)


@pytest.mark.parametrize("state", STATES)
def test_status_in_every_state_reads_right(state: str) -> None:
    for seated, n, extra in itertools.product(SEATED, (0, 1, 2, 11), EXTRAS):
        _clean(format_status(_status(state, seated, n, **extra), now=NOW, tz=dt.timezone.utc))


def test_status_shows_80_seconds_as_1_min_20_s_like_config_show() -> None:
    text = format_status(_status("sitting", 80, 1), now=NOW, tz=dt.timezone.utc)
    assert text.startswith("Sitting for 1 min 20 s (since 10:52).")
    assert text.splitlines()[1] == (
        "Today: 1 min 20 s sitting in 1 session, longest 1 min 20 s, 1 break, "
        "1 prompt (got up after 1 of 1 movement reminder)."
    )


# ---------------------------------------------------------------- log lines


@pytest.mark.parametrize("n", [0, 1, 2])
def test_the_daily_log_line_counts_right(n: int) -> None:
    fig = DayFigures(
        dt.date(2026, 11, 2),
        sitting_s=80.0 * n,
        sessions=n,
        longest_session_s=80.0 if n else 0.0,
        sessions_over_limit=n,
        breaks=n,
        prompts=4 * n,
        prompts_by_kind={"move": 4 * n},
        prompts_heeded=n,
        prompts_acted=n,
        prompts_snoozed=n,
        prompts_skipped=n,
        prompts_ignored=n,
    )
    line = summary_line(fig)
    _clean(line)
    if n == 1:
        assert line.startswith("2026-11-02: sat 1 min 20 s in 1 session (longest 1 min 20 s, ")
        assert line.endswith(
            ", 1 break, 4 prompts (got up after 1 of 4 movement reminders; "
            "on screen: 1 marked done, 1 snoozed, 1 skipped, 1 unanswered)"
        )


def test_a_day_of_the_daemon_logs_nothing_wrongly_worded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A morning with short settings (seconds show up) and every kind of prompt."""
    config = (
        '[session]\nbreak_idle = "1m20s"\nbreak_locked = "1m"\n'
        '[prompts]\nposture_after = "1m"\nmove_after = "5m"\nmove_repeat = "1m20s"\n'
        'extra_every = "5m"\n'
    )
    office = Office(tmp_path, config_text=config)
    office.recorder.on_response = office.daemon.w.inbox.put
    with caplog.at_level(logging.DEBUG, logger="sitbreak"):
        office.sit(11 * MIN)
        office.recorder.respond("expired")
        office.sit(1)
        office.ask("snooze", 80)
        office.ask("pause", 3600)
        office.ask("resume")
        office.away(3 * MIN)
        office.sit(61)
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        line.startswith("prompts snoozed until ") and line.endswith(" (for 1 min 20 s)")
        for line in lines
    ), lines
    for line in lines:
        _clean(line)
    for message in office.recorder.sent:
        _clean(message.title)
    # The daemon does not log an answer the notifier already logged.
    assert [line for line in lines if "expired" in line] == []


# ---------------------------------------------------------------- replay


def test_the_replay_table_reads_right(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["replay", "--sample"]) == 0
    _clean(capsys.readouterr().out)
    config = tmp_path / "c.toml"
    config.write_text('[prompts]\nposture_after = "2m"\nmove_after = "5m"\nmove_repeat = "1m20s"\n')
    assert main(["replay", "--sample", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    _clean(out)
    assert "over 5 min" in out.splitlines()[0]


def test_the_wording_check_catches_what_it_is_for() -> None:
    # The check itself must be able to fail.
    assert problems("1 minutes seated — time to stand up and move")
    assert problems("Today: 20 min sitting in 1 sessions, 1 breaks, 1 prompts.")
    assert problems("over 30m")
    assert problems("Sitting for under a minute.")
    assert problems("2 session")
    assert problems("got up after 0 of 1 movement reminders")
    assert not problems('1 minute 20 seconds seated; 2 h 05; 0 breaks; write "30m"')
    assert dataclasses.is_dataclass(DayFigures)


@pytest.mark.parametrize("argv", [["prompts"], ["doctor"], ["report"], ["report", "--week"]])
def test_other_commands_read_right(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    main(argv)  # doctor's status depends on the desktop; its words must not
    out, err = capsys.readouterr()
    _clean(out + err)


def test_status_and_the_journal_say_the_same_time(tmp_path: Path) -> None:
    sent: list[str] = []
    office = Office(tmp_path, service_notify=lambda *lines: sent.extend(lines), watchdog_s=10.0)
    office.sit(80)
    status = office.ask("snooze", 600)  # a command: the journal's STATUS= line is sent with it
    tz = office.daemon.tz
    text = format_status(status, now=office.clock.now(), tz=tz)
    line = [s for s in sent if s.startswith("STATUS=")][-1]
    seated = duration(status["session"]["seated_s"])
    assert seated in ("1 min 19 s", "1 min 20 s")  # the first input came a moment after 09:00
    assert text.startswith(f"Sitting for {seated} (since 09:00).")
    assert line == f"STATUS=sitting for {seated} (since 09:00)"


# ---------------------------------------------------------------- --help


def _parsers() -> list[tuple[str, Any]]:
    """Every (command line, parser): sitbreak, each command, each action of one."""
    import argparse

    from sitbreak.cli import build_parser

    found: list[tuple[str, Any]] = []

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    walk(f"{name} {sub}", child)

    walk("sitbreak", build_parser())
    return found


def test_every_help_fits_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sitbreak tune --help` and `trace export --help` printed their
    description as one line of 150 characters and more."""
    monkeypatch.setenv("COLUMNS", "80")
    for name, parser in _parsers():
        for line in parser.format_help().splitlines():
            assert len(line) <= 80, f"{name} --help: {line!r}"


def test_every_option_and_argument_says_what_it_is_for() -> None:
    """`sitbreak config check --help` listed a bare "file", `run --help` a bare --log-level."""
    import argparse

    for name, parser in _parsers():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            assert action.help, f"{name}: {action.option_strings or action.dest} has no help"


def test_every_command_that_does_something_says_what_in_its_help() -> None:
    """`sitbreak status --help`, `service uninstall --help` and `service status
    --help` went from the usage line straight to the options."""
    import argparse

    for name, parser in _parsers():
        if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            continue  # a group of actions: its actions are listed, each with its help
        assert parser.description, f"{name} --help has no description"


def test_every_argument_is_named_in_capitals_as_the_readme_names_it() -> None:
    """`sitbreak replay --help` showed "[trace]" where README.md says TRACE."""
    import argparse

    for name, parser in _parsers():
        for action in parser._actions:
            if action.option_strings or isinstance(action, argparse._SubParsersAction):
                continue
            metavar = action.metavar or action.dest
            assert isinstance(metavar, str) and metavar.isupper(), f"{name}: {metavar!r}"
