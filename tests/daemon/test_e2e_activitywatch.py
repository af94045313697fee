"""`sitbreak run` posting to the real ActivityWatch server, read back through its API.

The daemon as the service builds it (Xvfb, a private session bus, the X idle
counter), with `[activitywatch] server` pointing at an aw-server from PyPI
started on 127.0.0.1: a session and a break must appear in the bucket
`sitbreak_HOST`, as events of sitbreak's own type.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from activitywatch_server import running_server
from desktop import FAST_DAEMON_CONFIG, desktop, wait_for

pytestmark = [pytest.mark.desktop, pytest.mark.activitywatch]


def test_the_daemon_posts_sessions_and_breaks_to_activitywatch(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with running_server(request.config.cache, tmp_path / "aw") as aw, desktop(False) as d:
        config = tmp_path / "config.toml"
        config.write_text(FAST_DAEMON_CONFIG + f'[activitywatch]\nserver = "{aw.url}"\n')
        env = dict(d.env, SITBREAK_HOME=str(tmp_path / "home"))
        env.pop("SITBREAK_CONFIG", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "run", "--config", str(config)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        bucket = f"sitbreak_{socket.gethostname()}"
        try:
            wait_for((tmp_path / "home" / "run" / "control.sock").exists, 20, "daemon")
            # Work for a while (the X idle counter is read every few seconds), leave
            # for longer than break_idle (6 s), come back.
            for i in range(12):
                d.xdotool("mousemove", str(100 + 30 * i), "200")
                time.sleep(1.0)

            def posted() -> list[dict]:
                try:
                    return list(aw.request("GET", f"/api/0/buckets/{bucket}/events"))
                except OSError:
                    return []

            wait_for(lambda: len(posted()) >= 1, 30, "the session in ActivityWatch")
            d.xdotool("mousemove", "400", "300")
            wait_for(lambda: len(posted()) >= 2, 30, "the break in ActivityWatch")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, log = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, log = proc.communicate()
            print(log)
        assert proc.returncode == 0, log
        meta = aw.request("GET", f"/api/0/buckets/{bucket}")
        assert (meta["type"], meta["client"]) == ("sitbreak.sitting", "sitbreak")
        events = sorted(
            aw.request("GET", f"/api/0/buckets/{bucket}/events"), key=lambda e: e["timestamp"]
        )
        kinds = [e["data"]["status"] for e in events]
        assert kinds[:2] == ["sitting", "break"], events
        sitting, pause = events[0], events[1]
        assert 5 < sitting["duration"] < 20, sitting
        assert pause["duration"] >= 6, pause  # at least break_idle
        assert "posting sessions and breaks to ActivityWatch" in log
