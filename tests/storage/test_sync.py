"""The synced folder: what a machine writes there, and what it makes of the
others' files, faults and all (issue 18)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sitbreak.storage import sync, sync_words
from sitbreak.storage.sync import (
    FORGET_S,
    HEARTBEAT_S,
    QUEUE_MAX,
    SyncLink,
    SyncReader,
    SyncWriter,
    host_id,
    merge_spans,
    parse_line,
    read_folder,
    utc_day,
)

# 2026-11-03 16:00 UTC
T0 = 1_793_606_400.0 + 86400.0 + 8 * 3600.0
DESK = "aaaaaaaaaaaaaaaa"
LAPTOP = "bbbbbbbbbbbbbbbb"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def segment(folder: Path, host: str, t: float = T0) -> Path:
    return folder / host / f"{utc_day(t)}.jsonl"


def later(seconds: float = 60.0) -> Callable[[], int]:
    """A reader's wall clock (the clock of file times) for polls `seconds`
    after the test's writes: files last changed a while before the look, as
    they mostly are between polls 5 s apart."""
    return lambda: time.time_ns() + int(seconds * 1e9)


def test_the_host_id_is_random_private_and_kept(tmp_path: Path) -> None:
    first = host_id(tmp_path / "data")
    assert len(first) == 16
    assert host_id(tmp_path / "data") == first
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "host-id").st_mode) == 0o600
    assert host_id(tmp_path / "other") != first


def test_a_span_is_written_when_it_begins_as_it_grows_and_when_it_ends(tmp_path: Path) -> None:
    w = SyncWriter(tmp_path, DESK, "desk")
    now = T0
    for _ in range(70):  # 70 s of typing, polled every second
        w.activity(now)
        w.tick(now)
        now += 1
    w.tick(now + 31)  # quiet: the span is over
    spans = [r for r in lines(segment(tmp_path, DESK)) if r["k"] == "a"]
    assert spans[0] == {"k": "a", "a": T0, "b": T0}  # at once: how a move is known
    assert [r["b"] - T0 for r in spans] == [0, 30, 60, 69]
    assert {r["a"] for r in spans} == {T0}


def test_a_heartbeat_only_when_nothing_else_was_written(tmp_path: Path) -> None:
    w = SyncWriter(tmp_path, DESK, "desk")
    for k in range(5 * 60):
        w.tick(T0 + k)
    beats = [r for r in lines(segment(tmp_path, DESK)) if r["k"] == "hb"]
    assert [r["t"] - T0 for r in beats] == [0, 60, 120, 180, 240]
    assert HEARTBEAT_S == 60


def test_files_are_private_and_the_manifest_says_who_and_what(tmp_path: Path) -> None:
    w = SyncWriter(tmp_path, DESK, "desk")
    w.record("ss", t=T0)
    w.tick(T0)
    assert stat.S_IMODE(os.stat(tmp_path / DESK).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(segment(tmp_path, DESK)).st_mode) == 0o600
    manifest = json.loads((tmp_path / DESK / "manifest.json").read_text())
    assert manifest["format"] == 1
    assert manifest["host"] == DESK and manifest["name"] == "desk"
    assert manifest["segments"] == {utc_day(T0): False}
    # The next UTC day: a new file, and yesterday's is closed for good.
    w.record("ss", t=T0 + 86400)
    w.tick(T0 + 86400)
    manifest = json.loads((tmp_path / DESK / "manifest.json").read_text())
    assert manifest["segments"] == {utc_day(T0): True, utc_day(T0 + 86400): False}
    assert [p.name for p in (tmp_path / DESK).iterdir() if p.name.endswith(".tmp")] == []


def test_an_unmounted_folder_keeps_the_records_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "usb" / "Sync"  # its parent is missing too: not mounted
    w = SyncWriter(folder, DESK, "desk")
    for k in range(10):
        w.record("ss", t=T0 + k)
        w.tick(T0 + k)
    assert w.problem is not None and "missing" in w.problem
    assert sum("cannot write to the sync folder" in r.message for r in caplog.records) == 1
    assert not folder.exists()  # never made under an empty mount point
    (tmp_path / "usb").mkdir()
    w.tick(T0 + 20)
    assert w.problem is None
    assert [r["t"] - T0 for r in lines(segment(folder, DESK)) if r["k"] == "ss"] == list(range(10))


def test_a_computer_whose_folder_comes_back_is_live_again_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The folder goes (unmounted, deleted) while the desk sits idle. When it
    is back, the desk's very next write shows it live on the laptop: not the
    beat it kept from the outage, minutes old, until its next regular beat."""
    from zoneinfo import ZoneInfo

    folder = tmp_path / "Sync"
    folder.mkdir()
    desk = SyncLink(folder, DESK, "desk")
    laptop = SyncReader(folder, LAPTOP)  # the other computer, polling every 5 s

    def desk_on_the_laptop(now: float) -> str:
        laptop.poll(now)
        d = laptop.peers[DESK].as_dict(now)
        return sync_words.peer_sentence(d, now, ZoneInfo("Europe/Berlin"))

    now = T0
    for _ in range(24):  # two idle minutes: heartbeats only
        desk.tick(now)
        laptop.poll(now)
        now += 5
    assert desk_on_the_laptop(now) == "desk, last record 60 seconds ago"
    shutil.rmtree(folder)
    for _ in range(96):  # eight minutes without the folder
        desk.tick(now)
        laptop.poll(now)
        now += 5
    assert desk.problem == "the folder is missing (not mounted?)"
    assert desk.writer.pending == 1  # the beat it could not write, kept
    status = sync_words.sync_sentence(desk.status(now), now, ZoneInfo("Europe/Berlin"))
    assert status == (
        f"Sync: trouble with {folder}: the folder is missing (not mounted?); "
        "1 record waits to be written."
    )
    assert laptop.problem == "the folder is missing (not mounted?)"
    said = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("cannot write to the sync folder") for m in said) == 1
    folder.mkdir()  # back: mounted again, or Syncthing put it back
    desk.tick(now)  # the desk's very next write
    assert desk.problem is None
    assert f"the sync folder {folder} works again" in [r.getMessage() for r in caplog.records]
    assert desk_on_the_laptop(now) == "desk, last record just now"
    # The beat kept from the outage is written too: nothing kept is lost.
    assert [r["t"] - T0 for r in lines(segment(folder, DESK))] == [120, now - T0]


