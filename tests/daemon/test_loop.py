"""The daemon's loop with doubles at its edges: a hand-moved clock, a scripted
activity source and a recording notifier, and the real store and engine.

Each test is a stretch of someone's day, second by second (`office.sit(...)`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import queue
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from desk import ScriptedSource
from sitbreak.clock import ManualClock
from sitbreak.config import load_config
from sitbreak.core import CallEnd, CallStart, Cause, Lock, State, Unlock
from sitbreak.daemon.control import Request, format_status
from sitbreak.daemon.loop import (
    MAX_FAILED_TURNS,
    Daemon,
    Periodic,
    Wiring,
    desktop_busy_check,
    summary_line,
)
from sitbreak.desktop.edges import EdgeWatcher
from sitbreak.desktop.notify import (
    PromptResponse,
    RecordingNotifier,
    ResilientNotifier,
    ResponseAction,
)
from sitbreak.errors import StorageError
from sitbreak.prompts import PromptWriter, load_library
from sitbreak.storage.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
NINE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp()


class FullScreen:
    """A desktop that is in full-screen mode while `on` is true."""

    def __init__(self) -> None:
        self.on = False
        self.closed = False

    def poll(self) -> str | None:
        return "a full-screen window is in front" if self.on else None

    def close(self) -> None:
        self.closed = True


class Office:
    def __init__(
        self,
        tmp_path: Path,
        notifier: RecordingNotifier | None = None,
        config_text: str = "",
        dnd: FullScreen | None = None,
        *,
        service_notify: Callable[..., None] = lambda *_lines: None,
        watchdog_s: float | None = None,
    ) -> None:
        config_file = tmp_path / "config.toml"
        # The office is in Berlin whatever the test machine's zone.
        config_file.write_text('[general]\ntimezone = "Europe/Berlin"\n' + config_text)
        self.config = load_config(config_file)
        self.clock = ManualClock(NINE)
        self.source = ScriptedSource()
        self.recorder = notifier or RecordingNotifier()
        self.store = Store.open(tmp_path / "sitbreak.db")
        self.summaries = tmp_path / "summaries.jsonl"
        self.call = False
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        calls = EdgeWatcher(lambda: self.call, (CallStart, CallEnd), inbox.put, self.clock)
        checks = [Periodic("calls", calls.poll, 5.0)]
        if dnd is not None:
            checks.append(desktop_busy_check(dnd, inbox.put, self.clock))
        wiring = Wiring(
            clock=self.clock,
            inbox=inbox,
            source=self.source,
            notifier=ResilientNotifier(self.recorder, clock=self.clock.now),
            store=self.store,
            monitors=(),
            periodic=tuple(checks),
            sinks=(),
            control_path=None,
            publishers=(),
            summaries_path=self.summaries,
            service_notify=service_notify,
            watchdog_s=watchdog_s,
            sync=None,
        )
        self.daemon = Daemon(self.config, wiring, BERLIN, PromptWriter(load_library()))

    def sit(self, seconds: float, typing: bool = True) -> None:
        """Seconds pass, one loop turn each; with `typing`, input every second."""
        for _ in range(int(seconds)):
            self.clock.advance(1.0)
            if typing:
                self.source.last = self.clock.now() - 0.3
            self.daemon.step()

    def away(self, seconds: float) -> None:
        self.sit(seconds, typing=False)

    def ask(self, cmd: str, seconds: float | None = None) -> dict:
        return self.daemon._answer(Request(cmd, seconds))

    def answer(self, action: ResponseAction) -> None:
        """The person does `action` with the latest notification, now."""
        self.daemon.inbox.put(PromptResponse.to(self.recorder.sent[-1], action, self.clock.now()))

    def sessions(self) -> list:
        return self.store.sessions_between(0, 4e9)


def test_a_long_sitting_gets_a_movement_prompt_and_getting_up_ends_the_session(
    tmp_path: Path,
) -> None:
    office = Office(tmp_path)
    office.sit(31 * MIN)
    titles = [m.title for m in office.recorder.sent]
    assert any("30 minutes seated" in t for t in titles)
    assert [m.kind for m in office.recorder.sent] == ["posture", "move"]
    office.away(10 * MIN)
    (session,) = office.sessions()
    assert session.start == pytest.approx(NINE + 0.7)
    assert session.end == pytest.approx(NINE + 31 * MIN - 0.3)
    assert session.cause is Cause.IDLE


def test_no_prompt_reaches_an_empty_chair(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(29 * MIN)
    office.away(9 * MIN)  # gone before the 30-minute mark
    assert [m.kind for m in office.recorder.sent] == ["posture"]


def test_a_lock_reported_by_the_desktop_is_a_break(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(20 * MIN)
    office.daemon.inbox.put(Lock(office.clock.now()))
    office.away(5 * MIN)
    office.daemon.inbox.put(Unlock(office.clock.now()))
    office.sit(MIN)
    first, second = office.sessions()
    assert first.cause is Cause.LOCK
    assert second.start > first.end + 4 * MIN


def test_a_suspend_seen_on_the_clock_ends_the_session(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(10 * MIN)
    slept_at = office.clock.now()
    office.clock.sleep_for(60 * MIN)
    office.away(5)
    (session,) = office.sessions()
    assert session.cause is Cause.SUSPEND
    assert session.end == pytest.approx(slept_at - 0.3, abs=1.0)


def test_a_quiet_call_keeps_the_session_going(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(5 * MIN)
    office.call = True
    office.away(20 * MIN)
    office.call = False
    office.sit(MIN)
    # Still the one session, open since the morning.
    assert [s.start for s in office.sessions()] == [pytest.approx(NINE + 0.7)]
    assert office.daemon.engine.session_start == pytest.approx(NINE + 0.7)


def test_the_open_session_is_checkpointed_every_minute(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(3 * MIN + 5)
    # Another process reading the database sees the open session up to the last checkpoint.
    reader = Store.open(tmp_path / "sitbreak.db", recover=False)
    try:
        rows = reader._conn.execute("SELECT start, end, open FROM sessions").fetchall()
    finally:
        reader.close()
    ((_start, end, is_open),) = rows
    assert is_open == 1
    assert NINE + 2 * MIN < end <= NINE + 3 * MIN + 5


def test_status_tells_the_state_the_session_the_next_prompt_and_today(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(25 * MIN)
    status = office.ask("status")
    assert status["ok"] is True
    assert status["state"] == "sitting"
    assert status["session"]["seated_s"] == pytest.approx(25 * MIN - 0.7)
    assert status["next_prompt"]["kind"] == "move"
    assert "continuous sitting" in status["next_prompt"]["why"]
    assert status["today"]["sitting_s"] == pytest.approx(25 * MIN - 1, abs=2)
    assert status["today"]["prompts"] == 1
    json.dumps(status)  # goes over the socket as JSON


def test_pause_stops_prompts_and_resume_brings_the_relevant_one(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.ask("pause")
    office.sit(35 * MIN)
    assert office.recorder.sent == []
    assert office.ask("status")["paused"] is True
    office.ask("resume")
    office.sit(2)
    assert [m.kind for m in office.recorder.sent] == ["move"]


def test_snooze_holds_prompts_until_it_ends_and_status_says_until_when(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(35 * MIN)
    status = office.ask("snooze", 10 * MIN)
    assert status["snoozed_until"] == pytest.approx(office.clock.now() + 10 * MIN, abs=0.01)
    # The move prompt due at 40 min is not "next" before the snooze ends at 45.
    assert status["next_prompt"]["at"] == status["snoozed_until"]
    office.sit(9 * MIN)
    assert [m.kind for m in office.recorder.sent] == ["move"]
    office.sit(2 * MIN)
    assert [m.kind for m in office.recorder.sent] == ["move", "move"]


def test_resume_ends_a_snooze_too_and_the_log_says_what_it_ended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sitbreak")
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(25 * MIN)
    office.ask("snooze", 30 * MIN)
    office.sit(10 * MIN)  # the move prompt due at 30 min waits for the snooze
    assert office.recorder.sent == []
    status = office.ask("resume")
    assert status["snoozed_until"] is None and status["paused"] is False
    office.sit(2)
    assert [m.kind for m in office.recorder.sent] == ["move"]
    assert "prompts resumed: the snooze ended" in caplog.text
    office.ask("pause")
    office.ask("snooze", 10 * MIN)
    office.ask("resume")
    assert "prompts resumed: the pause and the snooze ended" in caplog.text
    office.ask("resume")
    assert "resume asked for: prompts were not paused or snoozed" in caplog.text


def test_a_shorter_snooze_replaces_a_longer_one_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(39 * MIN)
    office.ask("snooze", 10 * MIN)
    with caplog.at_level(logging.INFO, logger="sitbreak"):
        status = office.ask("snooze", 1 * MIN)
    assert status["snoozed_until"] == pytest.approx(office.clock.now() + MIN, abs=0.01)
    assert "prompts snoozed until 09:40 (for 1 min)" in caplog.text
    office.sit(2 * MIN)
    assert [m.kind for m in office.recorder.sent] == ["move", "move"]  # at 30 and 40


def test_a_snooze_into_another_day_names_the_day_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`sitbreak snooze 3d` on Monday at 09:05 logged 'until 09:05 (for 72 h)'."""
    office = Office(tmp_path)
    office.sit(5 * MIN)
    with caplog.at_level(logging.INFO, logger="sitbreak"):
        office.ask("snooze", 3 * 24 * 60 * MIN)
        office.ask("snooze", 15 * 60 * MIN)
    assert "prompts snoozed until Thu 5 Nov 09:05 (for 72 h)" in caplog.text
    assert "prompts snoozed until tomorrow 00:05 (for 15 h)" in caplog.text


