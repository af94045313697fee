"""Two computers, one person: two daemons sharing a synced folder (issue 18).

Each test is a stretch of someone's day at a desk and a laptop, second by
second, both daemons on one hand-moved clock and one temporary folder (the
folder arrives at once here; tests/daemon/test_e2e_sync.py has the real,
late, Syncthing).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from desk import ScriptedSource
from sitbreak.clock import ManualClock
from sitbreak.config import load_config
from sitbreak.core import Cause, Lock
from sitbreak.daemon.control import format_status
from sitbreak.daemon.loop import Daemon, Wiring
from sitbreak.desktop.notify import PromptResponse, RecordingNotifier, ResilientNotifier
from sitbreak.prompts import PromptWriter, load_library
from sitbreak.storage.store import Store
from sitbreak.storage.sync import FORGET_S, READ_EVERY_S, SyncLink, utc_day

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
NINE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp()
NINE_DATE = dt.date(2026, 11, 2)


class Computer:
    def __init__(self, tmp_path: Path, name: str, host: str, folder: Path, clock: ManualClock):
        home = tmp_path / name
        home.mkdir()
        config_file = home / "config.toml"
        config_file.write_text('[general]\ntimezone = "Europe/Berlin"\n')
        self.name = name
        self.home = home
        self.clock = clock
        self.source = ScriptedSource()
        self.recorder = RecordingNotifier()
        self.store = Store.open(home / "sitbreak.db")
        self.link = SyncLink(folder, host, name)
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        wiring = Wiring(
            clock=clock,
            inbox=inbox,
            source=self.source,
            notifier=ResilientNotifier(self.recorder, clock=clock.now),
            store=self.store,
            monitors=(),
            periodic=(),
            control_path=None,
            summaries_path=home / "summaries.jsonl",
            service_notify=lambda *_lines: None,
            watchdog_s=None,
            sinks=(),
            publishers=(),
            sync=self.link,
        )
        self.daemon = Daemon(load_config(config_file), wiring, BERLIN, PromptWriter(load_library()))

    def summaries(self) -> list[dict[str, Any]]:
        path = self.home / "summaries.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def kinds(self) -> list[str]:
        return [m.kind for m in self.recorder.sent]

    def sessions(self) -> list:
        """The sessions that ended (not the open one, checkpointed as it goes)."""
        return [s for s in self.store.sessions_between(0, 4e9) if s.cause is not Cause.SHUTDOWN]

    def sync_line(self) -> str:
        """The last line of `sitbreak status` here: what it says of the others."""
        status = self.daemon.status(self.clock.now())
        return format_status(status, now=self.clock.now(), tz=BERLIN).splitlines()[-1]

    def answer(self, action: str) -> None:
        self.daemon.inbox.put(PromptResponse.to(self.recorder.sent[-1], action, self.clock.now()))


class Person:
    """One person, two computers, one clock."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = ManualClock(NINE)
        self.folder = tmp_path / "Sync"
        self.folder.mkdir()
        self.desk = Computer(tmp_path, "desk", "d" * 16, self.folder, self.clock)
        self.laptop = Computer(tmp_path, "laptop", "e" * 16, self.folder, self.clock)

    def at(self, where: Computer | None, seconds: float) -> None:
        """Seconds pass, typing on `where` (None: away from both)."""
        for _ in range(int(seconds)):
            self.clock.advance(1.0)
            if where is not None:
                where.source.last = self.clock.now() - 0.3
            self.desk.daemon.step()
            self.laptop.daemon.step()

    def stop(self) -> None:
        for c in (self.desk, self.laptop):
            c.daemon._shutdown()


