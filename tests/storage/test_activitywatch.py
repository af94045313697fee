"""Importing ActivityWatch's AFK history: files, database layouts, bad input, incremental runs.

The real server's own tests are in test_activitywatch_server.py; these run
`sitbreak import activitywatch` in-process on files written here, so every
kind of bad input can be tried.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from activitywatch_server import (
    MORNING,
    QuietHandler,
    afk_year,
    expected_sessions,
    local_http,
    plan_spans,
)
from sitbreak import cli
from sitbreak.storage import activitywatch as aw
from sitbreak.storage.store import Store, default_db_path

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc).timestamp()
SOURCE = "activitywatch:desk"
BUCKET = "aw-watcher-afk_desk"


@pytest.fixture(autouse=True)
def utc_config(sitbreak_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = sitbreak_home / "config.toml"
    config.write_text('[general]\ntimezone = "UTC"\n')
    monkeypatch.setenv("SITBREAK_CONFIG", str(config))
    return config


def event(status: str, start: float, end: float) -> dict[str, object]:
    return {
        "timestamp": aw.format_timestamp(start),
        "duration": end - start,
        "data": {"status": status},
    }


def export_doc(events: list[dict[str, object]], bucket: str = BUCKET) -> dict[str, object]:
    return {
        "buckets": {
            bucket: {
                "id": bucket,
                "type": "afkstatus",
                "client": "aw-watcher-afk",
                "hostname": bucket.split("_", 1)[1],
                "created": aw.format_timestamp(T0),
                "events": events,
            },
            "aw-watcher-window_desk": {
                "id": "aw-watcher-window_desk",
                "type": "currentwindow",
                "events": [{"nothing": "of ours"}],
            },
        }
    }


def morning_events(t0: float = T0) -> list[dict[str, object]]:
    return [event(st, s, e) for st, s, e in plan_spans(MORNING, t0)]


def write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", "activitywatch", *args])
    out, err = capsys.readouterr()
    return code, out, err


def sessions(source: str = SOURCE) -> list[tuple[float, float]]:
    with Store.open(recover=False) as store:
        return [(s.start, s.end) for s in store.sessions_between(0, 2e10, source)]


def learned() -> dict[str, object]:
    """What the import's engine had learned of pauses when the last session began."""
    with Store.open(recover=False) as store:
        state = store.learned("pauses:" + SOURCE)
    assert state is not None
    return state


def dump() -> list[tuple[object, ...]]:
    """Every row sitbreak stored, but the write times: what must not change."""
    conn = sqlite3.connect(default_db_path())
    rows: list[tuple[object, ...]] = []
    for table, cols in (
        ("sessions", 'start, "end", cause, noticed, source'),
        ("breaks", 'start, "end", cause, noticed, source'),
        ("prompts", "t, kind, level, seated_s, source"),
        ("days", "date, source, tz, figures"),
        ("import_marks", "bucket, source, high_water"),
    ):
        rows += [(table, *r) for r in conn.execute(f"SELECT {cols} FROM {table} ORDER BY 1, 2")]
    conn.close()
    return rows


# ------------------------------------------------------------------- reading


def test_timestamps_as_activitywatch_writes_them() -> None:
    want = dt.datetime(2026, 11, 30, 8, 0, 1, 500000, tzinfo=dt.timezone.utc).timestamp()
    for text in (
        "2026-11-30T08:00:01.500000+00:00",
        "2026-11-30T08:00:01.5Z",
        "2026-11-30T08:00:01.500000000Z",  # aw-server-rust: nanoseconds
        "2026-11-30 08:00:01.500000+00:00",  # peewee's column
        "2026-11-30T09:00:01.500+01:00",
        "2026-11-30T08:00:01.500",  # no zone: UTC, as ActivityWatch stores it
    ):
        assert aw.parse_timestamp(text, "here") == pytest.approx(want), text


def test_sitbreaks_rules_decide_not_the_3_minute_afk_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(write(tmp_path / "export.json", export_doc(morning_events()))))
    assert code == 0
    # The 5-minute "afk" stays inside the first session; 20 and 12 minutes are breaks.
    assert sessions() == expected_sessions(T0)
    assert "aw-watcher-afk_desk: read 8 events; 8 new events since the last import" in out
    assert "activitywatch:desk: 3 sessions, 2 breaks" in out
    assert "2 h 30 sitting from 2026-11-30 to 2026-11-30" in out