def test_a_pause_names_its_end_in_the_log_as_a_snooze_does(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`sitbreak pause 3d` logged 'prompts paused for 72 h', where status says until when."""
    office = Office(tmp_path)
    office.sit(5 * MIN)
    with caplog.at_level(logging.INFO, logger="sitbreak"):
        office.ask("pause", 3 * 24 * 60 * MIN)
        office.ask("pause", 30 * MIN)
        office.ask("pause")
    assert "prompts paused until Thu 5 Nov 09:05 (for 72 h)" in caplog.text
    assert "prompts paused until 09:35 (for 30 min)" in caplog.text
    assert "prompts paused until resumed" in caplog.text


def test_status_says_why_a_move_prompt_comes_early_after_an_unsure_break(tmp_path: Path) -> None:
    """After 72 minutes seated and an 11-minute idle break (too short to be sure
    of while the engine learns), the movement clock runs on: status said "30 min
    of continuous sitting" for a prompt due 10 minutes into the new session."""
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(72 * MIN)
    office.away(11 * MIN)
    office.sit(2 * MIN)
    status = office.ask("status")
    seated = office.clock.now() - status["session"]["start"]
    assert seated < 3 * MIN  # a new session
    nxt = status["next_prompt"]
    assert nxt["kind"] == "move"
    assert nxt["at"] - status["session"]["start"] < 30 * MIN - 60
    assert nxt["why"] == (
        "the break before this session was too short to be sure of, so the movement clock "
        "of the one before runs on; then every 10 min"
    )
    (tmp_path / "fresh").mkdir()
    fresh = Office(tmp_path / "fresh", config_text="[prompts.enabled]\nposture = false\n")
    fresh.sit(2 * MIN)
    assert fresh.ask("status")["next_prompt"]["why"] == (
        "30 min of continuous sitting, then every 10 min"
    )


def test_the_status_names_the_zone_the_monitor_tells_times_in(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(MIN)
    assert office.ask("status")["tz"] == "Europe/Berlin"


def test_what_status_says_of_a_repeat_every_minute(tmp_path: Path) -> None:
    office = Office(
        tmp_path,
        config_text='[prompts]\nposture_after = "1m"\nmove_after = "2m"\nmove_repeat = "1m"\n'
        "[prompts.enabled]\nposture = false\n",
    )
    office.sit(30)
    why = office.ask("status")["next_prompt"]["why"]
    assert why == "2 min of continuous sitting, then every minute"


def test_a_snooze_while_away_holds_the_coming_session_until_it_ends(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    answer = office.ask("snooze", 40 * MIN)
    assert answer["ok"] is True
    office.sit(35 * MIN)
    assert office.recorder.sent == []  # the move prompt at 30 min waits for 40
    office.sit(6 * MIN)
    assert [m.kind for m in office.recorder.sent] == ["move"]


def test_after_a_break_status_says_away_since_the_last_input(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(20 * MIN)
    last_input = office.clock.now() - 0.3
    office.away(30 * MIN)
    status = office.ask("status")
    assert (status["state"], status["since"]) == ("away", pytest.approx(last_input))
    assert status["running_since"] == NINE


def test_a_prompt_on_screen_is_withdrawn_when_the_session_ends(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(30 * MIN + 5)
    (move,) = office.recorder.sent
    assert office.ask("status")["prompt_on_screen"]["kind"] == "move"
    office.away(20 * MIN)  # got up, as asked
    assert office.recorder.withdrawn == [move]
    assert office.ask("status")["prompt_on_screen"] is None


def test_an_answered_prompt_is_no_longer_on_screen(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(30 * MIN + 5)
    (move,) = office.recorder.sent
    office.daemon.inbox.put(PromptResponse.to(move, "skip", office.clock.now()))
    office.sit(1)
    assert office.ask("status")["prompt_on_screen"] is None
    assert office.recorder.withdrawn == []


def test_status_says_why_prompts_are_only_logged(tmp_path: Path) -> None:
    office = Office(tmp_path, notifier=RecordingNotifier(fail=True))
    office.sit(31 * MIN)
    status = office.ask("status")
    assert status["notifications"] == "failing: prompts are logged"
    assert status["notifications_problem"] == "recording: recording notifier told to fail"
    assert status["prompt_on_screen"] is None  # it never reached the screen


def test_a_failing_notifier_never_stops_the_daemon_and_prompts_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    office = Office(tmp_path, notifier=RecordingNotifier(fail=True))
    with caplog.at_level(logging.INFO, logger="sitbreak"):
        office.sit(45 * MIN)
    assert office.daemon.engine.session_start is not None
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "notifications" in r.message
    ]
    assert len(warnings) == 1  # said once, not at every prompt
    assert sum("prompt (move" in r.message for r in caplog.records) == 2


def test_at_midnight_the_day_is_summarised_in_the_database_the_log_and_the_journal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    office = Office(tmp_path)
    office.clock.t = dt.datetime(2026, 11, 2, 23, 20, tzinfo=BERLIN).timestamp()
    office.daemon._midnight = dt.datetime(2026, 11, 3, 0, 0, tzinfo=BERLIN).timestamp()
    with caplog.at_level(logging.INFO, logger="sitbreak"):
        office.sit(50 * MIN)  # across midnight
    (line,) = [json.loads(x) for x in office.summaries.read_text().splitlines()]
    assert line["date"] == "2026-11-02"
    assert "computers" not in line  # no sync folder: this computer alone, nothing to say
    assert line["sitting_s"] == pytest.approx(40 * MIN - 1, abs=2)
    saved = office.store.saved_days()
    assert [d["date"] for d in saved] == ["2026-11-02"]
    assert any(
        r.message.startswith("2026-11-02: sat 39 min 59 s in 1 session (") for r in caplog.records
    )


def test_shutdown_closes_the_session_and_writes_the_day_so_far(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(20 * MIN)
    office.daemon._shutdown()
    reopened = Store.open(tmp_path / "sitbreak.db")
    try:
        (session,) = reopened.sessions_between(0, 4e9)
        assert session.cause is Cause.SHUTDOWN
        assert session.end == pytest.approx(NINE + 20 * MIN - 0.3)
    finally:
        reopened.close()
    assert office.source.stopped
    assert json.loads(office.summaries.read_text().splitlines()[-1])["sessions"] == 1


def test_a_reload_with_a_broken_config_keeps_the_old_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    office = Office(tmp_path, config_text='[prompts]\nmove_after = "40m"\n')
    (tmp_path / "config.toml").write_text("[prompts]\nmove_after = forty\n")
    with caplog.at_level(logging.ERROR, logger="sitbreak"):
        office.daemon.reload()
        office.sit(2)
    assert office.daemon.config.engine.move_after == 40 * MIN
    assert any("keeping the old config" in r.message for r in caplog.records)


def test_status_says_the_edited_config_was_refused_until_a_good_one_is_loaded(
    tmp_path: Path,
) -> None:
    """One edits the config, reloads, and the file is refused: only the log
    said so, and `sitbreak status` read as if the edit had taken."""
    office = Office(tmp_path, config_text='[prompts]\nmove_after = "40m"\n')
    office.sit(MIN)
    config = tmp_path / "config.toml"
    config.write_text('[prompts]\nmove_after = 45\nposture_after = "-5m"\n')
    office.daemon.reload()
    office.sit(2)
    now = office.clock.now()
    text = format_status(office.ask("status"), now=now, tz=BERLIN)
    refused = next(line for line in text.splitlines() if "refused" in line)
    assert refused.startswith(
        f"Your config file was refused at 09:01, so the config before it is still in use: "
        f"{config}:2: [prompts] move_after: expected a duration between"
    )
    assert refused.endswith(
        "(and 1 more problem). Fix it (`sitbreak config check` lists every problem), "
        "then reload again."
    )
    config.write_text('[general]\ntimezone = "Europe/Berlin"\n[prompts]\nmove_after = "45m"\n')
    office.daemon.reload()
    office.sit(2)
    assert office.daemon.config.engine.move_after == 45 * MIN
    assert office.ask("status")["config_refused"] is None
    assert "refused" not in format_status(office.ask("status"), now=now, tz=BERLIN)


def test_a_reload_with_a_good_config_applies_to_the_open_session(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(5 * MIN)
    (tmp_path / "config.toml").write_text(
        '[prompts]\nmove_after = "10m"\n[prompts.enabled]\nposture = false\n'
    )
    office.daemon.reload()
    office.sit(6 * MIN)
    assert [m.kind for m in office.recorder.sent] == ["move"]


def test_the_summary_line_reads_like_a_sentence() -> None:
    from sitbreak.core import DayFigures

    fig = DayFigures(
        dt.date(2026, 11, 2), sitting_s=5 * 3600 + 50 * 60, sessions=7, longest_session_s=72 * 60
    )
    fig = dataclasses.replace(
        fig,
        breaks=6,
        prompts=29,
        prompts_heeded=7,
        prompts_by_kind={"move": 20, "posture": 9},
        sessions_over_limit=5,
    )
    assert summary_line(fig) == (
        "2026-11-02: sat 5 h 50 in 7 sessions (longest 1 h 12, 5 over the limit), "
        "6 breaks, 29 prompts (got up after 7 of 20 movement reminders)"
    )
    # With a sync folder: how many computers' input the day covers, when more than one.
    assert summary_line(fig, ["desk"]) == summary_line(fig)
    assert summary_line(fig, ["desk", "laptop"]) == (
        "2026-11-02: sat 5 h 50 in 7 sessions (longest 1 h 12, 5 over the limit), "
        "6 breaks, 29 prompts (got up after 7 of 20 movement reminders), "
        "across 2 computers (desk, laptop)"
    )
    assert summary_line(fig, ["a", "b", "c"]).endswith(", across 3 computers (a, b, c)")


def test_the_summary_line_does_not_add_up_getting_up_and_unanswered_notifications(
    tmp_path: Path,
) -> None:
    """A posture and a move notification both time out on screen, and the
    person stands up a minute after the move one: they heeded it without a
    click. The line used to read "2 prompts (1 heeded, 2 ignored)": three
    outcomes for two prompts."""
    office = Office(tmp_path)
    office.sit(20 * MIN + 5)
    office.answer("expired")
    office.sit(10 * MIN)
    office.answer("expired")
    office.sit(MIN)
    office.away(15 * MIN)  # up and away: a break
    office.sit(MIN)  # back: the break is over, and counted
    assert [m.kind for m in office.recorder.sent] == ["posture", "move"]
    line = summary_line(office.daemon.figures(dt.date(2026, 11, 2)))
    assert line.endswith(
        "1 break, 2 prompts (got up after 1 of 1 movement reminder; on screen: 2 unanswered)"
    )


def test_the_summary_line_lists_each_answer_given_on_screen(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(30 * MIN + 5)
    office.answer("snooze")
    office.sit(10 * MIN + 5)  # "Snooze 10 min": the next one comes 10 minutes later
    office.answer("break")
    office.sit(3)
    office.away(MIN)
    assert [m.kind for m in office.recorder.sent] == ["move", "move"]
    line = summary_line(office.daemon.figures(dt.date(2026, 11, 2)))
    assert line.endswith(
        "2 prompts (got up after 1 of 2 movement reminders; on screen: 1 marked done, 1 snoozed)"
    )


def test_a_day_without_prompts_says_no_more_about_them() -> None:
    from sitbreak.core import DayFigures

    line = summary_line(DayFigures(dt.date(2026, 11, 2), sitting_s=600, sessions=1))
    assert line.endswith(", 0 breaks, 0 prompts")


def test_the_loop_pings_the_watchdog_and_reports_its_status(tmp_path: Path) -> None:
    sent: list[str] = []
    office = Office(tmp_path, service_notify=lambda *lines: sent.extend(lines), watchdog_s=10.0)
    office.sit(2 * MIN)
    assert sent.count("WATCHDOG=1") == 2 * MIN // 5  # at half the interval
    statuses = [line for line in sent if line.startswith("STATUS=")]
    assert statuses[-1] == "STATUS=sitting for 1 min 59 s (since 09:00)"
    office.daemon._shutdown()
    assert "STOPPING=1" in sent


def test_a_full_screen_window_holds_the_prompt_until_it_is_gone(tmp_path: Path) -> None:
    screen = FullScreen()
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n", dnd=screen)
    office.sit(28 * MIN)
    screen.on = True  # a presentation starts
    office.sit(7 * MIN)
    assert office.recorder.sent == []
    screen.on = False
    office.sit(10)
    (move,) = office.recorder.sent
    assert move.kind == "move"
    office.daemon._shutdown()
    assert screen.closed


def test_a_prompt_held_for_the_desktop_is_dropped_if_they_got_up_meanwhile(tmp_path: Path) -> None:
    screen = FullScreen()
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n", dnd=screen)
    screen.on = True
    office.sit(31 * MIN)
    office.away(15 * MIN)  # a break: the session ended
    screen.on = False
    office.sit(MIN)
    assert office.recorder.sent == []


def test_taking_a_break_from_the_notification_ends_the_session_at_once(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(30 * MIN + 5)
    (move,) = office.recorder.sent
    office.daemon.inbox.put(PromptResponse.to(move, "break", office.clock.now()))
    office.sit(3)  # the click, a last keystroke: getting up
    assert office.daemon.engine.state is State.AWAY
    assert office.recorder.withdrawn == []  # answered: the notifier closed it already
    office.away(MIN)
    (session,) = office.sessions()  # and nothing new started
    assert (session.cause, session.end) == (Cause.BREAK_NOW, NINE + 30 * MIN + 6)
    outcomes = office.store.prompt_outcomes(0, 4e9)
    assert [(kind, outcome) for _, kind, outcome in outcomes] == [("move", "heeded")]


def test_snooze_from_the_notification_reminds_again_ten_minutes_later(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text="[prompts.enabled]\nposture = false\n")
    office.sit(32 * MIN)
    (move,) = office.recorder.sent
    office.daemon.inbox.put(PromptResponse.to(move, "snooze", office.clock.now()))
    office.sit(9 * MIN + 55)

    def moves() -> int:
        return sum(m.kind == "move" for m in office.recorder.sent)

    assert moves() == 1  # the 40-minute repeat waits for the snooze
    office.sit(10)
    assert moves() == 2  # 10 minutes after "Snooze 10 min"
    assert office.store.prompt_outcomes(0, 4e9)[0][2] == "snoozed"


def test_a_change_of_the_machines_time_zone_is_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    office = Office(tmp_path)
    office.sit(MIN)
    tokyo = ZoneInfo("Asia/Tokyo")
    with caplog.at_level(logging.INFO, logger="sitbreak"):
        office.daemon.check_timezone(lambda: tokyo)
        office.daemon.check_timezone(lambda: tokyo)
    assert office.daemon.tz is tokyo
    assert office.daemon.engine.tz is tokyo
    changes = [r for r in caplog.records if "time zone changed" in r.message]
    assert len(changes) == 1
    assert "Europe/Berlin to Asia/Tokyo" in changes[0].message
    # 09:01 in Berlin is 17:01 in Tokyo: the next midnight is Tokyo's.
    assert office.daemon._midnight == dt.datetime(2026, 11, 3, 0, 0, tzinfo=tokyo).timestamp()


def test_events_queued_while_the_loop_sleeps_keep_their_order(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(MIN)
    now = office.clock.now()
    office.daemon.inbox.put(Lock(now))
    office.daemon.inbox.put(Unlock(now + 0.5))
    office.daemon._wait()  # wakes on the lock, which must still come first
    office.daemon.step()
    assert office.daemon.engine.state is not State.LOCKED


def test_a_failing_turn_is_logged_and_the_loop_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = Office(tmp_path)
    calls = []

    def broken_step() -> None:
        calls.append(1)
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(office.daemon, "step", broken_step)
    with caplog.at_level(logging.ERROR, logger="sitbreak"):
        assert office.daemon._turn() is True
    assert "carrying on" in caplog.text
    for _ in range(MAX_FAILED_TURNS - 2):
        assert office.daemon._turn() is True
    assert office.daemon._turn() is False  # persistently broken: exit for a restart


def test_status_still_answers_when_the_database_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = Office(tmp_path)
    office.sit(MIN)

    def unreadable(*_args: object, **_kw: object) -> None:
        raise StorageError("database is locked")

    monkeypatch.setattr(office.store, "figures_between", unreadable)
    status = office.ask("status")
    assert status["ok"] is True
    assert status["today"] is None
    assert status["state"] == "sitting"


def test_status_says_when_no_activity_can_be_seen_and_when_it_can_again(tmp_path: Path) -> None:
    from sitbreak.desktop.source import SourceLost, SourceUnavailable

    office = Office(tmp_path)
    office.sit(2 * MIN)
    assert office.ask("status")["activity"] == "seen"

    def lost() -> float | None:
        raise SourceLost("swayidle exited 5 times in a row (status 1)")

    def still_gone() -> None:
        raise SourceUnavailable("no activity source works")

    polls, starts = office.source.poll, office.source.start
    office.source.poll, office.source.start = lost, still_gone  # type: ignore[method-assign]
    office.away(30)
    status = office.ask("status")
    assert status["activity"] == ("not seen: scripted: swayidle exited 5 times in a row (status 1)")
    office.source.poll, office.source.start = polls, starts  # type: ignore[method-assign]
    office.sit(10)
    assert office.ask("status")["activity"] == "seen"


# ------------------------------------------------- what it learns of you


def test_a_restart_keeps_what_was_learned_of_your_pauses(tmp_path: Path) -> None:
    office = Office(tmp_path)
    for _ in range(4):
        office.sit(10 * MIN)
        office.away(3 * MIN)  # a pause in the seat
    office.sit(5 * MIN)
    office.daemon.inbox.put(Lock(office.clock.now()))
    office.away(6 * MIN)  # a locked break: known for sure
    office.daemon.inbox.put(Unlock(office.clock.now()))
    office.sit(MIN)
    before = office.ask("status")["breaks"]
    assert (before["pauses"], before["known_breaks"]) == (5, 1)
    office.daemon._shutdown()
    office.store.close()

    again = Office(tmp_path)  # the same database, a new daemon
    assert again.ask("status")["breaks"] == before
    again.sit(5 * MIN)
    again.away(2 * MIN)
    again.sit(MIN)
    assert again.ask("status")["breaks"]["pauses"] == 6


def test_a_new_person_starts_from_the_default_and_status_says_so(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sit(MIN)
    status = office.ask("status")
    assert status["breaks"] == {
        "after_s": 8.5 * MIN,
        "source": "default",
        "pauses": 0,
        "known_breaks": 0,
    }
    text = format_status(status, now=office.clock.now(), tz=BERLIN)
    assert text.splitlines()[-1] == (
        "Breaks: after 8 min 30 s idle (still learning your pauses: 0 so far)."
    )


def test_a_break_idle_in_the_config_wins_over_what_was_learned(tmp_path: Path) -> None:
    office = Office(tmp_path, config_text='[session]\nbreak_idle = "6m"\n')
    office.sit(10 * MIN)
    office.away(7 * MIN)
    office.sit(MIN)
    assert len(office.sessions()) == 2  # 7 minutes idle ended the session at 6
    status = office.ask("status")
    assert status["breaks"] == {"after_s": 6 * MIN, "source": "config"}
    # (The office works in Berlin: on a machine elsewhere a line naming the zone follows.)
    assert "Breaks: after 6 min idle, as set in your config." in format_status(status).splitlines()


def test_an_unreadable_saved_model_is_replaced_by_the_defaults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(tmp_path / "sitbreak.db")
    store.save_learned("pauses", {"version": 1, "gaps": "nonsense"})
    assert store.flush()
    store.close()
    with caplog.at_level(logging.WARNING, logger="sitbreak"):
        office = Office(tmp_path)
    assert office.ask("status")["breaks"]["source"] == "default"
    assert any("pause model" in r.message for r in caplog.records)


def test_what_the_daemon_learned_replay_learns_the_same_way(tmp_path: Path) -> None:
    # Weeks of someone whose seated pauses end at 3 minutes and who takes
    # short unlocked walks: their breaks start before 8m30s.
    from sitbreak.core import Activity, EngineSettings, replay_events
    from sitbreak.core.pauses import PauseModel

    known = PauseModel()
    day = [*[1.2] * 12, *[1.8] * 6, *[2.5] * 3, *[3.2] * 2, 5, 6, 8, 10, 14, 20, 30, 45]
    for _ in range(60):
        for pause in day:
            known.observe_gap(pause * MIN)
    assert known.threshold < 7.5 * MIN < EngineSettings().break_idle
    store = Store.open(tmp_path / "sitbreak.db")
    store.save_learned("pauses", known.to_dict())
    assert store.flush()
    store.close()

    office = Office(tmp_path)
    typed: list[float] = []

    def work(minutes: int) -> None:
        for _ in range(minutes * 60):
            office.sit(1)
            typed.append(office.clock.now() - 0.3)

    work(20)
    office.away(8 * MIN)  # a walk: a break for this person, not for the default
    work(20)
    office.away(20 * MIN)
    daemon = [t for s in office.sessions() for t in (s.start, s.end)]
    assert len(daemon) == 4  # two sessions

    saved = PauseModel.from_dict(known.to_dict())
    events = [Activity(t) for t in typed]
    replayed = replay_events(events, office.config.engine, BERLIN, saved).sessions
    assert [t for s in replayed for t in (s.start, s.end)] == pytest.approx(daemon)


def test_setting_break_idle_on_a_reload_stops_the_learning_and_unsetting_it_resumes(
    tmp_path: Path,
) -> None:
    office = Office(tmp_path)
    office.sit(5 * MIN)
    office.away(2 * MIN)
    office.sit(MIN)
    assert office.ask("status")["breaks"]["source"] == "default"
    berlin = '[general]\ntimezone = "Europe/Berlin"\n'
    (tmp_path / "config.toml").write_text(berlin + '[session]\nbreak_idle = "5m"\n')
    office.daemon.reload()
    office.sit(2)
    assert office.ask("status")["breaks"] == {"after_s": 5 * MIN, "source": "config"}
    office.away(6 * MIN)  # 5 minutes make a break now, in the open session too
    office.sit(MIN)
    assert len(office.sessions()) == 2
    (tmp_path / "config.toml").write_text(berlin)
    office.daemon.reload()
    office.sit(2)
    back = office.ask("status")["breaks"]
    # What was learned before is still there: the 2-minute pause (the 6
    # minutes under the set rule taught nothing).
    assert (back["source"], back["pauses"]) == ("default", 1)
