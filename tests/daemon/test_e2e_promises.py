"""The README's promises about the running monitor, against `sitbreak run` itself.

Each test starts `sitbreak run` the way the service does (a process of its
own: the real wiring, the X idle counter of an Xvfb, a private session bus,
dunst) and asks it what a person would ask: `sitbreak status`, `pause`,
`resume`, `snooze`, with the mouse moving in the meantime. Thresholds are
seconds instead of minutes; the loop looks at activity every 5 s, so the
waits allow for that.
"""

from __future__ import annotations

import datetime as dt
import math
import signal
import time
from pathlib import Path

import pytest
from test_signals import FakeScreenSavers, serving

from desktop import Desktop, Running, desktop, sitbreak_run, someone_working, wait_for
from sitbreak.daemon.control import clock_at

pytestmark = pytest.mark.desktop


def one_move_prompt(more: str = "", break_idle: str = "2m") -> str:
    """One movement prompt, 12 s into a session, and no other kind; `more` [prompts] lines."""
    return f"""
[session]
break_idle = "{break_idle}"
break_locked = "3s"
[prompts]
move_after = "12s"
move_repeat = "4h"
{more}
[prompts.enabled]
posture = false
stretch = false
hydrate = false
breathe = false
eyes = false
"""


ONE_MOVE_PROMPT = one_move_prompt()
#: How long the loop may take to see something: its 5 s heartbeat, and room.
SEEN_WITHIN = 15.0


