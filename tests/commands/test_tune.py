"""`sitbreak tune`: proposals from one's own recorded days, and `--write` that
keeps every comment of the user's file and reloads the running daemon."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

import pytest

from desktop import wait_for
from office import MIN, Office
from sitbreak.cli import main
from sitbreak.config import load_config
from sitbreak.report.tune import pauses, propose_break_idle, propose_hold, propose_move_after
from sitbreak.storage.timeline import INPUT, LOCK, UNLOCK, Row

COMMENTED = """\
# My sitbreak settings. I keep notes here.
[general]
timezone = "Europe/Berlin"  # where I work

# Sessions: I read a lot, so pauses run long.
[session]
break_idle = "8m30s"  # the default, for now
# break_locked stays as shipped

[prompts]
# Remind me to stand up.
move_after = "30m"
move_repeat = "10m"  # then every ten minutes
hold_after_idle = "30s"
# Not too often at lunch:
quiet_hours = ["12:00-13:00"]  # lunch

[prompts.enabled]
eyes = false  # I wear glasses
"""


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Office:
    o = Office(tmp_path)
    o.config_file.write_text(COMMENTED)
    o.config = load_config(o.config_file)
    assert o.daemon is not None
    o.daemon.config = o.config
    monkeypatch.setenv("SITBREAK_HOME", str(o.home))
    monkeypatch.delenv("SITBREAK_CONFIG", raising=False)
    return o


def working_days(office: Office, days: int, seed: int = 7) -> None:
    """Days of sittings of 20-70 minutes with reading pauses of 1-4 minutes in
    them and, one in five, a thinking pause of 6.5 to 9 minutes."""
    rng = random.Random(seed)
    for _ in range(days):
        start = office.clock.now()
        while office.clock.now() < start + 7 * 3600:
            end = office.clock.now() + rng.uniform(20, 70) * MIN
            while office.clock.now() < end:
                office.sit(rng.uniform(3, 12) * MIN, every=rng.choice([2, 4, 7]))
                thinking = rng.random() < 0.2
                office.away((rng.uniform(6.5, 9.0) if thinking else rng.uniform(1, 4)) * MIN)
            office.away(rng.uniform(12, 25) * MIN)
        office.clock.advance(start + 86400 - office.clock.now())


def test_tune_proposes_from_the_recorded_days_with_what_if_figures(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    working_days(office, 3)
    office.stop()
    assert main(["tune", "--days", "3650", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["days_recorded"] == 3
    keys = [p["key"] for p in report["proposals"]]
    assert keys == ["session.break_idle", "prompts.move_after", "prompts.hold_after_idle"]
    idle = report["proposals"][0]
    # Thinking pauses run to 9 minutes, breaks start at 12: today's 8m30s
    # splits sittings at the longest of them; the proposal waits longer.
    assert idle["proposed_s"] == 10 * MIN
    assert idle["whatif"]["sessions"] < report["recorded"]["sessions"]
    assert idle["whatif"]["sitting_s"] > report["recorded"]["sitting_s"]
    move = report["proposals"][1]
    assert 30 * MIN <= move["proposed_s"] <= 60 * MIN
    for p in report["proposals"]:
        assert (p["whatif"] is None) == (p["proposed_s"] == p["today_s"])

    assert main(["tune", "--days", "3650"]) == 0
    text = capsys.readouterr().out
    assert "with activity" in text
    assert '[session] break_idle = "10m" (today "8m30s")' in text
    assert "sitbreak tune --write" in text


def test_tune_write_keeps_every_comment_and_reloads_the_running_daemon(
    office: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    working_days(office, 3)
    office.stop()
    # A daemon holding the lock, as `sitbreak run` does, that notes a SIGHUP.
    lock = office.home / "run" / "sitbreak.lock"
    lock.parent.mkdir(mode=0o700)
    heard = tmp_path / "reloaded"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, signal, sys, time\n"
            f"f = open({str(lock)!r}, 'a+'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "f.seek(0); f.truncate(); f.write(str(os.getpid())); f.flush()\n"
            f"signal.signal(signal.SIGHUP, lambda *a: open({str(heard)!r}, 'w').close())\n"
            "print('ready', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        assert main(["tune", "--days", "3650", "--write"]) == 0
        err = capsys.readouterr().err
        assert f"told the running sitbreak (pid {holder.pid}) to reload its config" in err
        wait_for(heard.exists, what="the daemon to get SIGHUP")
    finally:
        holder.kill()
        holder.wait()

    written = office.config_file.read_text()
    before = [line.split("#", 1)[1] for line in COMMENTED.splitlines() if "#" in line]
    after = [line.split("#", 1)[1] for line in written.splitlines() if "#" in line]
    assert after == before  # every comment, in its place and order
    assert 'break_idle = "10m"  # the default, for now' in written
    data = tomllib.loads(written)
    assert data["prompts"]["quiet_hours"] == ["12:00-13:00"]
    assert data["prompts"]["enabled"] == {"eyes": False}
    assert load_config(office.config_file).engine.break_idle == 10 * MIN


def test_tune_write_without_a_daemon_says_when_the_values_apply(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    working_days(office, 3)
    office.stop()
    assert main(["tune", "--days", "3650", "--write"]) == 0
    assert "sitbreak is not running: the values apply when it next starts" in (
        capsys.readouterr().err
    )


def test_too_little_recorded_keeps_todays_values() -> None:
    assert propose_break_idle([150.0] * 5, 510.0) == (
        510.0,
        "5 pauses of 2 minutes or more recorded; it takes 30 to judge",
    )
    assert propose_move_after([1800.0], 1800.0) == (
        1800.0,
        "1 sitting recorded; it takes 10 to judge",
    )
    assert propose_hold([], 510.0, 30.0) == (30.0, "0 short pauses recorded; it takes 30 to judge")
    assert propose_move_after([1800.0] * 3, 1800.0)[0] == 1800.0
    assert propose_hold([20.0] * 3, 510.0, 30.0)[0] == 30.0


def test_too_little_recorded_is_not_worded_as_advice_to_keep_a_value(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first day: 'break_idle = "8m30s": keep it' above '0 pauses ... it takes 30
    to judge' advised keeping a value nothing had been judged on."""
    office.sit(40 * MIN)
    office.stop()
    assert main(["tune", "--days", "3650"]) == 0
    out = capsys.readouterr().out
    assert '[session] break_idle = "8m30s": too little recorded yet' in out
    assert '[prompts] move_after = "30m": too little recorded yet' in out
    assert "keep it" not in out


