"""`sitbreak import activitywatch` against the real ActivityWatch server (aw-server from PyPI).

Heartbeats go to an `aw-watcher-afk_test` bucket through the server's API, as
aw-watcher-afk sends them; then sitbreak imports the same history four ways
(from the running server, from its export file, and from the database files
of its two storages, peewee and sqlite, both written by the real server) and
must find the same sessions every time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from activitywatch_server import (
    MORNING,
    AwServer,
    expected_sessions,
    plan_spans,
    post_heartbeats,
    running_server,
)

pytestmark = pytest.mark.activitywatch

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc).timestamp()
BUCKET = "aw-watcher-afk_test"
SOURCE = "activitywatch:test"


def sitbreak(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = home / "config.toml"
    if not config.exists():
        home.mkdir(parents=True, exist_ok=True)
        config.write_text('[general]\ntimezone = "UTC"\n')
    env = {**os.environ, "SITBREAK_HOME": str(home), "SITBREAK_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "sitbreak", *args],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored_sessions(home: Path) -> list[tuple[float, float]]:
    from sitbreak.storage.store import Store

    with Store.open(home / "data" / "sitbreak.db", recover=False) as store:
        return [(s.start, s.end) for s in store.sessions_between(0, 2e10, SOURCE)]


@pytest.fixture
def aw(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with running_server(request.config.cache, tmp_path / "aw") as server:
        yield server


def test_same_sessions_from_the_server_its_export_and_its_database(
    aw: AwServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_heartbeats(aw, BUCKET, plan_spans(MORNING, T0))
    want = expected_sessions(T0)

    # From the running server, through its REST API.
    via_api = tmp_path / "api"
    run = sitbreak(via_api, "import", "activitywatch", "--server", aw.url)
    assert run.returncode == 0, run.stderr
    assert "aw-watcher-afk_test: read 8 events" in run.stdout
    assert "activitywatch:test: 3 sessions, 2 breaks" in run.stdout
    monkeypatch.setenv("SITBREAK_HOME", str(via_api))
    assert stored_sessions(via_api) == want

    # From the file the server's export endpoint writes.
    export = tmp_path / "aw-buckets-export.json"
    export.write_text(json.dumps(aw.request("GET", "/api/0/export")))
    via_file = tmp_path / "file"
    run = sitbreak(via_file, "import", "activitywatch", str(export))
    assert run.returncode == 0, run.stderr
    assert stored_sessions(via_file) == want

    # From the server's own database file (peewee), opened read-only while it runs.
    db = aw.database_file()
    before = db.stat().st_mtime_ns
    via_db = tmp_path / "db"
    run = sitbreak(via_db, "import", "activitywatch", str(db))
    assert run.returncode == 0, run.stderr
    assert stored_sessions(via_db) == want
    assert db.stat().st_mtime_ns == before

    # The report reads it like any source.
    run = sitbreak(via_api, "report", "2026-11-30", "--source", SOURCE, "--format", "json")
    assert run.returncode == 0, run.stderr
    day = json.loads(run.stdout)["days"][0]
    assert day["sessions"] == 3
    assert day["sitting_s"] == pytest.approx(150 * 60)


_WRITE_SQLITE = """
import json, sys
import iso8601
from aw_core.models import Event
from aw_datastore.storages.sqlite import SqliteStorage

path, events = sys.argv[1], json.load(sys.stdin)
storage = SqliteStorage(testing=False, filepath=path, enable_lazy_commit=False)
storage.create_bucket("aw-watcher-afk_test", "afkstatus", "aw-watcher-afk", "test",
                      created=iso8601.parse_date(events[0]["timestamp"]))
