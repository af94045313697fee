"""The real ActivityWatch server (`aw-server` from PyPI), started by tests on 127.0.0.1.

aw-server pins old releases of its own dependencies (aw-core pins
platformdirs==3.10, Flask < 3, Werkzeug < 3): installed into sitbreak's test
venv it would hold sitbreak's own dependencies back, so the tests would not
test what people install. It goes instead into a venv of its own, made once
under pytest's cache (`.pytest_cache/d/aw-server-venv`) and reused; every
package installs from a wheel except strict-rfc3339, a pure-Python sdist
that needs no compiler. Under CI=true a failed install fails the tests that
need the server; elsewhere they skip.

Each `AwServer` runs in its own temporary XDG data/config/cache directories
on a free port, in its own process group, and is stopped (the whole group)
when the test ends: no process is left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitbreak.storage.activitywatch import format_timestamp

IN_CI = os.environ.get("CI") == "true"

#: What the tests run against, pinned: a new release must not change the tests by itself.
#: peewee 4 returns datetimes where aw-server 0.12 expects strings (every bucket
#: listing fails with a 500), so the last peewee 3, as ActivityWatch ships it.
PACKAGES = ("aw-server==0.12.0", "aw-core==0.5.18", "aw-client==0.5.15", "peewee==3.19.0")
_READY_TIMEOUT_S = 60.0


def _fail_or_skip(message: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def ensure_venv(cache: pytest.Cache) -> Path:
    """The venv with aw-server, made on first use; its python."""
    root = Path(cache.mkdir("aw-server-venv"))
    python = root / "bin" / "python"
    stamp = root / "installed.txt"
    want = "\n".join(PACKAGES)
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(root)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PACKAGES],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        out = getattr(exc, "stderr", b"") or b""
        _fail_or_skip(
            f"cannot install {' '.join(PACKAGES)} into {root}: {exc} "
            f"{out.decode(errors='replace')[-2000:]}"
        )
    stamp.write_text(want)
    (root / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AwServer:
    """One aw-server process; `url` is its address, `data_dir` its XDG data home."""

    def __init__(self, python: Path, base: Path, storage: str = "peewee") -> None:
        self.python = python
        self.base = base
        self.storage = storage
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = base / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = base / "aw-server.log"

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "AW_"))}
        env.update(
            XDG_DATA_HOME=str(self.data_dir),
            XDG_CONFIG_HOME=str(self.base / "config"),
            XDG_CACHE_HOME=str(self.base / "cache"),
            XDG_STATE_HOME=str(self.base / "state"),
            HOME=str(self.base),
        )
        cmd = [
            str(self.python),
            "-m",
            "aw_server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage",
            self.storage,
        ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"aw-server exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}"
                )
            with contextlib.suppress(OSError, ValueError):
                self.request("GET", "/api/0/info", timeout=1.0)
                return
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"aw-server did not answer in {_READY_TIMEOUT_S:g} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def request(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def database_file(self) -> Path:
        """The SQLite file this server writes (peewee or sqlite storage)."""
        prefix = "peewee-sqlite" if self.storage == "peewee" else "sqlite"
        found = sorted(self.data_dir.rglob(f"{prefix}*.db"))
        assert found, f"no {prefix}*.db under {self.data_dir}"
        return found[0]


@contextlib.contextmanager
def running_server(cache: pytest.Cache, base: Path, storage: str = "peewee") -> Iterator[AwServer]:
    python = ensure_venv(cache)
    server = AwServer(python, base, storage)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------- a working day

#: A morning as aw-watcher-afk records it: (status, minutes). The 5-minute
#: "afk" is a pause inside a session by sitbreak's rules (break after 8.5 min
#: idle) though ActivityWatch calls it away; the 20 and 12 are breaks.
MORNING: tuple[tuple[str, float], ...] = (
    ("not-afk", 50),
    ("afk", 5),
    ("not-afk", 40),
    ("afk", 20),
    ("not-afk", 30),
    ("afk", 12),
    ("not-afk", 25),
    ("afk", 60),
)


def plan_spans(plan: tuple[tuple[str, float], ...], t0: float) -> list[tuple[str, float, float]]:
    out, t = [], t0
    for status, minutes in plan:
        out.append((status, t, t + minutes * 60))
        t += minutes * 60
    return out


def expected_sessions(t0: float) -> list[tuple[float, float]]:
    """The sessions sitbreak's default rules find in MORNING from t0."""
    m = 60.0
    return [(t0, t0 + 95 * m), (t0 + 115 * m, t0 + 145 * m), (t0 + 157 * m, t0 + 182 * m)]


def post_heartbeats(
    server: AwServer, bucket: str, spans: list[tuple[str, float, float]], every: float = 30.0
) -> int:
    """Heartbeats as aw-watcher-afk sends them, through the server's API; how many."""

    try:
        server.request(
            "POST",
            f"/api/0/buckets/{bucket}",
            {"client": "aw-watcher-afk", "type": "afkstatus", "hostname": bucket.split("_", 1)[1]},
        )
    except urllib.error.HTTPError as exc:
        if exc.code != 304:  # 304: the bucket is there already
            raise
    n = 0
    for status, s, e in spans:
        t = s
        while True:
            server.request(
                "POST",
                f"/api/0/buckets/{bucket}/heartbeat?pulsetime={every + 1:g}",
                {"timestamp": format_timestamp(t), "duration": 0, "data": {"status": status}},
            )
            n += 1
            if t >= e:
                break
            t = min(e, t + every)
    return n


# ---------------------------------------------------------------- a year

FIRST_DAY = dt.date(2025, 12, 1)
DAYS = 365


def afk_year(first: dt.date = FIRST_DAY, days: int = DAYS, seed: int = 19) -> list[dict[str, Any]]:
    """A year of aw-watcher-afk events, in the order the server exports them (newest first)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []

    def add(status: str, start: float, end: float) -> None:
        events.append(
            {
                "timestamp": format_timestamp(start),
                "duration": round(end - start, 3),
                "data": {"status": status},
            }
        )

    for i in range(days):
        day = first + dt.timedelta(days=i)
        weekend = day.weekday() >= 5
        if weekend and rng.random() < 0.6:
            continue
        t = dt.datetime.combine(day, dt.time(8, 0), dt.timezone.utc).timestamp() + rng.uniform(
            0, 5400
        )
        end_of_day = t + (rng.uniform(1, 3) if weekend else rng.uniform(8, 10)) * 3600
        while t < end_of_day:
            work = rng.choice((rng.uniform(2, 12), rng.uniform(10, 50))) * 60
            add("not-afk", t, t + work)
            t += work
            away = rng.choice((rng.uniform(3, 8), rng.uniform(3, 8), rng.uniform(9, 25))) * 60
            add("afk", t, t + away)
            t += away
        # The night: afk until the next morning (one long event, as the watcher writes).
        add("afk", t, t + 12 * 3600)
    for e in rng.sample(events, len(events) // 200):  # exact duplicates
        events.append(dict(e))
    for e in rng.sample(events, len(events) // 200):  # overlapping re-sends
        if e["data"]["status"] == "not-afk" and e["duration"] > 120:
            events.append({**e, "duration": round(e["duration"] / 2, 3)})
    events.sort(key=lambda e: e["timestamp"], reverse=True)
    return events


# ------------------------------------------------------ a stand-in server


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that answers with `answer` and logs nothing."""

    def answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def local_http(
    handler: type[http.server.BaseHTTPRequestHandler], release: threading.Event
) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (a free port) in a thread; yields its address.

    `release` is set before it stops, for handlers that were told to hang.
    """
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
