"""ActivityWatch's AFK history read into sitbreak, and sitbreak's sessions written for it.

ActivityWatch's AFK watcher (`aw-watcher-afk`) keeps one bucket per machine,
`aw-watcher-afk_HOST` of type `afkstatus`, whose events are spans
`{timestamp, duration, data: {status: "afk" | "not-afk"}}`. sitbreak reads
those buckets from any of three places:

- a running server, through its REST API (`read_server`);
- an export file, as the server's export endpoint and web UI write it:
  `{"buckets": {ID: {"id", "type", "hostname", ..., "events": [...]}}}`
  (`read_export`);
- a server's database file, opened read-only (`read_database`): the layout of
  aw-server-rust (tables `buckets`/`events`, times in integer nanoseconds,
  schema version in `PRAGMA user_version`), of the Python aw-server's
  default peewee storage (`bucketmodel`/`eventmodel`, ISO times with
  microseconds) and of its `sqlite` storage (`buckets`/`events`, integer
  microseconds, `datastr`).

`normalise` drops exact duplicate events and merges overlapping "not-afk"
spans (both are common in real exports), counting each. `activity_events`
turns what is left into the engine's own input, an `Activity` every
`ACTIVITY_STEP_S` seconds through each span, so that sessions and breaks are
decided by sitbreak's break rules, not by ActivityWatch's 3-minute AFK
timeout. `import_buckets` replays them and stores the result as source
`activitywatch:HOST` in one transaction, incrementally (see
`Store.record_imports`).

Every problem with the input is an `ActivityWatchError` naming the file, URL,
bucket or event and what was expected; nothing is stored then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import socket
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitbreak.core import (
    Activity,
    BreakTaken,
    EngineSettings,
    ReplayResult,
    SessionEnded,
    replay_events,
)
from sitbreak.core.pauses import LOWEST as PAUSE_LOWEST
from sitbreak.core.pauses import PauseModel
from sitbreak.core.run import pause_model_for
from sitbreak.core.settings import EXTRA_KINDS
from sitbreak.errors import SitbreakError

if TYPE_CHECKING:
    from sitbreak.storage.store import Store

AFK_PREFIX = "aw-watcher-afk_"
AFK_TYPE = "afkstatus"
STATUSES = ("afk", "not-afk")
SOURCE_PREFIX = "activitywatch:"

#: The bucket sitbreak writes to, and its event type (its own, not "afkstatus").
SITBREAK_PREFIX = "sitbreak_"
SITBREAK_TYPE = "sitbreak.sitting"
SITBREAK_CLIENT = "sitbreak"

#: One Activity this often through a "not-afk" span: well under every idle
#: threshold of the engine (and its 30 s "hold a prompt while idle"), like the
#: daemon's own 5 s heartbeat.
ACTIVITY_STEP_S = 5.0

#: Newest aw-server-rust schema (PRAGMA user_version) this reader knows; v4-v6
#: differ only in indexes. Python aw-server names its schema in the file name.
RUST_SCHEMA_MAX = 6
PEEWEE_SCHEMA_MAX = 2
PYSQLITE_SCHEMA_MAX = 1

#: The store's name (its `learned` table) for what an import's engine had
#: learned of pauses when the last imported session began, by source.
PAUSES_PREFIX = "pauses:"

#: Seconds a whole request to the server may take, connecting included.
DEFAULT_TIMEOUT_S = 10.0


class ActivityWatchError(SitbreakError):
    """ActivityWatch data that cannot be read, or a server that cannot be used."""


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class AfkEvent:
    start: float  # UTC epoch seconds
    duration: float  # seconds, >= 0
    status: str  # "afk" or "not-afk"

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass
class AfkBucket:
    id: str
    hostname: str
    events: list[AfkEvent] = field(default_factory=list)

    @property
    def source(self) -> str:
        return SOURCE_PREFIX + self.hostname


@dataclass
class Normalised:
    spans: list[tuple[float, float]]  # merged "not-afk" spans, by start, disjoint
    events: int  # events read
    duplicates: int  # exact duplicates dropped
    merged: int  # "not-afk" events that overlapped another and were merged into it
    high_water: float  # the latest end of any event (-inf for none)


def hostname_of(bucket_id: str, hostname: object) -> str:
    """The bucket's host: its `hostname` field, else the part after `aw-watcher-afk_`."""
    if isinstance(hostname, str) and hostname.strip() and hostname != "unknown":
        return hostname.strip()
    return bucket_id[len(AFK_PREFIX) :] or "unknown"


