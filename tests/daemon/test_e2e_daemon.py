"""`sitbreak run` for real: Xvfb, a private session bus, dunst, xdotool.

No mocks between sitbreak and the desktop: the daemon is a subprocess that
reads the X server's idle counter, shows prompts through the notification
server, and writes its database and summaries, with thresholds of seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import FAST_DAEMON_CONFIG, Desktop, desktop, wait_for
from sitbreak.daemon.loop import POLL_S

SECRET = "correct horse battery staple"

CONFIG = FAST_DAEMON_CONFIG

pytestmark = pytest.mark.desktop


@pytest.fixture
def running(
    tmp_path: Path,
) -> Iterator[tuple[Desktop, subprocess.Popen[str], Path, dict[str, str]]]:
    home = tmp_path / "home"
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    with desktop() as d:
        env = dict(d.env, SITBREAK_HOME=str(home))
        env.pop("SITBREAK_CONFIG", None)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sitbreak",
                "run",
                "--config",
                str(config),
                "--log-level",
                "DEBUG",
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(
                lambda: (home / "run" / "control.sock").exists() or proc.poll() is not None,
                what="the daemon's control socket",
            )
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            yield d, proc, home, env
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def history(d: Desktop) -> list[dict]:
    d.dunstctl("close-all")  # closed notifications move to the history
    return [
        {k: v["data"] for k, v in n.items()} for n in json.loads(d.dunstctl("history"))["data"][0]
    ]


def test_a_day_at_a_real_desk_without_mocks(running: tuple) -> None:
    d, proc, home, env = running
    # Sit and work: mouse moves and typing, with a secret phrase among it.
    first_input = time.time()
    for i in range(6):
        d.xdotool("mousemove", str(100 + 40 * i), str(200 + 17 * i))
        time.sleep(1)
    d.xdotool("type", "--delay", "60", SECRET)
    for i in range(6):
        time.sleep(1)
        before_last_input = time.time()
        d.xdotool("mousemove", str(400 - 30 * i), str(300 + 11 * i))
    last_input = time.time()
    status = subprocess.run(
        [sys.executable, "-m", "sitbreak", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(status.stdout)["state"] == "sitting"

    # One daemon per user: a second one says so and leaves the first alone.
    second = subprocess.run(
        [sys.executable, "-m", "sitbreak", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode == 4
    assert "already running" in second.stderr
    assert proc.poll() is None

    # A movement prompt arrived in the notification server, replaced in place.
    wait_for(lambda: int(d.dunstctl("count", "displayed")) >= 1, what="a notification on screen")
    assert int(d.dunstctl("count", "displayed")) == 1
    shown = history(d)
    assert any("seated" in n["summary"] and n["appname"] == "sitbreak" for n in shown)

    # Stop: after break_idle the session ends; SIGTERM then exits cleanly.
    time.sleep(8)
    proc.send_signal(signal.SIGTERM)
    _, log = proc.communicate(timeout=15)
    assert proc.returncode == 0, log
    assert "ended: idle" in log
    gone = subprocess.run(
        [sys.executable, "-m", "sitbreak", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert gone.returncode == 2
    assert "the monitor is not running" in gone.stderr

    db = home / "data" / "sitbreak.db"
    with sqlite3.connect(db) as conn:
        sessions = conn.execute('SELECT start, "end", cause, open FROM sessions').fetchall()
        prompts = conn.execute("SELECT kind FROM prompts").fetchall()
    assert len(sessions) == 1
    start, end, cause, is_open = sessions[0]
    assert (cause, is_open) == ("idle", 0)
    # The daemon looks at the X idle counter every POLL_S seconds and takes the
    # newest input it shows: the session ends at the very last input, and
    # starts at the newest input of the first look that saw any (a look or
    # two after the first input on a busy machine, never before it).
    assert before_last_input - 0.5 <= end <= last_input + 0.5
    assert first_input - 0.5 <= start <= first_input + 2 * POLL_S
    assert ("move",) in prompts
    (day,) = [
        json.loads(line) for line in (home / "data" / "summaries.jsonl").read_text().splitlines()
    ]
    assert day["sessions"] == 1
    assert day["sitting_s"] == pytest.approx(end - start, abs=0.5)

    # Privacy: nothing sitbreak wrote holds the typed text or which keys.
    written = [p for p in home.rglob("*") if p.is_file()]
    assert db in written
    blobs = [p.read_bytes() for p in written] + [log.encode()]
    for blob in blobs:
        text = blob.decode("latin-1").lower()
        assert SECRET not in text
        for word in SECRET.split():
            assert word not in text
        assert "keysym" not in text
        assert "keycode" not in text
    for p in written:
        assert p.stat().st_mode & 0o077 == 0, f"{p} is readable by others"
    assert os.stat(home / "data").st_mode & 0o077 == 0
