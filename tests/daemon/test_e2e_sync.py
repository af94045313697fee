"""Two computers for real: two `sitbreak run` daemons on two Xvfb displays,
each with its own session bus and dunst, sharing a folder through two real
Syncthing instances on 127.0.0.1 (issue 18).

Thresholds are seconds here, but not as short as test_e2e_daemon's: a
running span is written every 30 s (storage/sync.py PROGRESS_S), so a break
must take longer than that plus Syncthing's delay to be a fair test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop import Desktop, desktop, stop_process, wait_for
from syncthing import Syncthing, pair

pytestmark = pytest.mark.desktop

CONFIG = """
[session]
break_idle = "90s"
break_locked = "30s"
[prompts]
move_after = "60s"
move_repeat = "10m"
[prompts.enabled]
posture = false
[sync]
folder = "{folder}"
name = "{name}"
"""


@dataclass
class Computer:
    name: str
    desk: Desktop
    st: Syncthing
    home: Path
    config: Path
    log: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sitbreak", "run", "--config", str(self.config)],
                env=self.env,
                stderr=log,
                stdout=subprocess.DEVNULL,
            )
        wait_for(
            lambda: (self.home / "run" / "control.sock").exists() or self.proc.poll() is not None,
            what=f"the {self.name} daemon's control socket",
        )
        assert self.proc.poll() is None, self.log.read_text()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout=20)

    def type_for(self, seconds: float) -> None:
        """Input every half second (the mouse moving), as someone working."""
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            i += 1
            self.desk.xdotool("mousemove", str(100 + 7 * (i % 50)), str(100 + 5 * (i % 40)))
            time.sleep(0.5)

    def notifications(self) -> list[dict]:
        self.desk.dunstctl("close-all")
        history = json.loads(self.desk.dunstctl("history"))["data"][0]
        return [{k: v["data"] for k, v in n.items()} for n in history]

    def sessions(self) -> list[tuple[float, float, str]]:
        with sqlite3.connect(self.home / "data" / "sitbreak.db") as db:
            return db.execute(
                "SELECT start, \"end\", cause FROM sessions WHERE source = 'daemon' ORDER BY start"
            ).fetchall()

    def host_id(self) -> str:
        return (self.home / "data" / "host-id").read_text().strip()


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Computer, Computer]]:
    a, b = pair(tmp_path)
    with ExitStack() as stack:
        computers = []
        for name, st in (("desk", a), ("laptop", b)):
            d = stack.enter_context(desktop())
            home = tmp_path / f"{name}-home"
            config = tmp_path / f"{name}.toml"
            config.write_text(CONFIG.format(folder=st.folder, name=name))
            env = dict(d.env, SITBREAK_HOME=str(home))
            env.pop("SITBREAK_CONFIG", None)
            computers.append(Computer(name, d, st, home, config, tmp_path / f"{name}.log", env))
        for c in computers:
            stack.callback(c.st.stop)
            stack.callback(c.stop)
        a.start()
        b.start()
        wait_for(lambda: a.connected_to(b) and b.connected_to(a), timeout=60, what="syncthing")
        for c in computers:
            c.start()
        yield computers[0], computers[1]


def same_files(src: Path, dst: Path) -> bool:
    for f in src.glob("*.jsonl"):
        copy = dst / f.name
        if not copy.exists() or copy.read_bytes() != f.read_bytes():
            return False
    return True


def test_two_computers_one_session_one_prompt_and_a_syncthing_outage(
    two: tuple[Computer, Computer],
) -> None:
    desk, laptop = two
    started = time.time()
    desk.type_for(25)
    laptop.type_for(55)  # the 60-second mark comes while at the laptop
    wait_for(laptop.notifications, timeout=20, what="the move prompt on the laptop")
    assert [n["summary"] for n in desk.notifications()] == []  # only where the input was
    assert "move prompt left to laptop, in use there" in desk.log.read_text()

    # The laptop's Syncthing stops mid-session; typing goes on there.
    laptop.st.stop()
    laptop.type_for(15)
    laptop.st.start()
    laptop_files = laptop.st.folder / laptop.host_id()
    desk_copy = desk.st.folder / laptop.host_id()
    wait_for(lambda: same_files(laptop_files, desk_copy), timeout=60, what="the catch-up")
    laptop.type_for(5)
    last_input = time.time()
    time.sleep(6)  # the last span's record, written and synced
    wait_for(lambda: same_files(laptop_files, desk_copy), timeout=30, what="the last records")
    desk.stop()
    laptop.stop()

    # One session at the desk, from its first input to the laptop's last.
    (session,) = desk.sessions()
    start, end, cause = session
    assert cause == "shutdown"
    assert start - started < 6
    assert last_input - end < 35  # as far as the laptop's last record reached
    assert len(laptop.notifications()) == 1
    # The day's summary, in each daemon's log: the person's day across both.
    for c in (desk, laptop):
        log = c.log.read_text()
        assert "this computer's files there are kept 60 days" in log
        (summary,) = [line for line in log.splitlines() if ": sat " in line]
        assert summary.endswith(", across 2 computers (desk, laptop)"), summary

    # The merged report: one session across both, each computer's share.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sitbreak",
            "report",
            "--format",
            "json",
            "--config",
            str(desk.config),
        ],
        env=desk.env,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["source"] == "2 computers (desk, laptop)"
    (day,) = doc["days"]
    assert day["sessions"] == 1
    shares = {c["name"]: c for c in doc["computers"]}
    assert 15 < shares["desk"]["input_s"] < 30
    assert 60 < shares["laptop"]["input_s"] < 80
    assert (shares["desk"]["prompts"], shares["laptop"]["prompts"]) == (0, 1)
    assert os.stat(desk_copy).st_mode & 0o077 == 0