def is_afk_bucket(bucket_id: str, bucket_type: object) -> bool:
    return bucket_id.startswith(AFK_PREFIX) and bucket_type in (AFK_TYPE, None)


# -------------------------------------------------------------- parsing

_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|z|[+-]\d\d(?::?\d\d)?)?"
)


def parse_timestamp(value: object, where: str) -> float:
    """An ISO 8601 time as ActivityWatch writes it (any fraction, Z or offset) in epoch seconds.

    A time without a zone is UTC, as ActivityWatch stores every time.
    """
    if not isinstance(value, str):
        raise ActivityWatchError(
            f"{where}: timestamp should be an ISO 8601 string, found {_show(value)}"
        )
    m = _ISO.fullmatch(value.strip())
    if m is None:
        raise ActivityWatchError(
            f"{where}: timestamp {value!r} is not an ISO 8601 time "
            "(expected like 2026-11-30T09:15:00.000000+00:00)"
        )
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7), m.group(8)
    offset = 0
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
    try:
        base = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise ActivityWatchError(f"{where}: timestamp {value!r} is not a real time: {exc}") from exc
    return base.timestamp() - offset + (float("0." + frac) if frac else 0.0)


def format_timestamp(t: float) -> str:
    """Epoch seconds as ActivityWatch's ISO 8601 form, UTC, microseconds."""
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="microseconds")