def test_exact_duplicates_dropped_and_overlaps_merged_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = morning_events()
    events += [events[0], events[2]]  # exact duplicates, as real exports have
    # A not-afk event overlapping the first one's end: merged into it.
    events.append(event("not-afk", T0 + 45 * 60, T0 + 52 * 60))
    code, out, _ = run(capsys, str(write(tmp_path / "export.json", export_doc(events))))
    assert code == 0
    assert "read 11 events (2 exact duplicates dropped, 1 overlapping event merged)" in out
    assert sessions() == expected_sessions(T0)


def test_normalise_joins_touching_spans_without_counting_them() -> None:
    evs = [
        aw.AfkEvent(0, 10, "not-afk"),
        aw.AfkEvent(10, 10, "not-afk"),  # touches: the watcher writes these
        aw.AfkEvent(15, 10, "not-afk"),  # overlaps
        aw.AfkEvent(15, 10, "not-afk"),  # exact duplicate
        aw.AfkEvent(25, 100, "afk"),
        aw.AfkEvent(125, 0, "not-afk"),
    ]
    n = aw.normalise(evs)
    assert n.spans == [(0, 25), (125, 125)]
    assert (n.events, n.duplicates, n.merged, n.high_water) == (6, 1, 1, 125)


def test_activity_every_5_seconds_and_at_the_end_of_a_span() -> None:
    ts = [a.t for a in aw.activity_events([(0, 12), (100, 100)])]
    assert ts == [0, 5, 10, 12, 100]


# ------------------------------------------------- idempotent and incremental


def test_twice_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "export.json", export_doc(morning_events()))
    assert run(capsys, str(path))[0] == 0
    before = dump()
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert "nothing new since the last import, nothing changed" in out
    assert dump() == before


def test_incremental_import_equals_one_import_of_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = morning_events() + morning_events(T0 + 86400)
    # The first export ends in the middle of the second day's first session.
    cut = T0 + 86400 + 30 * 60
    early = [e for e in everything if aw.parse_timestamp(e["timestamp"], "") < cut]
    early[-1] = event("not-afk", aw.parse_timestamp(early[-1]["timestamp"], ""), cut)
    assert run(capsys, str(write(tmp_path / "early.json", export_doc(early))))[0] == 0
    assert sessions()[-1] == (T0 + 86400, cut)
    code, out, _ = run(capsys, str(write(tmp_path / "all.json", export_doc(everything))))
    assert code == 0
    assert "8 new events since the last import" in out  # the day's 8, its first one grown
    incremental = dump()

    model = learned()

    monkeypatch.setenv("SITBREAK_HOME", str(tmp_path / "fresh"))
    assert run(capsys, str(tmp_path / "all.json"))[0] == 0
    assert dump() == incremental
    # The pause model went on from where the first import left it: the same,
    # but for the last bits of floats saved and read back between the two.
    once = learned()
    assert once.keys() == model.keys()
    for key, value in once.items():
        assert model[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, list) else value)
    assert sessions() == expected_sessions(T0) + expected_sessions(T0 + 86400)


def test_full_replays_everything_by_the_rules_now_in_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], utc_config: Path
) -> None:
    path = write(tmp_path / "export.json", export_doc(morning_events()))
    assert run(capsys, str(path))[0] == 0
    assert len(sessions()) == 3
    # Breaks from 4 minutes on: the 5-minute pause now splits the first session.
    utc_config.write_text('[general]\ntimezone = "UTC"\n[session]\nbreak_idle = "4m"\n')
    code, out, _ = run(capsys, str(path))
    assert "nothing new" in out and len(sessions()) == 3  # incremental: settled stays
    code, out, _ = run(capsys, str(path), "--full")
    assert code == 0
    assert sessions()[:2] == [(T0, T0 + 50 * 60), (T0 + 55 * 60, T0 + 95 * 60)]
    assert len(sessions()) == 4
    with Store.open(recover=False) as store:
        (day,) = store.saved_days(SOURCE)
    assert (day["sessions"], day["breaks"]) == (4, 3)


