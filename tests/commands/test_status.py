"""`sitbreak status|pause|resume|snooze` as a person types them: what the command line says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from office import MIN, Office
from sitbreak.cli import main
from sitbreak.daemon import control
from sitbreak.daemon.control import ControlServer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["pause", "99999h"], "'99999h'"),
        (["pause", "0s"], "'0s'"),
        (["snooze", "-5m"], "'-5m'"),
        (["snooze", "-5"], "'-5'"),
        (["snooze", "soon"], "'soon'"),
        (["pause", "8d"], "'8d'"),
    ],
)
def test_a_bad_duration_is_refused_in_the_words_of_the_command(
    capsys: pytest.CaptureFixture[str], argv: list[str], found: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    # The command's own usage, not the top-level one ("unrecognized arguments").
    assert err.startswith(f"usage: sitbreak {argv[0]} ")
    assert "unrecognized arguments" not in err
    assert err.rstrip().endswith(
        f'expected a duration over 0 and at most 7 days, such as "30m" or "2h", found {found}'
    )
    # Neither the protocol's field names nor a doubled word.
    assert "'seconds'" not in err and "duration: duration" not in err


@pytest.mark.parametrize(("argv", "bare"), [(["pause", "1"], "1"), (["snooze", "2.5"], "2.5")])
def test_a_number_without_a_unit_is_refused_not_taken_as_seconds(
    capsys: pytest.CaptureFixture[str], argv: list[str], bare: str
) -> None:
    # `sitbreak pause 1` once paused for one second: nobody means that.
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.rstrip().endswith(
        f'\'{bare}\' has no unit: write "{bare}m" for minutes, "{bare}h" for hours'
        f' or "{bare}s" for seconds'
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        # Nothing to suggest: "0m" would be refused in turn.
        (
            ["snooze", "0"],
            'expected a duration over 0 and at most 7 days, such as "30m" or "2h", found \'0\'',
        ),
        # 500 hours is over the 7 days a pause may last.
        (["pause", "500"], '\'500\' has no unit: write "500m" for minutes or "500s" for seconds'),
    ],
)
def test_a_bare_number_suggests_only_units_that_would_be_accepted(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.rstrip().endswith(said), err


@pytest.mark.parametrize("command", ["pause", "resume", "snooze"])
def test_each_control_command_says_what_it_does_in_its_help(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    description = out.split("\n\n")[1]
    assert not description.startswith(("positional", "options")), out


def test_status_json_without_a_daemon_is_json_with_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "status", "--json")
    assert code == 2 and err == ""
    doc = json.loads(out)
    assert doc["ok"] is False and doc["running"] is False
    assert "the monitor is not running" in doc["error"]


def test_plain_status_without_a_daemon_says_so_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "status")
    assert code == 2 and out == ""
    assert err.startswith("sitbreak: the monitor is not running")


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "--json"],
        ["status", "--format", "waybar"],
        ["status", "--format=i3blocks"],
        ["status", "--format", "i3status-rs", "--json"],
        ["status", "--follow", "--format", "polybar"],
        ["status", "--format", "waybar", "--format", "text"],  # the last one counts
        ["status", "--json", "--json"],
    ],
)
def test_a_bars_status_line_is_read_as_argparse_reads_it(argv: list[str]) -> None:
    # Bars run these every few seconds: they are read without building the
    # parser (start-up time), and must mean exactly what the parser makes of them.
    from sitbreak.cli import build_parser
    from sitbreak.commands import quick_args

    quick = quick_args(argv)
    assert quick is not None
    assert vars(quick) == vars(build_parser(argv).parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--version"],
        ["status", "--help"],
        ["status", "-h"],
        ["status", "--form", "waybar"],  # argparse's abbreviation: left to argparse
        ["status", "--format"],
        ["status", "--format", "xmobar"],
        ["status", "--format", "--json"],
        ["status", "--format=", "waybar"],
        ["status", "--json=yes"],
        ["status", "now"],
        ["status", "--"],
        ["pause", "30m"],
        ["report"],
    ],
)
def test_anything_else_goes_to_argparse(argv: list[str]) -> None:
    from sitbreak.commands import quick_args

    assert quick_args(argv) is None


def test_a_wrong_format_is_refused_in_argparses_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "status", "--format", "xmobar")
    assert code == 2 and out == ""
    assert err.startswith("usage: sitbreak status ")
    assert "argument --format: invalid choice: 'xmobar'" in err


def test_resume_says_what_it_ended_over_the_control_socket(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No session bus: the commands reach the daemon (the real loop) through its socket.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    office = Office(tmp_path, "[prompts.enabled]\nposture = false\n")
    assert office.daemon is not None
    server = ControlServer(control.socket_path(), office.daemon._answer)
    server.start()
    try:
        office.sit(25 * MIN)
        said = []
        for argv in (["resume"], ["snooze", "10m"], ["resume"], ["pause"], ["resume"]):
            code, out, err = run(capsys, *argv)
            assert code == 0 and err == "", err
            said.append(out.splitlines()[0])
        assert "Snoozed until " in said[1] and said[3].startswith("Paused until ")
        assert said[::2] == [
            "Nothing to resume: prompts were not paused or snoozed.",
            "Prompts are back: the snooze is over.",
            "Prompts are back: the pause is over.",
        ]
        run(capsys, "pause", "1h")
        run(capsys, "snooze", "10m")
        code, out, _ = run(capsys, "resume")
        assert code == 0
        assert out.startswith("Prompts are back: the pause and the snooze are over.\n")
        status = office.daemon.status(office.clock.now())
        assert status["paused"] is False and status["snoozed_until"] is None
    finally:
        server.stop()