def test_moving_to_the_laptop_mid_session_is_one_session_and_one_move_prompt(
    tmp_path: Path,
) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 20 * MIN)
    me.at(me.laptop, 15 * MIN)  # the 30-minute mark comes on the laptop
    assert me.desk.sessions() == []  # no break at the desk: the person was on the laptop
    assert me.laptop.kinds().count("move") == 1
    assert "move" not in me.desk.kinds()  # only where the latest input was
    assert me.desk.kinds() == ["posture"]  # the 20-minute posture reset, at the desk
    me.at(None, 15 * MIN)
    (session,) = me.desk.sessions()
    assert session.start == NINE + 0.7
    assert abs(session.end - (NINE + 35 * MIN)) < 31  # the laptop's last input, as written
    assert session.cause is Cause.IDLE
    (on_laptop,) = me.laptop.sessions()
    assert abs(on_laptop.start - NINE) < 5  # the desk's first record, read within seconds
    assert on_laptop.end == NINE + 35 * MIN - 0.3
    me.stop()


def test_a_snooze_on_the_laptop_is_not_repeated_on_the_desk(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 20 * MIN)
    me.at(me.laptop, 11 * MIN)
    assert me.laptop.kinds()[-1] == "move"
    snoozed = me.clock.now()
    me.laptop.answer("snooze")
    me.at(me.laptop, 1 * MIN)
    # Back at the desk: without the mirrored snooze it would repeat the
    # prompt at 40 minutes; snoozed for 10 minutes, it waits until 41.
    me.at(me.desk, 8 * MIN + 30)
    assert "move" not in me.desk.kinds()
    me.at(me.desk, 1 * MIN)
    (move,) = [m for m in me.desk.recorder.sent if m.kind == "move"]
    assert move.due_t is not None and move.due_t >= snoozed + 10 * MIN
    assert me.laptop.kinds().count("move") == 1
    me.stop()


def test_taking_a_break_from_the_laptop_is_known_at_the_desk(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 10 * MIN)
    me.at(me.laptop, 21 * MIN)
    me.laptop.answer("break")
    me.at(me.laptop, 2)
    me.at(None, 2 * MIN)  # "taking a break" ends the session after 30 s of stillness
    (desk_session,) = me.desk.sessions()
    assert desk_session.cause is Cause.BREAK_NOW
    me.stop()


def test_a_lock_on_the_computer_left_is_no_break_while_typing_on_the_other(
    tmp_path: Path,
) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 10 * MIN)
    me.desk.daemon.inbox.put(Lock(me.clock.now()))
    me.at(None, 20)  # the walk over
    me.at(me.laptop, 10 * MIN)  # the desk stays locked all along
    assert me.desk.sessions() == []
    assert me.desk.daemon.engine.session_start == NINE + 0.7
    me.at(None, 15 * MIN)
    (session,) = me.desk.sessions()
    assert session.start == NINE + 0.7
    assert session.end > NINE + 20 * MIN
    me.stop()


def test_a_lock_without_typing_elsewhere_is_still_a_break(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 10 * MIN)
    me.desk.daemon.inbox.put(Lock(me.clock.now()))
    me.at(None, 5 * MIN)
    (session,) = me.desk.sessions()
    assert session.cause is Cause.LOCK
    me.stop()


def test_an_unmounted_folder_loses_nothing_and_status_says_so(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 5 * MIN)
    shutil.rmtree(me.folder)
    me.at(me.desk, 5 * MIN)
    status = me.desk.daemon.status(me.clock.now())
    line = format_status(status, now=me.clock.now(), tz=BERLIN).splitlines()[-1]
    assert line.startswith(f"Sync: trouble with {me.folder}: ")
    assert "records wait to be written" in line
    assert me.desk.daemon.engine.session_start == NINE + 0.7  # sitting still measured
    me.folder.mkdir()  # mounted again
    me.at(me.desk, 1 * MIN)
    line = format_status(me.desk.daemon.status(me.clock.now()), now=me.clock.now(), tz=BERLIN)
    assert "Sync: 1 other computer through" in line
    assert f"through {me.folder}: laptop, last record" in line
    me.stop()
    me.desk.store.flush()
    # The desk's whole day is in its own store whatever the folder did.
    (session,) = Store.open(tmp_path / "desk" / "sitbreak.db").sessions_between(0, 4e9)
    assert session.start == NINE + 0.7