def test_report_on_the_imported_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, str(write(tmp_path / "e.json", export_doc(morning_events()))))[0] == 0
    assert cli.main(["report", "2026-11-30", "--source", SOURCE, "--format", "json"]) == 0
    day = json.loads(capsys.readouterr().out)["days"][0]
    assert (day["sessions"], day["breaks"], day["sitting_s"]) == (3, 2, 150 * 60)


# ------------------------------------------------------------ database files


def write_rust_db(path: Path, events: list[dict[str, object]], version: int = 6) -> Path:
    """A database in aw-server-rust's layout (schema v6), written by its documented schema.

    Not made by aw-server-rust itself (it is not on PyPI): the tables, columns
    and units are those of its datastore (aw-datastore/src/datastore.rs,
    migrations v1 to v6): buckets(id, name, type, client, hostname, created,
    data), events(id, bucketrow, starttime, endtime, data) with integer
    nanoseconds, version in PRAGMA user_version.
    """
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE buckets (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL,
            type TEXT NOT NULL, client TEXT NOT NULL, hostname TEXT NOT NULL,
            created TEXT NOT NULL, data_deprecated TEXT DEFAULT '{}',
            data TEXT NOT NULL DEFAULT '{}');
        CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, bucketrow INTEGER NOT NULL,
            starttime INTEGER NOT NULL, endtime INTEGER NOT NULL, data TEXT NOT NULL,
            FOREIGN KEY (bucketrow) REFERENCES buckets(id));
        CREATE INDEX events_bucketrow_starttime_endtime_index
            ON events(bucketrow, starttime DESC, endtime);
        CREATE TABLE key_value (key TEXT PRIMARY KEY, value TEXT, last_modified NUMBER NOT NULL);
        """
    )
    conn.execute(
        "INSERT INTO buckets (name, type, client, hostname, created) VALUES (?, ?, ?, ?, ?)",
        (BUCKET, "afkstatus", "aw-watcher-afk", "desk", "2026-11-30T08:00:00Z"),
    )
    conn.execute(
        "INSERT INTO buckets (name, type, client, hostname, created) VALUES (?, ?, ?, ?, ?)",
        ("aw-watcher-window_desk", "currentwindow", "aw-watcher-window", "desk", "x"),
    )
    for e in events:
        start = round(aw.parse_timestamp(e["timestamp"], "") * 1e9)
        end = start + round(float(e["duration"]) * 1e9)  # type: ignore[arg-type]
        conn.execute(
            "INSERT INTO events (bucketrow, starttime, endtime, data) VALUES (1, ?, ?, ?)",
            (start, end, json.dumps(e["data"])),
        )
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return path


def test_rust_database_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_rust_db(tmp_path / "sqlite.db", morning_events())
    code, out, _ = run(capsys, str(db))
    assert code == 0, out
    assert sessions() == expected_sessions(T0)
    # Read-only: the file is as it was, and no journal was left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sqlite.db"]


# ------------------------------------------------------------------ bad input


def assert_rejected(capsys: pytest.CaptureFixture[str], args: list[str], *needles: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    assert not default_db_path().exists() or sessions() == []


@pytest.mark.parametrize(
    ("mangle", "needles"),
    [
        (
            lambda evs: evs.__setitem__(3, {**evs[3], "duration": -60}),
            ["bucket 'aw-watcher-afk_desk', event 4 at 2026-11-30T09:35", "zero or more", "-60"],
        ),
        (
            lambda evs: evs.__setitem__(2, {**evs[2], "data": {"status": "away"}}),
            ["event 3 at", 'data.status should be "afk" or "not-afk", found "away"'],
        ),
        (
            lambda evs: evs.__setitem__(1, {**evs[1], "timestamp": "yesterday"}),
            ["event 2", "'yesterday' is not an ISO 8601 time"],
        ),
        (
            lambda evs: evs.__setitem__(1, {**evs[1], "duration": "5m"}),
            ["event 2", 'duration should be a number of seconds, found "5m"'],
        ),
    ],
)
def test_a_bad_event_is_named_and_nothing_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mangle, needles
) -> None:  # type: ignore[no-untyped-def]
    doc = export_doc(morning_events())
    good = export_doc(morning_events(), bucket="aw-watcher-afk_other")["buckets"]
    doc["buckets"].update(good)  # type: ignore[attr-defined]
    mangle(doc["buckets"][BUCKET]["events"])  # type: ignore[index]
    path = write(tmp_path / "export.json", doc)
    assert_rejected(capsys, [str(path)], f"{path}: ", *needles)
    # The good bucket beside it was not imported either.
    assert not default_db_path().exists() or sessions("activitywatch:other") == []


def test_malformed_json_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"buckets": {\n  "aw-watcher-afk_desk": {,\n}}')
    assert_rejected(capsys, [str(path)], f"{path}: line 2, column 27: not valid JSON")


def test_not_an_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "list.json", [1, 2])
    assert_rejected(capsys, [str(path)], 'expected an ActivityWatch export, an object {"buckets"')


def test_no_afk_bucket(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "e.json", {"buckets": {}})
    assert_rejected(capsys, [str(path)], "no AFK buckets", "is aw-watcher-afk running?")


def test_a_newer_database_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = write_rust_db(tmp_path / "sqlite.db", morning_events(), version=7)
    assert_rejected(
        capsys, [str(db)], f"{db}: aw-server-rust database schema version 7 is newer", "up to 6"
    )


def test_a_newer_python_server_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "peewee-sqlite.v3.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE bucketmodel (key INTEGER); CREATE TABLE eventmodel (id INT);")
    conn.close()
    assert_rejected(capsys, [str(db)], "aw-server peewee database schema v3 is newer")


def test_not_an_activitywatch_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "other.db"
    sqlite3.connect(db).executescript("CREATE TABLE songs (title TEXT);")
    assert_rejected(capsys, [str(db)], "not an ActivityWatch database", "found songs")


def test_a_store_failure_midway_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = export_doc(morning_events())
    doc["buckets"].update(export_doc(morning_events(), "aw-watcher-afk_other")["buckets"])  # type: ignore[attr-defined]
    path = write(tmp_path / "export.json", doc)
    calls = []

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return original(self, *args, **kwargs)

    original = Store.figures_between
    monkeypatch.setattr(Store, "figures_between", failing)
    assert_rejected(capsys, [str(path)], "cannot store the import: disk I/O error")
    monkeypatch.setattr(Store, "figures_between", original)
    assert sessions() == [] and sessions("activitywatch:other") == []
    assert [r for r in dump() if r[0] == "import_marks"] == []


# ------------------------------------------------------------- server faults


@pytest.fixture
def fake_server() -> Iterator[tuple[str, dict[str, object]]]:
    """A local HTTP server whose answers a test sets: status, body, or hang."""
    behaviour: dict[str, object] = {
        "status": 500,
        "body": b'{"message": "boom"}',
        "hang": 0.0,
        "paths": [],
    }
    release = threading.Event()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            behaviour["paths"].append(self.path)  # type: ignore[attr-defined]
            if behaviour["hang"]:
                release.wait(float(behaviour["hang"]))  # type: ignore[arg-type]
                return
            body = behaviour["body"]
            if isinstance(body, list):  # one answer per request, in order
                body = body.pop(0)
            assert isinstance(body, bytes)
            self.answer(int(behaviour["status"]), body)  # type: ignore[call-overload]

    with local_http(Handler, release) as url:
        yield url, behaviour


def test_a_server_error_is_reported(
    fake_server: tuple[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = fake_server
    assert_rejected(
        capsys,
        ["--server", url],
        f"GET {url}/api/0/buckets/: the server answered 500",
        "boom",
    )


def test_a_hanging_server_is_given_up_on(
    fake_server: tuple[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, behaviour = fake_server
    behaviour["hang"] = 30.0
    began = time.monotonic()
    assert_rejected(capsys, ["--server", url, "--timeout", "1"], "no answer within 1 s")
    assert time.monotonic() - began < 10


def test_no_server_there(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert_rejected(
        capsys, ["--server", f"http://127.0.0.1:{port}"], "cannot reach the ActivityWatch server"
    )


def test_a_bad_event_from_the_server_is_named(
    fake_server: tuple[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, behaviour = fake_server
    behaviour["status"] = 200
    behaviour["body"] = [
        json.dumps({BUCKET: {"id": BUCKET, "type": "afkstatus", "hostname": "desk"}}).encode(),
        json.dumps([event("not-afk", T0, T0 + 60), {"timestamp": "x"}]).encode(),
    ]
    assert_rejected(
        capsys,
        ["--server", url],
        f"GET {url}/api/0/buckets/aw-watcher-afk_desk/events: bucket "
        "'aw-watcher-afk_desk', event 2 at x: timestamp 'x' is not an ISO 8601 time",
    )


def test_a_year_of_history_imports_in_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A year at the AFK watcher's density (benchmarks/bench_activitywatch.py measures it)."""
    events = afk_year()
    path = write(tmp_path / "year.json", export_doc(events, bucket="aw-watcher-afk_desk"))
    began = time.monotonic()
    code, out, _ = run(capsys, str(path))
    took = time.monotonic() - began
    assert code == 0
    assert "exact duplicates dropped" in out and "overlapping events merged" in out
    with Store.open(recover=False) as store:
        days = store.saved_days(SOURCE)
        n, breaks, _prompts, sitting, first, last = store.source_totals(SOURCE)
    # Most days hold sitting, each a few sessions; the whole year is there.
    assert 250 < len(days) <= 365
    assert n > 4 * len(days) and breaks > 3 * len(days)
    assert 5 * 3600 < sitting / len(days) < 11 * 3600
    assert first is not None and last is not None and last - first > 360 * 86400
    assert took < 60, f"a year took {took:.1f} s to import"