def hhmm(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%H:%M")


def said_at(t: float, now: float) -> str:
    """`t` as `sitbreak status` says it at `now`: '00:05', or 'tomorrow 00:05'
    when a pause runs past midnight."""
    return clock_at(t, now, dt.timezone.utc)


def on_screen(d: Desktop) -> int:
    return int(d.dunstctl("count", "displayed"))


def seated_past(sb: Running, seconds: float) -> None:
    """Wait until the session has gone on for `seconds`."""
    wait_for(lambda: sb.status()["state"] == "sitting", SEEN_WITHIN, "a session")
    start = sb.status()["session"]["start"]
    time.sleep(max(0.0, start + seconds - time.time()))


def test_prompts_wait_while_dunst_is_paused_and_the_due_one_comes_after(tmp_path: Path) -> None:
    with desktop() as d, sitbreak_run(d, tmp_path, ONE_MOVE_PROMPT) as sb, someone_working(d):
        d.dunstctl("set-paused", "true")
        wait_for(lambda: "the desktop asks for quiet" in sb.log(), SEEN_WITHIN, "do not disturb")
        seated_past(sb, 12 + 8)  # the move prompt is due
        # sitbreak held it: nothing reached dunst, not even its queue of waiting ones.
        assert d.dunstctl("count", "waiting").strip() == "0"
        assert "prompt (move" not in sb.log()
        d.dunstctl("set-paused", "false")
        wait_for(lambda: on_screen(d) == 1, SEEN_WITHIN, "the held prompt after the pause")
        assert "prompt (move" in sb.log()


def test_quiet_hours_hold_the_prompt_and_status_says_when_it_comes(tmp_path: Path) -> None:
    now = time.time()
    start = math.floor(now / 60) * 60
    end = math.ceil((now + 40) / 60) * 60  # at least 40 s of quiet from now
    ends = "24:00" if hhmm(end) == "00:00" else hhmm(end)
    config = one_move_prompt(f'quiet_hours = ["{hhmm(start)}-{ends}"]')
    with desktop() as d, sitbreak_run(d, tmp_path, config) as sb, someone_working(d):
        seated_past(sb, 12 + 6)
        assert on_screen(d) == 0
        assert f"Next: stand up and move at {hhmm(end)}" in sb.cli("status").stdout
        time.sleep(max(0.0, end - time.time()))
        wait_for(lambda: on_screen(d) == 1, SEEN_WITHIN, "the prompt when quiet hours end")


def test_pause_resume_and_snooze_do_what_status_says(tmp_path: Path) -> None:
    with desktop() as d, sitbreak_run(d, tmp_path, ONE_MOVE_PROMPT) as sb, someone_working(d):
        before = time.time()
        paused = sb.cli("pause", "10m").stdout
        assert any(f"Paused until {said_at(t + 600, t)}." in paused for t in (before, time.time()))
        seated_past(sb, 12 + 6)
        assert on_screen(d) == 0  # due, and held by the pause
        assert sb.status()["paused"] is True
        assert sb.cli("resume").stdout.startswith("Prompts are back: the pause is over.\n")
        wait_for(lambda: on_screen(d) == 1, SEEN_WITHIN, "the held prompt after resume")

        sb.cli("snooze", "10m")
        before = time.time()
        snoozed = sb.cli("snooze", "1m").stdout  # replaces the 10 minutes
        assert any(f"Snoozed until {said_at(t + 60, t)}." in snoozed for t in (before, time.time()))
        status = sb.status()
        assert status["snoozed_until"] == pytest.approx(before + 60, abs=5)
        assert status["next_prompt"]["at"] >= status["snoozed_until"]
        assert "prompts snoozed until" in sb.log() and "(for 1 min)" in sb.log()


def test_resume_ends_a_snooze_and_says_so(tmp_path: Path) -> None:
    with desktop() as d, sitbreak_run(d, tmp_path, ONE_MOVE_PROMPT) as sb, someone_working(d):
        seated_past(sb, 2)
        assert "Snoozed until " in sb.cli("snooze", "10m").stdout
        seated_past(sb, 12 + 6)
        assert on_screen(d) == 0  # due, and held by the snooze
        resumed = sb.cli("resume")
        assert resumed.stdout.startswith("Prompts are back: the snooze is over.\n")
        wait_for(lambda: on_screen(d) == 1, SEEN_WITHIN, "the held prompt after resume")
        assert sb.status()["snoozed_until"] is None
        again = sb.cli("resume")  # nothing holds the prompts now: said, and not an error
        assert again.returncode == 0
        assert again.stdout.startswith("Nothing to resume: prompts were not paused or snoozed.")
        assert "prompts resumed: the snooze ended" in sb.log()


def test_a_lock_ends_the_session_and_status_times_are_the_real_ones(tmp_path: Path) -> None:
    config = one_move_prompt(break_idle="8s")
    with (
        desktop() as d,
        serving(FakeScreenSavers(d.bus.address)) as savers,
        sitbreak_run(d, tmp_path, config) as sb,
    ):
        with someone_working(d):
            seated_past(sb, 3)
            start = sb.status()["session"]["start"]
            assert f"(since {hhmm(start)})" in sb.cli("status").stdout
        savers.active_changed(True)  # they lock the screen and go
        locked_at = time.time()
        wait_for(lambda: sb.status()["state"] == "locked", SEEN_WITHIN, "the lock")
        assert sb.status()["since"] == pytest.approx(locked_at, abs=2)
        assert sb.cli("status").stdout.startswith(f"Screen locked since {hhmm(locked_at)}")
        wait_for(lambda: "ended: lock" in sb.log(), SEEN_WITHIN, "the session to end")
        time.sleep(1)
        savers.active_changed(False)  # back: a new session
        back = time.time()
        with someone_working(d):
            wait_for(lambda: sb.status()["state"] == "sitting", SEEN_WITHIN, "a new session")
            assert sb.status()["session"]["start"] == pytest.approx(back, abs=1)
            time.sleep(2)
        left = time.time()  # the last input, give or take the mouse's 0.7 s
        wait_for(lambda: sb.status()["state"] == "away", SEEN_WITHIN + 8, "the idle break")
        away = sb.status()
        # Away since they left, not since sitbreak started.
        assert away["since"] == pytest.approx(left, abs=6)
        assert away["since"] > away["running_since"] + 5
        assert sb.cli("status").stdout.startswith(f"Away since {hhmm(away['since'])}.")


def test_a_prompt_still_on_screen_is_closed_when_its_session_ends(tmp_path: Path) -> None:
    with desktop() as d, sitbreak_run(d, tmp_path, one_move_prompt(break_idle="8s")) as sb:
        with someone_working(d):
            seated_past(sb, 12)
            wait_for(lambda: on_screen(d) == 1, SEEN_WITHIN, "the move prompt")
        # They got up without touching it: when the break is seen, it goes,
        # long before its minute on screen is over.
        wait_for(lambda: "ended: idle" in sb.log(), SEEN_WITHIN + 8, "the session to end")
        wait_for(lambda: on_screen(d) == 0, 5, "the prompt to be withdrawn")
        assert "withdrawn: it no longer applies" in sb.log()


#: An engine that never returns once a session is going on: the daemon must
#: still stop at once on SIGTERM.
SPINNING_ENGINE = """
import sys
import sitbreak.core.engine as engine

_handle = engine.Engine.handle

def handle(self, event):
    if type(event).__name__ == "Tick" and self.session_start is not None:
        print("test: the engine spins", file=sys.stderr, flush=True)
        while True:
            pass
    return _handle(self, event)

engine.Engine.handle = handle
"""


def test_sigterm_stops_the_daemon_within_a_second_even_while_the_engine_spins(
    tmp_path: Path,
) -> None:
    with desktop() as d, sitbreak_run(d, tmp_path, ONE_MOVE_PROMPT, prelude=SPINNING_ENGINE) as sb:
        with someone_working(d):
            wait_for(lambda: "test: the engine spins" in sb.log(), SEEN_WITHIN, "the spin")
        time.sleep(0.5)  # well inside it
        sent = time.monotonic()
        sb.proc.send_signal(signal.SIGTERM)
        sb.proc.wait(timeout=10)
        took = time.monotonic() - sent
        assert took < 1.0, f"took {took:.2f} s"
        assert sb.proc.returncode == 0, sb.log()
        assert "stopped while the engine was still working" in sb.log()
        assert not (sb.home / "run" / "control.sock").exists()