storage.insert_many("aw-watcher-afk_test", [Event(**e) for e in events])
storage.commit()
"""


def test_the_sqlite_storage_layout_too(
    aw: AwServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aw-server's other storage keeps times as integer microseconds: same sessions.

    aw-server 0.12 cannot serve with that storage (it shares one SQLite
    connection between Flask's threads and every write fails), so the file is
    written by the package's own `SqliteStorage`, with the events the server
    made from the heartbeats.
    """
    post_heartbeats(aw, BUCKET, plan_spans(MORNING, T0))
    events = aw.request("GET", f"/api/0/buckets/{BUCKET}/events?limit=-1")
    for e in events:
        del e["id"]
    db = tmp_path / "sqlite.v1.db"
    subprocess.run(
        [str(aw.python), "-c", _WRITE_SQLITE, str(db)],
        input=json.dumps(events),
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")},
    )
    home = tmp_path / "home"
    run = sitbreak(home, "import", "activitywatch", str(db))
    assert run.returncode == 0, run.stderr
    assert "read 8 events" in run.stdout
    monkeypatch.setenv("SITBREAK_HOME", str(home))
    assert stored_sessions(home) == expected_sessions(T0)


def test_new_heartbeats_are_imported_incrementally_and_twice_changes_nothing(
    aw: AwServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans = plan_spans(MORNING, T0)
    post_heartbeats(aw, BUCKET, spans[:3])  # up to 09:55, still in the 20-minute pause
    home = tmp_path / "home"
    monkeypatch.setenv("SITBREAK_HOME", str(home))
    assert sitbreak(home, "import", "activitywatch", "--server", aw.url).returncode == 0
    first = stored_sessions(home)
    assert first == [(T0, T0 + 95 * 60)]

    again = sitbreak(home, "import", "activitywatch", "--server", aw.url)
    assert "nothing new since the last import, nothing changed" in again.stdout
    assert stored_sessions(home) == first

    post_heartbeats(aw, BUCKET, spans[3:])
    run = sitbreak(home, "import", "activitywatch", "--server", aw.url)
    assert run.returncode == 0, run.stderr
    # Only the last session on was asked for again, and new events are named.
    assert "new event" in run.stdout
    assert stored_sessions(home) == expected_sessions(T0)


def test_the_servers_import_accepts_sitbreaks_export(
    aw: AwServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What sitbreak stored goes into ActivityWatch through its own import endpoint."""
    post_heartbeats(aw, BUCKET, plan_spans(MORNING, T0))
    home = tmp_path / "home"
    assert sitbreak(home, "import", "activitywatch", "--server", aw.url).returncode == 0
    out = tmp_path / "sitbreak-aw.json"
    run = sitbreak(
        home, "export", "activitywatch", "-o", str(out), "--source", SOURCE, "--host", "desk"
    )
    assert run.returncode == 0, run.stderr
    assert "3 sessions and 2 breaks as bucket sitbreak_desk" in run.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    aw.request("POST", "/api/0/import", json.loads(out.read_text()))
    meta = aw.request("GET", "/api/0/buckets/sitbreak_desk")
    assert (meta["type"], meta["client"], meta["hostname"]) == (
        "sitbreak.sitting",
        "sitbreak",
        "desk",
    )
    events = aw.request("GET", "/api/0/buckets/sitbreak_desk/events?limit=-1")
    got = sorted(
        (e["data"]["status"], round(aw_time(e["timestamp"]), 3), round(e["duration"], 3))
        for e in events
    )
    want = sorted(
        [("sitting", s, e - s) for s, e in expected_sessions(T0)]
        + [("break", T0 + 95 * 60, 20 * 60.0), ("break", T0 + 145 * 60, 12 * 60.0)]
    )
    assert got == want


def aw_time(text: str) -> float:
    from sitbreak.storage.activitywatch import parse_timestamp

    return parse_timestamp(text, "server")


def doctor_check(home: Path, server: str) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'[activitywatch]\nserver = "{server}"\n')
    run = sitbreak(home, "doctor", "--json")
    (check,) = [c for c in json.loads(run.stdout)["checks"] if c["area"] == "activitywatch"]
    return check


def test_doctor_says_whether_the_server_answers(aw: AwServer, tmp_path: Path) -> None:
    check = doctor_check(tmp_path / "up", aw.url)
    assert check["status"] == "ok", check
    assert check["detail"].startswith("ActivityWatch v0.12")  # what /api/0/info says
    assert f" at {aw.url}; sessions go to sitbreak_" in check["detail"]
    aw.stop()
    check = doctor_check(tmp_path / "down", aw.url)
    assert check["status"] == "warn", check
    assert "cannot reach the ActivityWatch server" in check["detail"]
    assert "start ActivityWatch" in check["fix"]