def test_the_server_is_asked_only_for_what_may_be_new(
    fake_server: tuple[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, behaviour = fake_server
    listing = json.dumps({BUCKET: {"id": BUCKET, "type": "afkstatus", "hostname": "desk"}})
    morning = json.dumps(morning_events()).encode()
    behaviour["status"] = 200
    behaviour["body"] = [listing.encode(), morning, listing.encode(), morning]
    assert run(capsys, "--server", url)[0] == 0
    code, out, _ = run(capsys, "--server", url)
    assert code == 0
    assert "nothing new since the last import, nothing changed" in out
    first, second = behaviour["paths"][1], behaviour["paths"][3]  # type: ignore[index]
    assert first == f"/api/0/buckets/{BUCKET}/events"
    # Again: from the start of the last stored session (10:37 UTC), not from the beginning.
    assert (
        second == f"/api/0/buckets/{BUCKET}/events?start=2026-11-30T10%3A37%3A00.000000%2B00%3A00"
    )


def test_a_database_sqlite_cannot_open_read_only_is_read_as_it_is_on_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A WAL database in a folder we may not write: SQLite cannot make its -shm file.

    Root writes anywhere, so the refusal is played here; the fallback is real.
    """
    db = write_rust_db(tmp_path / "sqlite.db", morning_events())
    real = aw._try_open
    tried: list[str] = []

    def refuse_mode_ro(uri: str) -> sqlite3.Connection:
        tried.append(uri.rsplit("?", 1)[1])
        if uri.endswith("?mode=ro"):
            raise sqlite3.OperationalError("unable to open database file")
        return real(uri)

    monkeypatch.setattr(aw, "_try_open", refuse_mode_ro)
    assert run(capsys, str(db))[0] == 0
    assert tried == ["mode=ro", "immutable=1"]
    assert sessions() == expected_sessions(T0)


def test_the_source_prefix_is_spelled_in_one_place() -> None:
    """commands/report.py compared sources with its own "activitywatch:" literal:
    a rename of SOURCE_PREFIX would have left reports refusing every import."""
    import ast

    package = Path(aw.__file__).resolve().parents[1]
    spelled = [
        f"{path.relative_to(package)}:{node.lineno}"
        for path in sorted(package.rglob("*.py"))
        if path != Path(aw.__file__).resolve()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value == aw.SOURCE_PREFIX
    ]
    assert spelled == []


def test_export_of_an_empty_source_names_the_stored_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new user's `replay --sample --record`, then `export activitywatch -o f.json`:
    'no sessions stored under source daemon', and no word of replay:sample."""
    assert cli.main(["replay", "--sample", "--record"]) == 0
    capsys.readouterr()
    out = tmp_path / "aw.json"
    assert cli.main(["export", "activitywatch", "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        "sitbreak: no sessions stored under source 'daemon'; stored: replay:sample "
        "(--source NAME)\n"
    )
    assert not out.exists()
    assert cli.main(["export", "activitywatch", "-o", str(out), "--source", "replay:sample"]) == 0
    assert out.exists()
