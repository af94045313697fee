"""`sitbreak run` posting to the real ActivityWatch server, read back through its API.

The daemon as the service builds it (Xvfb, a private session bus, the X idle
counter), with `[activitywatch] server` pointing at an aw-server from PyPI
started on 127.0.0.1: a session and a break must appear in the bucket
`sitbreak_HOST`, as events of sitbreak's own type. And with a server that
accepts and never answers, prompts still come on time and the daemon still
stops at once.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
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


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def test_a_hanging_activitywatch_never_delays_a_prompt(hanging_server: str, tmp_path: Path) -> None:
    with desktop(False) as d:
        config = tmp_path / "config.toml"
        config.write_text(FAST_DAEMON_CONFIG + f'[activitywatch]\nserver = "{hanging_server}"\n')
        env = dict(d.env, SITBREAK_HOME=str(tmp_path / "home"))
        env.pop("SITBREAK_CONFIG", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "run", "--config", str(config), "--notify", "log"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[tuple[float, str]] = []

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append((time.monotonic(), line.rstrip()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()

        def seen(text: str, after: int = 0) -> list[float]:
            return [t for t, line in lines[after:] if text in line]

        try:
            wait_for(lambda: seen("sitbreak is watching activity"), 20, "the daemon")
            for i in range(8):  # a first session, then away until it ends
                d.xdotool("mousemove", str(100 + 30 * i), "200")
                time.sleep(1.0)
            wait_for(lambda: seen("ended: idle"), 30, "the first session to end")
            mark = len(lines)  # its post now hangs on the server
            # The loop answers at once: it handed the session over and went on.
            asked = time.monotonic()
            status = subprocess.run(
                [sys.executable, "-m", "sitbreak", "status", "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            answered = time.monotonic() - asked
            for i in range(12):  # sit down again: the posture prompt is due 5 s in
                d.xdotool("mousemove", str(400 - 20 * i), "300")
                time.sleep(1.0)
            wait_for(lambda: seen("prompt (posture", mark), 10, "the second posture prompt")
        finally:
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            stopped = time.monotonic() - began
            reader.join(5)
        log = "\n".join(line for _, line in lines)
        started = seen("session started", mark)[0]
        prompted = seen("prompt (posture", mark)[0]
        assert status.returncode == 0, status.stderr
        assert answered < 2.5, f"status took {answered:.1f} s"  # a blocking post takes 5 s
        assert prompted - started < 5 + 3, log  # posture_after, and a poll's slack
        assert proc.returncode == 0, log
        assert stopped < 10, log  # the poster had 2 s to give up, no more
        assert "could not be posted to ActivityWatch before exit" in log