def test_the_desk_is_live_on_the_laptop_as_soon_as_the_folder_is_back(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.desk, 5 * MIN)
    me.at(me.laptop, 5 * MIN)  # the desk sits idle from here on
    shutil.rmtree(me.folder)  # gone for ten minutes (a network share, say)
    me.at(me.laptop, 10 * MIN)
    me.folder.mkdir()
    me.at(me.laptop, 5)  # one look of the laptop's at the folder
    line = me.laptop.sync_line()
    assert line == f"Sync: 1 other computer through {me.folder}: desk, last record just now."
    me.stop()


def test_a_laptop_put_away_and_deleted_from_the_folder_is_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sitbreak")
    me = Person(tmp_path)
    me.at(me.desk, 20 * MIN)
    me.at(me.laptop, 11 * MIN)
    me.laptop.answer("snooze")
    me.at(me.laptop, 1 * MIN)

    def answers_taken() -> int:
        return [r.getMessage() for r in caplog.records].count("prompt answered on laptop: snooze")

    assert answers_taken() == 1
    me.laptop.daemon._shutdown()  # put away for good
    laptop_files = me.folder / me.laptop.link.host
    shutil.copytree(laptop_files, tmp_path / "backup")
    shutil.rmtree(laptop_files)
    removed = me.clock.now()
    while ": laptop, last record" in me.desk.sync_line():
        me.clock.advance(1.0)
        me.desk.daemon.step()
        assert me.clock.now() < removed + 2 * 3600
    assert FORGET_S <= me.clock.now() - removed <= FORGET_S + READ_EVERY_S + 1
    nobody = f"Sync: through {me.folder}; no other computer has written there yet."
    assert me.desk.sync_line() == nobody  # as doctor says of the folder
    # Its files back from the backup just then: read afresh, its snooze is
    # long over and not taken again.
    shutil.copytree(tmp_path / "backup", laptop_files)
    for _ in range(10):
        me.clock.advance(1.0)
        me.desk.daemon.step()
    assert answers_taken() == 1
    assert ": laptop, last record 60 minutes ago (" in me.desk.sync_line()
    me.desk.daemon._shutdown()


def test_status_names_the_other_computer_and_how_fresh(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.laptop, 2 * MIN)
    me.at(me.desk, 1 * MIN)
    text = format_status(me.desk.daemon.status(me.clock.now()), now=me.clock.now(), tz=BERLIN)
    sync_line = text.splitlines()[-1]
    assert sync_line.startswith("Sync: 1 other computer through")
    assert sync_line.endswith(": laptop, last record 60 seconds ago.")
    me.stop()


def test_a_laptop_back_after_a_day_starts_no_session_here(tmp_path: Path) -> None:
    me = Person(tmp_path)
    # Yesterday's records arrive at once (its Syncthing was off for a day).
    old = SyncLink(me.folder, "f" * 16, "old laptop")
    yesterday = NINE - 86400
    old.writer.activity(yesterday)
    old.writer.record("an", t=yesterday + 60, d=yesterday, p="move", x="snooze")
    old.tick(yesterday + 61)
    me.at(None, 30)
    assert me.desk.daemon.engine.session_start is None
    me.desk.store.flush()
    assert me.desk.store.sessions_between(0, 4e9) == []  # not even one back-dated to yesterday
    assert me.desk.daemon.engine._snoozed_until < me.clock.now()  # yesterday's snooze is over
    status = me.desk.daemon.status(me.clock.now())
    names = {p["name"]: p for p in status["sync"]["peers"]}
    assert names["old laptop"]["age_s"] > 86000  # seen, and how stale: in status and doctor
    me.stop()


def test_a_laptop_clock_minutes_ahead_still_keeps_the_session(tmp_path: Path) -> None:
    me = Person(tmp_path)
    # The laptop's clock is five minutes fast: its own daemon on its own clock.
    fast = ManualClock(NINE + 300)
    laptop = Computer(tmp_path, "fast laptop", "a" * 16, me.folder, fast)
    for _ in range(10 * 60):
        me.clock.advance(1.0)
        fast.advance(1.0)
        where = me.desk if me.clock.now() < NINE + 5 * 60 else laptop
        where.source.last = where.clock.now() - 0.3
        me.desk.daemon.step()
        laptop.daemon.step()
    me.at(None, 2 * MIN)
    assert me.desk.sessions() == []  # no break at the desk: typing on the laptop
    text = format_status(me.desk.daemon.status(me.clock.now()), now=me.clock.now(), tz=BERLIN)
    assert "its clock is 5 minutes ahead (its times are taken as now)" in text
    laptop.daemon._shutdown()
    me.stop()