def test_the_queue_is_bounded_oldest_dropped_first(tmp_path: Path) -> None:
    w = SyncWriter(tmp_path / "gone" / "x", DESK, "desk")
    for k in range(QUEUE_MAX + 3):
        w.record("ss", t=T0 + k)
    w.flush(T0)
    assert w.pending == QUEUE_MAX
    assert w.dropped == 3


def test_a_short_write_leaves_a_torn_line_that_is_ended_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = SyncWriter(tmp_path, DESK, "desk")
    real = os.write
    calls = {"n": 0}

    def half_then_full(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real(fd, data[: len(data) // 2 + 3])  # the disk filled mid-line
        return real(fd, data)

    monkeypatch.setattr(sync.os, "write", half_then_full)
    for k in range(4):
        w.record("ss", t=T0 + k)
    w.flush(T0)
    assert w.problem is not None
    w.flush(T0 + 1)
    assert w.problem is None and w.pending == 0
    r = SyncReader(tmp_path, LAPTOP)
    got = [p.rec["t"] - T0 for p in r.poll(T0 + 2) if p.rec["k"] == "ss"]
    assert sorted(set(got)) == [0, 1, 2, 3]  # nothing lost
    assert r.peers[DESK].bad_lines <= 1


def test_a_reader_sees_the_others_not_itself_and_only_new_lines(tmp_path: Path) -> None:
    desk, laptop = SyncWriter(tmp_path, DESK, "desk"), SyncWriter(tmp_path, LAPTOP, "laptop")
    desk.record("ss", t=T0)
    laptop.record("ss", t=T0 + 1)
    desk.tick(T0)
    laptop.tick(T0)
    r = SyncReader(tmp_path, DESK)
    assert [(p.host, p.rec["k"]) for p in r.poll(T0 + 2)] == [(LAPTOP, "ss")]
    assert r.peers[LAPTOP].name == "laptop"
    assert r.poll(T0 + 3) == []
    laptop.activity(T0 + 4)
    laptop.tick(T0 + 4)
    (rec,) = r.poll(T0 + 5)
    assert rec.rec == {"k": "a", "a": T0 + 4, "b": T0 + 4}
    assert r.peers[LAPTOP].last_input == T0 + 4
    assert r.latest_elsewhere() is r.peers[LAPTOP]


def test_a_line_being_written_is_read_when_it_is_whole(tmp_path: Path) -> None:
    path = segment(tmp_path, LAPTOP)
    path.parent.mkdir()
    path.write_bytes(b'{"k":"ss","t":%d}\n{"k":"hb","t":' % T0)
    r = SyncReader(tmp_path, DESK)
    assert [p.rec["k"] for p in r.poll(T0)] == ["ss"]
    with open(path, "ab") as f:
        f.write(b"%d}\n" % (T0 + 1))
    assert [p.rec for p in r.poll(T0 + 2)] == [{"k": "hb", "t": T0 + 1}]
    assert r.peers[LAPTOP].bad_lines == 0


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b'{"k":"a","a":1}',  # no end
        b'{"k":"a","a":"1","b":2}',  # a string for a time
        b'{"k":"a","a":true,"b":2}',
        b'{"k":"hb","t":NaN}',
        b'{"k":"hb","t":Infinity}',
        b'{"k":"a","a":5,"b":2}',  # ends before it starts
        b'{"k":"zz","t":1}',  # an unknown kind
        b'["k","hb"]',
        b'{"k":"an","t":1,"x":["break"]}',
        b"\xff\xfe",
        b"[" * 100_000,  # nested too deep for the parser
    ],
)
def test_bad_lines_are_skipped_and_counted(tmp_path: Path, line: bytes) -> None:
    assert parse_line(line) is None
    path = segment(tmp_path, LAPTOP)
    path.parent.mkdir()
    path.write_bytes(line + b"\n" + b'{"k":"hb","t":%d}\n' % T0)
    r = SyncReader(tmp_path, DESK)
    assert [p.rec["k"] for p in r.poll(T0)] == ["hb"]
    assert r.peers[LAPTOP].bad_lines == 1


def test_conflict_copies_and_temporary_files_are_counted_and_never_read(tmp_path: Path) -> None:
    host = tmp_path / LAPTOP
    host.mkdir()
    day = utc_day(T0)
    (host / f"{day}.sync-conflict-20261102-081500-ABCDEFG.jsonl").write_text(
        f'{{"k":"a","a":{T0},"b":{T0}}}\n'
    )
    (host / f".syncthing.{day}.jsonl.tmp").write_text('{"k":"a","a":1,"b":2}\n')
    (host / f"~syncthing~{day}.jsonl.tmp").write_text("{")
    (tmp_path / "notes.sync-conflict-x").mkdir()  # not a host
    r = SyncReader(tmp_path, DESK)
    assert r.poll(T0) == []
    assert (r.conflicts, r.temporary) == (1, 2)


def test_a_clock_minutes_ahead_is_noticed_and_its_times_taken_as_now(tmp_path: Path) -> None:
    laptop = SyncWriter(tmp_path, LAPTOP, "laptop")
    laptop.activity(T0 + 300)  # five minutes in our future
    laptop.tick(T0 + 300)
    r = SyncReader(tmp_path, DESK)
    r.poll(T0)
    peer = r.peers[LAPTOP]
    assert peer.skew_s == pytest.approx(300)
    assert peer.last_input == T0
    # Seconds of skew are normal.
    other = SyncReader(tmp_path, DESK)
    other.poll(T0 + 298)
    assert other.peers[LAPTOP].skew_s == 0


def clock_words(link: SyncLink, now: float) -> str:
    """What `sitbreak status` says of the link at `now`."""
    return sync_words.sync_sentence(link.status(now), now, dt.timezone.utc)


def test_a_clock_put_right_is_no_longer_called_ahead_within_ten_minutes(tmp_path: Path) -> None:
    laptop, desk = SyncWriter(tmp_path, LAPTOP, "laptop"), SyncLink(tmp_path, DESK, "desk")
    now, ahead = T0, 30.0  # the laptop's clock is 30 s ahead of the desk's
    for _ in range(5 * 60):  # five idle minutes: the laptop beats, the desk reads
        laptop.tick(now + ahead)
        desk.tick(now)
        now += 1
    assert "laptop, last record 60 seconds ago, its clock is 30 seconds ahead" in clock_words(
        desk, now
    )
    # NTP puts the laptop's clock right; the desk's daemon runs on.
    ahead, put_right = 0.0, now
    while "ahead" in clock_words(desk, now) and now < put_right + 3600:
        laptop.tick(now + ahead)
        desk.tick(now)
        now += 1
    assert now - put_right <= sync.SKEW_RECENT_S + sync.READ_EVERY_S
    assert desk.reader.peers[LAPTOP].skew_s == 0
    # Off again, it is said again at the next look.
    laptop.record("hb", t=now + 45)
    laptop.tick(now + 45)
    desk.tick(now + sync.READ_EVERY_S)
    assert "its clock is 40 seconds ahead" in clock_words(desk, now + sync.READ_EVERY_S)


def test_a_file_delivered_late_neither_makes_a_clock_ahead_nor_hides_one(tmp_path: Path) -> None:
    there, here = tmp_path / "on the laptop", tmp_path / "on the desk"
    laptop, desk = SyncWriter(there, LAPTOP, "laptop"), SyncLink(here, DESK, "desk")
    (here / LAPTOP).mkdir(parents=True)

    def files() -> dict[str, bytes]:  # what Syncthing takes on the laptop
        return {p.name: p.read_bytes() for p in (there / LAPTOP).iterdir()}

    def deliver(taken: dict[str, bytes]) -> None:  # and gives the desk, whenever it gets to it
        for name, data in taken.items():
            replace_like_syncthing(here / LAPTOP / name, data)

    said = []
    now, ahead = T0, 0.0  # a right clock, its files arriving 3 minutes late
    for k in range(10 * 60):
        laptop.activity(now + ahead)
        laptop.tick(now + ahead)
        if k % 180 == 0:
            taken = files()
        elif k % 180 == 179:
            deliver(taken)
        desk.tick(now)
        said.append(clock_words(desk, now))
        now += 1
    assert not [line for line in said if "clock" in line]
    # 30 s ahead, delivered at once; then Syncthing stalls, and what it had
    # taken arrives 2 minutes late, before it catches up.
    ahead, said = 30.0, []
    for k in range(10 * 60):
        laptop.activity(now + ahead)
        laptop.tick(now + ahead)
        if k < 2 * 60 or k >= 7 * 60:
            deliver(files())
        elif k == 3 * 60:
            taken = files()
        elif k == 5 * 60:
            deliver(taken)
        desk.tick(now)
        said.append(clock_words(desk, now))
        now += 1
    warned = ["its clock is 30 seconds ahead" in line for line in said]
    assert warned.index(True) < sync.READ_EVERY_S
    assert all(warned[warned.index(True) :])  # the late file does not take it back


def test_a_host_silent_for_a_day_is_caught_up_from_its_newer_files(tmp_path: Path) -> None:
    laptop = SyncWriter(tmp_path, LAPTOP, "laptop")
    laptop.record("ss", t=T0)
    laptop.tick(T0)
    r = SyncReader(tmp_path, DESK)
    assert len(r.poll(T0)) == 1
    # A day and a bit later, two days of files arrive at once.
    for day in (1, 2):
        laptop.record("ss", t=T0 + day * 86400)
        laptop.tick(T0 + day * 86400)
    got = [p.rec["t"] - T0 for p in r.poll(T0 + 2 * 86400 + 5) if p.rec["k"] == "ss"]
    assert got == [86400, 2 * 86400]


def test_an_old_segment_read_to_its_end_is_not_looked_at_again(tmp_path: Path) -> None:
    laptop = SyncWriter(tmp_path, LAPTOP, "laptop")
    laptop.record("ss", t=T0)
    laptop.tick(T0)
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    r.poll(T0)
    r.poll(T0 + 5 * 86400)
    (state,) = r._files.values()
    assert state.settled


def test_a_folder_removed_and_made_again(tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    desk, laptop = SyncLink(folder, DESK, "desk"), SyncLink(folder, LAPTOP, "laptop")
    laptop.writer.record("ss", t=T0)
    laptop.tick(T0)
    assert [p.rec["k"] for p in desk.tick(T0)] == ["ss"]
    shutil.rmtree(folder)
    desk.writer.record("ss", t=T0 + 10)
    assert desk.tick(T0 + 10) == []
    assert desk.problem is not None  # said in status and doctor
    assert not folder.exists()  # gone once: not made again under a mount point
    # Syncthing puts it back: both write again, the reader starts each file afresh.
    folder.mkdir()
    laptop.writer.record("se", a=T0, b=T0 + 15, c="idle")
    laptop.tick(T0 + 20)
    got = [p.rec["k"] for p in desk.tick(T0 + 20)]
    assert got == ["se"]
    assert desk.problem is None
    # The desk's record kept from the outage, then a beat: it is writing again.
    kept = [(r["k"], r["t"]) for r in lines(segment(folder, DESK))]
    assert kept == [("ss", T0 + 10), ("hb", T0 + 20)]


def test_the_whole_folder_read_for_a_report(tmp_path: Path) -> None:
    desk, laptop = SyncWriter(tmp_path, DESK, "desk"), SyncWriter(tmp_path, LAPTOP, "laptop")
    for k in range(0, 100, 5):
        desk.activity(T0 + k)
        desk.tick(T0 + k)
    desk.tick(T0 + 200)
    laptop.activity(T0 + 300)
    laptop.record("p", t=T0 + 300, p="move", l=1)
    laptop.tick(T0 + 300)
    hosts = {h.name: h for h in read_folder(tmp_path)}
    assert hosts["desk"].spans == [(T0, T0 + 95)]
    assert hosts["laptop"].spans == [(T0 + 300, T0 + 300)]
    assert [p["p"] for p in hosts["laptop"].prompts] == ["move"]


def test_merge_spans() -> None:
    assert merge_spans([(5, 9), (0, 1), (0, 3), (2, 4), (10, 11)]) == [(0, 4), (5, 9), (10, 11)]


def _old_days(folder: Path, host: str, now: float, days: range) -> list[str]:
    """Segments of `host` for each of `days` days before `now`, one line each."""
    names = []
    for back in days:
        day = utc_day(now - back * 86400)
        (folder / host).mkdir(mode=0o700, exist_ok=True)
        (folder / host / f"{day}.jsonl").write_text(f'{{"k":"hb","t":{now - back * 86400}}}\n')
        names.append(day)
    return names


def test_retention_deletes_only_this_hosts_own_old_segments(tmp_path: Path) -> None:
    now = T0 + 100 * 86400
    mine = _old_days(tmp_path, DESK, now, range(1, 100))
    theirs = _old_days(tmp_path, LAPTOP, now, range(1, 100))
    conflict = tmp_path / DESK / f"{mine[-1]}.sync-conflict-20260101-120000-ABCDEFG.jsonl"
    conflict.write_text("{}\n")
    receiving = tmp_path / DESK / f".syncthing.{mine[-1]}.jsonl.tmp"
    receiving.write_text("")
    notes = tmp_path / DESK / "notes.txt"  # not sitbreak's: never touched
    notes.write_text("mine\n")
    w = SyncWriter(tmp_path, DESK, "desk")
    w.record("ss", t=now)
    w.tick(now)
    gone = w.prune(now, 60 * 86400)
    # A UTC day's file goes once the whole day is 60 days past.
    assert gone == sorted(d for d in mine if d < utc_day(now - 60 * 86400))
    assert len(gone) == 99 - 60
    left = sorted(p.name for p in (tmp_path / DESK).iterdir())
    assert conflict.name in left and receiving.name in left and notes.name in left
    assert f"{utc_day(now)}.jsonl" in left and f"{utc_day(now - 60 * 86400)}.jsonl" in left
    assert sorted(p.stem for p in (tmp_path / LAPTOP).glob("*.jsonl")) == sorted(theirs)
    manifest = json.loads((tmp_path / DESK / "manifest.json").read_text())
    assert min(manifest["segments"]) == utc_day(now - 60 * 86400)
    assert manifest["segments"][utc_day(now)] is False
    assert w.prune(now, 60 * 86400) == []  # nothing more to do


def test_retention_never_deletes_today_or_yesterday(tmp_path: Path) -> None:
    now = T0
    _old_days(tmp_path, DESK, now, range(0, 5))
    w = SyncWriter(tmp_path, DESK, "desk")
    assert w.prune(now, 0.0) == [
        utc_day(now - 4 * 86400),
        utc_day(now - 3 * 86400),
        utc_day(now - 2 * 86400),
    ]
    assert sorted(p.stem for p in (tmp_path / DESK).glob("*.jsonl")) == [
        utc_day(now - 86400),
        utc_day(now),
    ]


def test_retention_of_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    w = SyncWriter(tmp_path / "usb" / "Sync", DESK, "desk")
    assert w.prune(T0, 60 * 86400) == []
    assert not (tmp_path / "usb").exists()


def test_the_manifest_lists_the_days_already_on_disk_after_a_restart(tmp_path: Path) -> None:
    _old_days(tmp_path, DESK, T0, range(1, 4))
    w = SyncWriter(tmp_path, DESK, "desk")  # a daemon started again
    w.record("ss", t=T0)
    w.tick(T0)
    manifest = json.loads((tmp_path / DESK / "manifest.json").read_text())
    assert manifest["segments"] == {
        utc_day(T0 - 3 * 86400): True,
        utc_day(T0 - 2 * 86400): True,
        utc_day(T0 - 86400): True,
        utc_day(T0): False,
    }


def test_the_status_line_reads_right_for_several_computers() -> None:
    from zoneinfo import ZoneInfo

    now = T0
    status = {
        "folder": "/home/me/Sync/sitbreak",
        "problem": None,
        "pending": 0,
        "conflicts": 1,
        "peers": [
            {"name": "old desk", "age_s": 3 * 86400.0, "skew_s": 0.0, "bad_lines": 1},
            {"name": "laptop", "age_s": 4.0, "skew_s": 420.0, "bad_lines": 0},
            {"name": "tablet", "age_s": None, "skew_s": 0.0, "bad_lines": 0},
        ],
    }
    line = sync_words.sync_sentence(status, now, ZoneInfo("Europe/Berlin"))
    assert line == (
        "Sync: 3 other computers through /home/me/Sync/sitbreak: "
        "laptop, last record just now, its clock is 7 minutes ahead (its times are taken as now); "
        "old desk, last record 3 days ago (Sat 31 Oct 17:00 CET), 1 bad line skipped; "
        "tablet, nothing written yet. 1 Syncthing conflict copy ignored."
    )
    one = {**status, "conflicts": 0, "peers": [{"name": "laptop", "age_s": 2.0 * 3600}]}
    assert sync_words.sync_sentence(one, now, ZoneInfo("Europe/Berlin")) == (
        "Sync: 1 other computer through /home/me/Sync/sitbreak: "
        "laptop, last record 2 hours ago (15:00 CET)."
    )
    trouble = {**status, "problem": "the folder is missing (not mounted?)", "pending": 1}
    assert sync_words.sync_sentence(trouble, now, ZoneInfo("Europe/Berlin")) == (
        "Sync: trouble with /home/me/Sync/sitbreak: the folder is missing (not mounted?); "
        "1 record waits to be written."
    )


def test_stopping_writes_the_open_span_whole_and_no_time_still_to_come(tmp_path: Path) -> None:
    desk, laptop = SyncLink(tmp_path, DESK, "desk"), SyncReader(tmp_path, LAPTOP)
    now = T0
    for _ in range(100):  # 100 idle seconds: the next beat is due
        desk.tick(now)
        now += 1
    desk.close(now)
    laptop.poll(now + 1)
    assert laptop.peers[DESK].skew_s == 0  # never "its clock is 30 seconds ahead"
    assert all(r["t"] <= now for r in lines(segment(tmp_path, DESK)))
    # Typing until the daemon stops: the span is written to its last input.
    desk = SyncLink(tmp_path, DESK, "desk")
    for _ in range(40):
        desk.writer.activity(now)
        desk.tick(now)
        now += 1
    desk.close(now)
    spans = [r for r in lines(segment(tmp_path, DESK)) if r["k"] == "a"]
    assert spans[-1] == {"k": "a", "a": now - 40, "b": now - 1}
    assert all(r.get("t", r.get("b")) <= now for r in lines(segment(tmp_path, DESK)))


def test_stopping_with_the_folder_gone_says_what_is_not_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = SyncLink(tmp_path / "Sync", DESK, "desk")
    (tmp_path / "Sync").mkdir()
    link.tick(T0)
    shutil.rmtree(tmp_path / "Sync")  # unmounted
    caplog.clear()
    link.writer.activity(T0 + 10)
    link.close(T0 + 11)
    (message,) = [r.getMessage() for r in caplog.records]
    assert message == (
        f"stopping with 1 record for the other computers not written to {tmp_path / 'Sync'}: "
        "the folder is missing (not mounted?); this computer's own record is complete"
    )
    assert "keeping" not in message  # nothing is kept: the daemon is stopping
    assert link.reader.poll(T0 + 12) == []
    assert link.reader.problem == "the folder is missing (not mounted?)"


# ------------------------------------------------------------------ a poll with nothing new


class Opened:
    """Every file the reader opens and every directory it lists during a poll, by name."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        self.dirs: list[str] = []
        self._polling = False
        real_open, real_scandir = open, os.scandir

        def counting_open(path: Path, *args: object, **kwargs: object) -> object:
            if self._polling:
                self.files.append(Path(path).name)
            return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

        def counting_scandir(path: Path) -> object:
            if self._polling:
                self.dirs.append(Path(path).name)
            return real_scandir(path)

        monkeypatch.setattr(sync, "open", counting_open, raising=False)
        monkeypatch.setattr(sync.os, "scandir", counting_scandir)

    def poll(self, r: SyncReader, now: float) -> list[dict]:
        """One poll's records; what it opened is in .files and .dirs."""
        self.files.clear()
        self.dirs.clear()
        self._polling = True
        try:
            return [p.rec for p in r.poll(now)]
        finally:
            self._polling = False


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    return Opened(monkeypatch)


def working_peers(folder: Path, now: float) -> list[SyncWriter]:
    """Two other computers with a morning's input each in the folder."""
    peers = [SyncWriter(folder, LAPTOP, "laptop"), SyncWriter(folder, "c" * 16, "tablet")]
    for w in peers:
        for k in range(0, 4 * 3600, 5):
            w.activity(now - 4 * 3600 + k)
            w.tick(now - 4 * 3600 + k)
    return peers


def read_and_settle(r: SyncReader, opened: Opened, now: float) -> None:
    """The reader has read the folder, and a poll with nothing new opens nothing."""
    r.poll(now)
    assert opened.poll(r, now + 5) == []
    assert (opened.files, opened.dirs) == ([], [])


def test_a_poll_with_nothing_new_opens_nothing(tmp_path: Path, opened: Opened) -> None:
    now = T0
    laptop, _tablet = working_peers(tmp_path, now)
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    first = opened.poll(r, now)
    assert len(first) > 400  # the morning, read once
    assert sorted(opened.files) == sorted(2 * ["manifest.json", f"{utc_day(now)}.jsonl"])
    assert sorted(opened.dirs) == sorted([tmp_path.name, LAPTOP, "c" * 16])
    assert (r.files_read, r.dirs_listed) == (4, 3)  # the benchmark's counters say the same
    for _ in range(12):  # a minute of polls
        now += 5
        assert opened.poll(r, now) == []
        assert (opened.files, opened.dirs) == ([], [])
    assert (r.files_read, r.dirs_listed) == (4, 3)
    assert {p.name for p in r.peers.values()} == {"laptop", "tablet"}  # still known by name
    # One peer writes a line: only its segment is read, from where it was.
    laptop.record("hb", t=now)
    laptop.flush(now)
    assert opened.poll(r, now + 5) == [{"k": "hb", "t": now}]
    assert opened.files == [f"{utc_day(now)}.jsonl"]
    assert opened.dirs == []  # an append in place leaves the directory as it was


def test_a_file_changed_just_before_a_look_is_looked_at_once_more(
    tmp_path: Path, opened: Opened
) -> None:
    """Written in the same timestamp tick as the look, a change can leave the
    stat as it was (same size, inode and times): such a file is read again."""
    path = segment(tmp_path, LAPTOP)
    path.parent.mkdir()
    path.write_bytes(b'{"k":"hb","t":%d}\n' % T0)
    r = SyncReader(tmp_path, DESK)
    assert opened.poll(r, T0) == [{"k": "hb", "t": T0}]
    before = os.stat(path)
    with open(path, "r+b") as f:  # rewritten in place, same size, its times put back
        f.write(b'{"k":"ss","t":%d}\n' % T0)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert opened.poll(r, T0 + 5) == [{"k": "ss", "t": T0}]
    # Nothing new since: looked at once more while the change is that recent.
    assert opened.poll(r, T0 + 10) == []
    assert f"{utc_day(T0)}.jsonl" in opened.files


# ------------------------------------------------------------------ changes seen on the next poll


def replace_like_syncthing(path: Path, data: bytes, mtime_ns: int | None = None) -> None:
    """What Syncthing does with a change from another computer: a temporary
    file, the sender's modification time, then a rename over the old one."""
    tmp = path.parent / f".syncthing.{path.name}.tmp"
    tmp.write_bytes(data)
    if mtime_ns is not None:
        os.utime(tmp, ns=(mtime_ns, mtime_ns))
    os.replace(tmp, path)


def one_peer(folder: Path, data: bytes, t: float = T0) -> Path:
    path = segment(folder, LAPTOP, t)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    (folder / LAPTOP / "manifest.json").write_text('{"format":1,"name":"laptop"}\n')
    return path


def hb(t: float) -> bytes:
    return b'{"k":"hb","t":%d}\n' % t


def test_a_file_replaced_by_syncthing_with_the_same_size_and_time(
    tmp_path: Path, opened: Opened
) -> None:
    path = one_peer(tmp_path, hb(T0) + hb(T0 + 60))
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    read_and_settle(r, opened, T0 + 60)
    # The sender rewrote its day (a new file, the same length) and its clock
    # gave it the same modification time: only the inode says it is new.
    replace_like_syncthing(path, hb(T0 + 1) + hb(T0 + 61), os.stat(path).st_mtime_ns)
    got = opened.poll(r, T0 + 70)
    assert got == [{"k": "hb", "t": T0 + 1}, {"k": "hb", "t": T0 + 61}]
    # The usual case: Syncthing's copy of an append, the old lines and a new one.
    replace_like_syncthing(path, hb(T0 + 1) + hb(T0 + 61) + hb(T0 + 121))
    assert opened.poll(r, T0 + 125) == [{"k": "hb", "t": T0 + 121}]


def test_a_file_rewritten_in_place_or_truncated(tmp_path: Path, opened: Opened) -> None:
    path = one_peer(tmp_path, hb(T0) + hb(T0 + 60))
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    read_and_settle(r, opened, T0 + 60)
    # The same inode, the same size, its modification time put back: the
    # change time (this machine's clock, which no one sets) still moved.
    mtime = os.stat(path).st_mtime_ns
    with open(path, "r+b") as f:
        f.write(hb(T0 + 2) + hb(T0 + 62))
    os.utime(path, ns=(mtime, mtime))
    assert opened.poll(r, T0 + 70) == [{"k": "hb", "t": T0 + 2}, {"k": "hb", "t": T0 + 62}]
    read_and_settle(r, opened, T0 + 75)
    # Truncated: what is there now is read from its start.
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(hb(T0 + 80))
    assert opened.poll(r, T0 + 85) == [{"k": "hb", "t": T0 + 80}]


def test_a_file_deleted_and_coming_back(tmp_path: Path, opened: Opened) -> None:
    path = one_peer(tmp_path, hb(T0))
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    read_and_settle(r, opened, T0 + 5)
    path.unlink()
    (tmp_path / LAPTOP / "manifest.json").unlink()
    assert opened.poll(r, T0 + 15) == []
    assert opened.poll(r, T0 + 20) == []
    # Back, the lines read before and a new one, and a new name.
    replace_like_syncthing(path, hb(T0) + hb(T0 + 30))
    replace_like_syncthing(tmp_path / LAPTOP / "manifest.json", b'{"format":1,"name":"lap"}')
    assert opened.poll(r, T0 + 35) == [{"k": "hb", "t": T0 + 30}]
    assert r.peers[LAPTOP].name == "lap"
    assert r.peers[LAPTOP].records == 2  # nothing counted twice


def test_a_host_and_a_day_that_were_not_there(tmp_path: Path, opened: Opened) -> None:
    one_peer(tmp_path, hb(T0))
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    read_and_settle(r, opened, T0 + 5)
    # The next UTC day's file appears, and a third computer.
    tomorrow = T0 + 86400
    segment(tmp_path, LAPTOP, tomorrow).write_bytes(hb(tomorrow))
    tablet = SyncWriter(tmp_path, "c" * 16, "tablet")
    tablet.record("ss", t=tomorrow)
    tablet.flush(tomorrow)
    got = sorted((p.host, p.rec["t"]) for p in r.poll(tomorrow + 5))
    assert got == [(LAPTOP, tomorrow), ("c" * 16, tomorrow)]
    assert r.peers["c" * 16].name == "tablet"


def test_a_host_directory_removed_and_synced_again(tmp_path: Path, opened: Opened) -> None:
    path = one_peer(tmp_path, hb(T0))
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    read_and_settle(r, opened, T0 + 5)
    shutil.rmtree(tmp_path / LAPTOP)
    assert opened.poll(r, T0 + 10) == []
    one_peer(tmp_path, hb(T0) + hb(T0 + 20))  # back, with what it wrote meanwhile
    assert opened.poll(r, T0 + 25) == [{"k": "hb", "t": T0 + 20}]
    assert path.exists() and r.peers[LAPTOP].records == 2


def test_a_bad_manifest_and_a_bad_line_are_said_once_not_every_poll(
    tmp_path: Path, opened: Opened, caplog: pytest.LogCaptureFixture
) -> None:
    one_peer(tmp_path, b"not json\n" + hb(T0))
    manifest = tmp_path / LAPTOP / "manifest.json"
    manifest.write_text('{"format":1,"name":')  # cut short
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    for k in range(12):
        r.poll(T0 + 5 * k)
    warnings = [rec.getMessage() for rec in caplog.records]
    assert warnings == [
        f'ignoring {manifest}: not JSON (expected a JSON object with the computer\'s "name"); '
        f"it is still called {LAPTOP}",
        f"skipping a bad line from {LAPTOP} in {utc_day(T0)}.jsonl (more are only counted): "
        "b'not json'",
    ]
    assert r.peers[LAPTOP].bad_lines == 1
    # Mended, it names the computer.
    replace_like_syncthing(manifest, b'{"format":1,"name":"laptop"}')
    r.poll(T0 + 65)
    assert r.peers[LAPTOP].name == "laptop"
    assert len(caplog.records) == 2


def test_clocks_that_differ_do_not_hide_a_change(tmp_path: Path, opened: Opened) -> None:
    # The sender's clock 10 minutes ahead: Syncthing gives its files times in our future.
    ahead = time.time_ns() + 600 * 10**9
    path = one_peer(tmp_path, hb(T0))
    os.utime(path, ns=(ahead, ahead))
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    read_and_settle(r, opened, T0)  # cheap all the same (its change time is ours)
    # Its next copy, an hour behind the last one's time (its clock was put right).
    behind = ahead - 3600 * 10**9
    replace_like_syncthing(path, hb(T0) + hb(T0 + 15), behind)
    assert opened.poll(r, T0 + 20) == [{"k": "hb", "t": T0 + 15}]
    assert (opened.poll(r, T0 + 25), opened.files) == ([], [])


# ------------------------------------------------------------------ what a reader forgets


def test_a_computer_gone_from_the_folder_for_an_hour_is_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The person deletes the old laptop's files from the folder: a daemon
    running on keeps nothing of it an hour later, and files of it that come
    back after that (from a backup) are a computer met anew."""
    tablet = SyncWriter(tmp_path, "c" * 16, "tablet")
    tablet.record("hb", t=T0)
    tablet.flush(T0)
    one_peer(tmp_path, hb(T0) + b"not json\n")
    desk = SyncLink(tmp_path, DESK, "desk")
    now = T0
    desk.tick(now)
    manifest = tmp_path / LAPTOP / "manifest.json"
    replace_like_syncthing(manifest, b'{"format":1,"name":')  # then spoilt, and said so

    def listed() -> list[str]:
        return sorted(str(p["name"]) for p in desk.status(now)["peers"])

    while now < T0 + 60:
        now += 5
        desk.tick(now)
    assert listed() == ["laptop", "tablet"]
    shutil.rmtree(tmp_path / LAPTOP)
    gone = now + 5  # the first look that misses it
    while now < gone + FORGET_S - 5:
        now += 5
        desk.tick(now)
    assert listed() == ["laptop", "tablet"]  # back within the hour, it is read on
    now += 5
    desk.tick(now)
    assert listed() == ["tablet"]
    line = sync_words.sync_sentence(desk.status(now), now, dt.timezone.utc)
    assert line.startswith(f"Sync: 1 other computer through {tmp_path}: tablet, last record ")
    # Nothing of it is kept (the memory a daemon holds, seen no other way).
    r = desk.reader
    assert [p.parent.name for p in r._files] == ["c" * 16]
    assert LAPTOP not in r._manifests.keys() | r._bad_manifest | r._warned | r._listings.keys()
    # Back from a backup: read afresh, each line counted once, said again.
    caplog.clear()
    one_peer(tmp_path, hb(T0) + b"not json\n")
    now += 5
    assert [p.rec for p in desk.tick(now)] == [{"k": "hb", "t": T0}]  # an hour old: history
    assert (r.peers[LAPTOP].records, r.peers[LAPTOP].bad_lines) == (1, 1)
    assert listed() == ["laptop", "tablet"]
    assert [m.getMessage().split(" in ")[0] for m in caplog.records] == [
        "skipping a bad line from laptop"
    ]


def test_a_reader_running_for_months_keeps_only_the_files_there_are(tmp_path: Path) -> None:
    """The laptop deletes its days past [sync] keep; the desk's reader,
    running all along, forgets them too, and reads every line once."""
    laptop = SyncWriter(tmp_path, LAPTOP, "laptop")
    r = SyncReader(tmp_path, DESK, wall_ns=later())
    now = T0
    got = []
    for _ in range(100):
        now += 86400
        laptop.record("hb", t=now)
        laptop.flush(now)
        laptop.prune(now, 3 * 86400)
        got += [p.rec["t"] for p in r.poll(now)]
        got += [p.rec["t"] for p in r.poll(now + 2 * 3600)]
    assert got == [T0 + 86400 * k for k in range(1, 101)]
    on_disk = sorted((tmp_path / LAPTOP).glob("*.jsonl"))
    assert len(on_disk) == 4
    assert sorted(r._files) == on_disk  # not the 100 days it has seen