def test_move_after_stays_within_the_guidance() -> None:
    # Someone who always gets up after 25 to 33 minutes: a prompt at 30 mostly
    # comes when they are about to go; at 35 none would, and none of their
    # sittings is long.
    lengths = [25 * MIN + i * 8 for i in range(60)]
    value, why = propose_move_after(lengths, 30 * MIN)
    assert value == 35 * MIN
    assert "guidance: 30 to 60 minutes" in why
    # Long sitters are never told to wait past an hour.
    assert propose_move_after([3 * 3600.0] * 20, 30 * MIN)[0] <= 60 * MIN


def test_pauses_leave_out_locks_calls_and_nights() -> None:
    rows = [
        Row(0, INPUT, 1000),
        Row(61_000, INPUT, 1000),  # a pause of 60 s
        Row(70_000, LOCK),
        Row(400_000, UNLOCK),
        Row(401_000, INPUT, 0),  # after a lock: no pause
        Row(401_000 + 5 * 3600_000, INPUT, 0),  # a night
    ]
    assert pauses(rows) == [60.0]


def test_tune_with_nothing_recorded_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SITBREAK_HOME", str(tmp_path / "home"))
    assert main(["tune"]) == 1
    assert "nothing recorded yet" in capsys.readouterr().err


def test_a_learned_break_idle_is_shown_with_what_a_fixed_one_would_give_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Office(tmp_path)  # no break_idle in the person's file: sitbreak learns it
    monkeypatch.setenv("SITBREAK_HOME", str(office.home))
    working_days(office, 3)
    office.stop()
    before = office.config_file.read_text()
    assert main(["tune", "--days", "3650", "--json"]) == 0
    idle = json.loads(capsys.readouterr().out)["proposals"][0]
    assert idle["learned"] is True
    assert "sitbreak learns it from your pauses" in idle["why"]
    assert main(["tune", "--days", "3650", "--write"]) == 0
    capsys.readouterr()
    assert "break_idle" not in office.config_file.read_text().replace(before, "")