def summary_lines(caplog: pytest.LogCaptureFixture, date: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{date}: sat ")]


def test_the_days_summary_says_it_covers_both_computers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sitbreak")
    me = Person(tmp_path)
    me.at(me.desk, 20 * MIN)
    me.at(me.laptop, 15 * MIN)
    status = me.desk.daemon.status(me.clock.now())
    today = format_status(status, now=me.clock.now(), tz=BERLIN).splitlines()
    assert any(
        line.startswith("Today: ") and line.endswith(", across 2 computers (desk, laptop).")
        for line in today
    )
    me.stop()
    (desk_line, laptop_line) = summary_lines(caplog, "2026-11-02")
    assert desk_line.endswith("), across 2 computers (desk, laptop)")
    assert laptop_line.endswith(", across 2 computers (desk, laptop)")
    (desk_day,) = me.desk.summaries()
    assert desk_day["computers"] == ["desk", "laptop"]


def test_one_computer_in_use_says_nothing_extra(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sitbreak")
    me = Person(tmp_path)
    me.at(me.desk, 10 * MIN)  # the laptop is on, but never used
    me.stop()
    lines = summary_lines(caplog, "2026-11-02")
    assert len(lines) == 2
    assert not any("across" in line or "computer" in line for line in lines)
    assert me.desk.summaries()[0]["computers"] == ["desk"]
    assert me.laptop.summaries()[0]["computers"] == ["desk"]  # its figures are the desk's input


def test_a_restart_keeps_the_mornings_computers(tmp_path: Path) -> None:
    me = Person(tmp_path)
    me.at(me.laptop, 5 * MIN)
    me.at(me.desk, 2 * MIN)  # a checkpoint a minute keeps them in the store
    me.desk.store.flush()
    again = Daemon(
        me.desk.daemon.config, me.desk.daemon.w, BERLIN, PromptWriter(load_library())
    )  # the desk's daemon started again
    assert again.computers(NINE_DATE) == ["desk", "laptop"]
    me.stop()


def test_the_desk_deletes_only_its_own_files_past_keep_at_start(tmp_path: Path) -> None:
    me = Person(tmp_path)
    desk_dir, laptop_dir = me.folder / ("d" * 16), me.folder / ("e" * 16)
    for d in (desk_dir, laptop_dir):
        d.mkdir()
        for back in (1, 30, 59, 61, 90):
            (d / f"{utc_day(NINE - back * 86400)}.jsonl").write_text("{}\n")
    conflict = desk_dir / f"{utc_day(NINE - 90 * 86400)}.sync-conflict-20260801-1-ABCDEFG.jsonl"
    conflict.write_text("{}\n")
    me.desk.daemon.begin()
    kept = sorted(p.name for p in desk_dir.iterdir())
    assert f"{utc_day(NINE - 61 * 86400)}.jsonl" not in kept
    assert f"{utc_day(NINE - 90 * 86400)}.jsonl" not in kept
    assert f"{utc_day(NINE - 59 * 86400)}.jsonl" in kept and conflict.name in kept
    assert len(list(laptop_dir.glob("*.jsonl"))) == 5  # the laptop's are the laptop's to delete
    me.stop()


def test_a_new_day_deletes_the_day_that_went_past_keep(tmp_path: Path) -> None:
    me = Person(tmp_path)
    desk_dir = me.folder / ("d" * 16)
    desk_dir.mkdir()
    # Its UTC day ends 60 days before tomorrow morning, not before this one.
    edge = desk_dir / f"{utc_day(NINE - 60 * 86400)}.jsonl"
    edge.write_text("{}\n")
    me.desk.daemon.begin()
    assert edge.exists()
    me.clock.advance(24 * 3600)
    me.at(me.desk, 2)
    assert not edge.exists()
    me.stop()