def _show(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_event(raw: object, where: str) -> AfkEvent:
    """One AFK event from its JSON form; every problem names `where` and what was expected."""
    if not isinstance(raw, Mapping):
        raise ActivityWatchError(
            f"{where}: an event should be an object with timestamp, duration and data, "
            f"found {_show(raw)}"
        )
    start = parse_timestamp(raw.get("timestamp"), where)
    duration = raw.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise ActivityWatchError(
            f"{where}: duration should be a number of seconds, found {_show(duration)}"
        )
    duration = float(duration)
    if not math.isfinite(duration) or duration < 0:
        raise ActivityWatchError(
            f"{where}: duration should be zero or more seconds, found {duration!r}"
        )
    return AfkEvent(start, duration, _status(raw.get("data"), where))


def _status(data: object, where: str) -> str:
    status = data.get("status") if isinstance(data, Mapping) else None
    if status not in STATUSES:
        found = _show(status) if isinstance(data, Mapping) else f"data {_show(data)}"
        raise ActivityWatchError(
            f'{where}: data.status should be "afk" or "not-afk", found {found}'
        )
    return str(status)


def _event_where(origin: str, bucket_id: str, index: int, raw: object) -> str:
    stamp = raw.get("timestamp") if isinstance(raw, Mapping) else None
    at = f" at {stamp}" if isinstance(stamp, str) else ""
    return f"{origin}: bucket {bucket_id!r}, event {index + 1}{at}"


def buckets_from_export(data: object, origin: str) -> list[AfkBucket]:
    """The AFK buckets of an export document (`{"buckets": {ID: {..., "events": [...]}}}`)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("buckets"), Mapping):
        raise ActivityWatchError(
            f'{origin}: expected an ActivityWatch export, an object {{"buckets": {{ID: ...}}}}, '
            f"found {_show(data)}"
        )
    out: list[AfkBucket] = []
    for bucket_id, raw in data["buckets"].items():
        if not isinstance(raw, Mapping):
            raise ActivityWatchError(
                f"{origin}: bucket {bucket_id!r} should be an object, found {_show(raw)}"
            )
        if not is_afk_bucket(str(bucket_id), raw.get("type")):
            continue
        events = raw.get("events")
        if not isinstance(events, list):
            raise ActivityWatchError(
                f"{origin}: bucket {bucket_id!r} should have a list of events, "
                f"found {_show(events)}"
            )
        bucket = AfkBucket(str(bucket_id), hostname_of(str(bucket_id), raw.get("hostname")))
        bucket.events = [
            parse_event(e, _event_where(origin, bucket.id, i, e)) for i, e in enumerate(events)
        ]
        out.append(bucket)
    return out


# ----------------------------------------------------------- export file


def read_export(path: Path) -> list[AfkBucket]:
    """The AFK buckets of an export file."""
    try:
        with path.open("rb") as f:
            text = f.read()
    except OSError as exc:
        raise ActivityWatchError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise ActivityWatchError(f"{path}: not an ActivityWatch export (not UTF-8 text)") from exc
    except json.JSONDecodeError as exc:
        raise ActivityWatchError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); "
            "expected an ActivityWatch export"
        ) from exc
    return buckets_from_export(data, str(path))


# -------------------------------------------------------------- database


def _open_readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise ActivityWatchError(f"{path}: no such database file")
    uri = path.resolve().as_uri()
    try:
        return _try_open(uri + "?mode=ro")
    except sqlite3.OperationalError:
        # A WAL database in a folder we may not write (a backup, another
        # user's): SQLite cannot make its -shm file. Read it as it is on disk.
        try:
            return _try_open(uri + "?immutable=1")
        except sqlite3.Error as exc:
            raise ActivityWatchError(f"{path}: not a readable SQLite database ({exc})") from exc
    except sqlite3.Error as exc:
        raise ActivityWatchError(f"{path}: not a readable SQLite database ({exc})") from exc


def _try_open(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _need(path: Path, conn: sqlite3.Connection, table: str, cols: Sequence[str], lay: str) -> None:
    missing = [c for c in cols if c not in _columns(conn, table)]
    if missing:
        raise ActivityWatchError(
            f"{path}: table {table} has no column {', '.join(missing)}: not the {lay} layout "
            "this sitbreak reads (a newer or damaged database?)"
        )


def _file_schema(path: Path) -> int | None:
    m = re.search(r"\.v(\d+)\.db$", path.name)
    return int(m.group(1)) if m else None


def read_database(path: Path, since: Mapping[str, float] | None = None) -> list[AfkBucket]:
    """The AFK buckets of an ActivityWatch database file, opened read-only.

    `since` maps a bucket id to a time: only its events ending after it are read.
    """
    since = since or {}
    conn = _open_readonly(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if {"buckets", "events"} <= tables and "data" in _columns(conn, "events"):
            return _read_rust(path, conn, since)
        if {"buckets", "events"} <= tables and "datastr" in _columns(conn, "events"):
            return _read_pysqlite(path, conn, since)
        if {"bucketmodel", "eventmodel"} <= tables:
            return _read_peewee(path, conn, since)
        found = ", ".join(sorted(tables)) or "no tables"
        raise ActivityWatchError(
            f"{path}: not an ActivityWatch database: expected tables buckets and events "
            "(aw-server-rust, or aw-server's sqlite storage) or bucketmodel and eventmodel "
            f"(aw-server's peewee storage), found {found}"
        )
    except sqlite3.Error as exc:
        raise ActivityWatchError(f"{path}: cannot read the database: {exc}") from exc
    finally:
        conn.close()


def _afk_rows(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, str, str]]:
    """(row key, bucket id, hostname) of the AFK buckets."""
    rows = conn.execute(sql).fetchall()
    return [
        (key, str(bid), hostname_of(str(bid), host))
        for key, bid, btype, host in rows
        if is_afk_bucket(str(bid), btype)
    ]


def _read_integer_layout(
    path: Path,
    conn: sqlite3.Connection,
    since: Mapping[str, float],
    *,
    bucket_sql: str,
    data_col: str,
    per_second: int,
    layout: str,
) -> list[AfkBucket]:
    out = []
    for key, bid, host in _afk_rows(conn, bucket_sql):
        bucket = AfkBucket(bid, host)
        floor = since.get(bid)
        cut = -(2**63) if floor is None else int(floor * per_second)
        rows = conn.execute(
            f"SELECT id, starttime, endtime, {data_col} FROM events "
            "WHERE bucketrow = ? AND endtime > ? ORDER BY starttime, id",
            (key, cut),
        )
        for eid, start, end, data in rows:
            where = f"{path}: bucket {bid!r}, event id {eid}"
            if not isinstance(start, int) or not isinstance(end, int):
                raise ActivityWatchError(
                    f"{where}: starttime and endtime should be integers ({layout}), "
                    f"found {start!r} and {end!r}"
                )
            if end < start:
                raise ActivityWatchError(
                    f"{where}: negative duration (endtime {end} before starttime {start})"
                )
            bucket.events.append(
                AfkEvent(
                    start / per_second,
                    (end - start) / per_second,
                    _status(_json(data, where), where),
                )
            )
        out.append(bucket)
    return out


def _json(text: object, where: str) -> object:
    if not isinstance(text, str):
        raise ActivityWatchError(f"{where}: data should be JSON text, found {_show(text)}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ActivityWatchError(f"{where}: data is not valid JSON ({exc.msg})") from exc


def _read_rust(path: Path, conn: sqlite3.Connection, since: Mapping[str, float]) -> list[AfkBucket]:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > RUST_SCHEMA_MAX:
        raise ActivityWatchError(
            f"{path}: aw-server-rust database schema version {version} is newer than this "
            f"sitbreak reads (up to {RUST_SCHEMA_MAX}); upgrade sitbreak, or import the "
            "server's export file (or from the running server with --server) instead"
        )
    _need(path, conn, "buckets", ("id", "name", "type", "hostname"), "aw-server-rust")
    _need(path, conn, "events", ("bucketrow", "starttime", "endtime", "data"), "aw-server-rust")
    return _read_integer_layout(
        path,
        conn,
        since,
        bucket_sql="SELECT id, name, type, hostname FROM buckets",
        data_col="data",
        per_second=1_000_000_000,
        layout="nanoseconds, aw-server-rust",
    )


def _check_file_schema(path: Path, newest: int, layout: str) -> None:
    version = _file_schema(path)
    if version is not None and version > newest:
        raise ActivityWatchError(
            f"{path}: {layout} database schema v{version} is newer than this sitbreak reads "
            f"(up to v{newest}); upgrade sitbreak, or import the server's export file instead"
        )


def _read_pysqlite(
    path: Path, conn: sqlite3.Connection, since: Mapping[str, float]
) -> list[AfkBucket]:
    _check_file_schema(path, PYSQLITE_SCHEMA_MAX, "aw-server sqlite")
    _need(path, conn, "buckets", ("rowid", "id", "type", "hostname"), "aw-server sqlite")
    _need(path, conn, "events", ("bucketrow", "starttime", "endtime"), "aw-server sqlite")
    return _read_integer_layout(
        path,
        conn,
        since,
        bucket_sql="SELECT rowid, id, type, hostname FROM buckets",
        data_col="datastr",
        per_second=1_000_000,
        layout="microseconds, aw-server sqlite storage",
    )


def _read_peewee(
    path: Path, conn: sqlite3.Connection, since: Mapping[str, float]
) -> list[AfkBucket]:
    _check_file_schema(path, PEEWEE_SCHEMA_MAX, "aw-server peewee")
    _need(path, conn, "bucketmodel", ("key", "id", "type", "hostname"), "aw-server peewee")
    _need(path, conn, "eventmodel", ("bucket_id", "timestamp", "duration", "datastr"), "aw-server")
    out = []
    for key, bid, host in _afk_rows(conn, "SELECT key, id, type, hostname FROM bucketmodel"):
        bucket = AfkBucket(bid, host)
        floor = since.get(bid, -math.inf)
        rows = conn.execute(
            "SELECT id, timestamp, duration, datastr FROM eventmodel "
            "WHERE bucket_id = ? ORDER BY timestamp, id",
            (key,),
        )
        for eid, stamp, duration, data in rows:
            where = f"{path}: bucket {bid!r}, event id {eid}"
            start = parse_timestamp(stamp, where)
            try:
                seconds = float(duration)
            except (TypeError, ValueError):
                raise ActivityWatchError(
                    f"{where}: duration should be a number of seconds, found {duration!r}"
                ) from None
            if not math.isfinite(seconds) or seconds < 0:
                raise ActivityWatchError(
                    f"{where}: duration should be zero or more seconds, found {duration!r}"
                )
            if start + seconds <= floor:
                continue
            bucket.events.append(AfkEvent(start, seconds, _status(_json(data, where), where)))
        out.append(bucket)
    return out


# ---------------------------------------------------------------- server


def _server_url(server: str) -> str:
    parts = urllib.parse.urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ActivityWatchError(
            f"--server {server!r}: expected the server's address, like http://localhost:5600"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def request_json(
    url: str,
    *,
    method: str = "GET",
    body: object = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    accept: tuple[int, ...] = (),
) -> object:
    """One request to an ActivityWatch server; its JSON answer (None for an empty one).

    The whole request, reading included, is bounded by `timeout_s`: a server
    that accepts and then hangs, or trickles, is an error, never a hang.
    """
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    deadline = time.monotonic() + timeout_s
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            chunks = []
            while chunk := resp.read(65536):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError
            raw = b"".join(chunks)
    except urllib.error.HTTPError as exc:
        if exc.code in accept:  # e.g. 304 for a bucket that exists already
            return None
        detail = exc.read(300).decode("utf-8", "replace").strip()
        raise ActivityWatchError(
            f"{method} {url}: the server answered {exc.code} {exc.reason}"
            + (f": {detail}" if detail else "")
        ) from exc
    except TimeoutError as exc:
        raise ActivityWatchError(
            f"{method} {url}: no answer within {timeout_s:g} s (is the server hanging?)"
        ) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise ActivityWatchError(
                f"{method} {url}: no answer within {timeout_s:g} s (is the server hanging?)"
            ) from exc
        raise ActivityWatchError(
            f"{method} {url}: cannot reach the ActivityWatch server ({reason}); is aw-server "
            "running, and is this its address?"
        ) from exc
    except (OSError, ValueError) as exc:  # reset connections, bad URLs
        raise ActivityWatchError(f"{method} {url}: {exc}") from exc
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ActivityWatchError(
            f"{method} {url}: the answer is not JSON; is this an ActivityWatch server?"
        ) from exc


def read_server(
    server: str,
    since: Mapping[str, float] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[AfkBucket]:
    """The AFK buckets of a running server, through its REST API (`/api/0/...`).

    `since` maps a bucket id to a time: only its events ending after it are asked for.
    """
    since = since or {}
    base = _server_url(server)
    url = f"{base}/api/0/buckets/"
    listing = request_json(url, timeout_s=timeout_s)
    if not isinstance(listing, Mapping):
        raise ActivityWatchError(
            f"GET {url}: expected an object of buckets, found {_show(listing)}"
        )
    out = []
    for bucket_id, meta in listing.items():
        btype = meta.get("type") if isinstance(meta, Mapping) else None
        if not is_afk_bucket(str(bucket_id), btype):
            continue
        # No `limit`: both servers then answer every event (aw-server-rust
        # would refuse aw-server's "-1", its limit being unsigned).
        quoted = urllib.parse.quote(str(bucket_id), safe="")
        ev_url = f"{base}/api/0/buckets/{quoted}/events"
        if bucket_id in since:
            ev_url += "?" + urllib.parse.urlencode({"start": format_timestamp(since[bucket_id])})
        events = request_json(ev_url, timeout_s=timeout_s)
        if not isinstance(events, list):
            raise ActivityWatchError(
                f"GET {ev_url}: expected a list of events, found {_show(events)}"
            )
        host = meta.get("hostname") if isinstance(meta, Mapping) else None
        bucket = AfkBucket(str(bucket_id), hostname_of(str(bucket_id), host))
        bucket.events = [
            parse_event(e, _event_where(f"GET {ev_url}", bucket.id, i, e))
            for i, e in enumerate(events)
        ]
        out.append(bucket)
    return out


# ---------------------------------------------------- turning into activity


def normalise(events: Sequence[AfkEvent]) -> Normalised:
    """Drop exact duplicates and merge overlapping "not-afk" spans, counting both.

    Spans that only touch are joined without being counted as merged: the AFK
    watcher writes them so. "afk" events add nothing but their end to the
    high-water mark: activity is what "not-afk" says, and where the two
    disagree, someone was there.
    """
    unique = sorted(set(events), key=lambda e: (e.start, e.duration, e.status))
    duplicates = len(events) - len(unique)
    spans: list[tuple[float, float]] = []
    merged = 0
    high = -math.inf
    cur_s = cur_e = 0.0
    have = False
    for e in unique:
        high = max(high, e.end)
        if e.status != "not-afk":
            continue
        if have and e.start <= cur_e:
            if e.start < cur_e:
                merged += 1
            cur_e = max(cur_e, e.end)
            continue
        if have:
            spans.append((cur_s, cur_e))
        cur_s, cur_e, have = e.start, e.end, True
    if have:
        spans.append((cur_s, cur_e))
    return Normalised(spans, len(events), duplicates, merged, high)


def activity_events(
    spans: Sequence[tuple[float, float]], step: float = ACTIVITY_STEP_S
) -> Iterator[Activity]:
    """An Activity every `step` seconds through each span, and one at its very end."""
    for s, e in spans:
        n = int((e - s) // step)
        for i in range(n + 1):
            yield Activity(s + i * step)
        if s + n * step < e:
            yield Activity(e)


# ---------------------------------------------------------------- import


@dataclass
class ImportSummary:
    bucket: str
    source: str
    events: int  # read this time
    duplicates: int
    merged: int
    new: int  # events ending after the previous import's high-water mark
    sessions: int  # stored for the source after the import
    breaks: int
    prompts: int
    sitting_s: float
    first: float | None  # the stored sessions' span
    last: float | None
    changed: bool


def import_buckets(
    store: Store,
    read: Any,
    settings: EngineSettings,
    tz: dt.tzinfo,
    *,
    hosts: Sequence[str] = (),
    full: bool = False,
) -> list[ImportSummary]:
    """Read AFK buckets with `read(since)`, replay them and store them, in one transaction.

    `read` is called once with the resume point of each bucket imported before
    (a dict bucket id -> time) and returns the buckets, with at least every
    event ending after that point. `hosts` limits the import to those hosts.
    With `full`, every bucket is read and replayed whole, replacing what was
    imported before (after a change of the break rules, say).
    """
    from sitbreak.storage.store import ImportBatch, tz_label

    marks = {} if full else store.import_marks()
    # A bucket imported before resumes at its last stored session's start: that
    # session may go on in the new events, so it is replayed again from there by
    # a fresh engine (every earlier session ended at least a break before it);
    # what came before it is settled and stays as stored.
    since: dict[str, float] = {}
    for bid, (source, _high) in marks.items():
        last = store.last_session_start(source)
        if last is not None:
            since[bid] = last
    buckets = read(since)
    if hosts:
        buckets = [b for b in buckets if b.hostname in hosts]
    batches: list[ImportBatch] = []
    summaries: list[ImportSummary] = []
    for b in buckets:
        mark = marks.get(b.id)
        resume = since.get(b.id, -math.inf) if mark is not None else -math.inf
        norm = normalise(b.events)
        previous_high = mark[1] if mark is not None else -math.inf
        new = sum(1 for e in set(b.events) if e.end > previous_high)
        changed = mark is None or norm.high_water > previous_high
        if changed:
            # Spans that began before the resume point belong to settled sessions.
            spans = [(max(s, resume), e) for s, e in norm.spans if e > resume]
            saved = store.learned(PAUSES_PREFIX + b.source) if math.isfinite(resume) else None
            result, learned = _replay(spans, settings, tz, saved)
            if math.isfinite(resume):
                _continue_rotation(result, settings, store.extra_prompts_before(b.source, resume))
            high = max(norm.high_water, previous_high)
            batches.append(ImportBatch(b.source, b.id, resume, result, high, learned))
        summaries.append(
            ImportSummary(
                b.id,
                b.source,
                norm.events,
                norm.duplicates,
                norm.merged,
                new,
                0,
                0,
                0,
                0.0,
                None,
                None,
                changed,
            )
        )
    if batches:
        store.record_imports(batches, tz, tz_label(tz), settings)
    for s in summaries:
        totals = store.source_totals(s.source)
        s.sessions, s.breaks, s.prompts, s.sitting_s, s.first, s.last = totals
    return summaries


def _replay(
    spans: Sequence[tuple[float, float]],
    settings: EngineSettings,
    tz: dt.tzinfo,
    saved: Mapping[str, object] | None,
) -> tuple[ReplayResult, dict[str, object] | None]:
    """Replay `spans`; and what the engine had learned of pauses as the last session began.

    The engine learns the break threshold from the person's gaps (core/pauses.py)
    as it goes. An import again replays from the start of the last stored
    session, so it must go on from what was learned up to that start, and from
    nothing after: `saved`, kept by the previous import. The model is looked
    at after the engine took the first input of each span that may start a
    session (one after a gap of at least the lowest threshold).
    """
    model = None
    if saved is not None:
        try:
            model = PauseModel.from_dict(saved, settings.break_idle)
        except ValueError:
            model = None  # unreadable: learn afresh, as the daemon does
    model = pause_model_for(settings, model)  # None when [session] break_idle is set
    at_start: dict[float, dict[str, object]] = {}

    def events() -> Iterator[Activity]:
        last_end = -math.inf
        for s, e in spans:
            may_start = model is not None and s - last_end >= PAUSE_LOWEST
            last_end = e
            yield Activity(s)
            if may_start and model is not None:  # the engine has taken it: look
                at_start[s] = model.to_dict()
            # The rest of activity_events(): one every step, and one at the end.
            n = int((e - s) // ACTIVITY_STEP_S)
            for i in range(1, n + 1):
                yield Activity(s + i * ACTIVITY_STEP_S)
            if s + n * ACTIVITY_STEP_S < e:
                yield Activity(e)

    result = replay_events(events(), settings, tz, pauses=model)
    if model is None or not result.sessions:
        return result, None
    return result, at_start.get(max(x.start for x in result.sessions))


def _continue_rotation(result: ReplayResult, settings: EngineSettings, offset: int) -> None:
    """Give the resumed replay's optional prompts the kinds one replay of everything would.

    The engine takes the optional kinds (stretch, hydrate, ...) in turn across
    sessions; a fresh engine starts the turn again at the first. `offset` is
    how many optional prompts the settled sessions before the resume point had.
    """
    kinds = tuple(k for k in EXTRA_KINDS if k in settings.enabled)
    if not kinds or offset % len(kinds) == 0:
        return
    result.prompts = [
        dataclasses.replace(p, kind=kinds[(kinds.index(p.kind) + offset) % len(kinds)])
        if p.kind in kinds
        else p
        for p in result.prompts
    ]


# ----------------------------------------------------- sitbreak for ActivityWatch


def sitbreak_bucket_id(hostname: str) -> str:
    return SITBREAK_PREFIX + hostname


def session_event(start: float, end: float, cause: str) -> dict[str, object]:
    """A session as an ActivityWatch event of sitbreak's bucket."""
    return {
        "timestamp": format_timestamp(start),
        "duration": round(max(0.0, end - start), 6),
        "data": {"status": "sitting", "label": "sitting", "ended_by": cause},
    }


def break_event(start: float, end: float, cause: str) -> dict[str, object]:
    return {
        "timestamp": format_timestamp(start),
        "duration": round(max(0.0, end - start), 6),
        "data": {"status": "break", "label": "break", "cause": cause},
    }


def bucket_meta(hostname: str, created: float) -> dict[str, object]:
    return {
        "id": sitbreak_bucket_id(hostname),
        "name": f"sitbreak on {hostname}",
        "type": SITBREAK_TYPE,
        "client": SITBREAK_CLIENT,
        "hostname": hostname,
        "created": format_timestamp(created),
        "data": {},
    }


def export_document(
    hostname: str,
    sessions: Sequence[SessionEnded],
    breaks: Sequence[BreakTaken],
    created: float,
) -> dict[str, object]:
    """sitbreak's sessions and breaks as an export file the server's import accepts."""
    events = [session_event(s.start, s.end, s.cause.value) for s in sessions if s.end > s.start]
    events += [break_event(b.start, b.end, b.cause.value) for b in breaks if b.end > b.start]
    events.sort(key=lambda e: str(e["timestamp"]))
    bucket = bucket_meta(hostname, created)
    bucket["events"] = events
    return {"buckets": {bucket["id"]: bucket}}
