"""One person, several computers: what each machine puts in a synced folder,
and what it reads of the others (issue 18).

The folder is any folder the person already syncs (Syncthing, typically).
Each machine writes only its own files, under `<folder>/<host-id>/`:

- `YYYY-MM-DD.jsonl` (the UTC date of writing): one JSON object per line,
  appended with whole-line O_APPEND writes. A day's file is never written
  again once that UTC day is over, so a synced copy is final.
- `manifest.json`, written atomically (a temporary file, then a rename): the
  format, the host's id and display name, when it was written and its
  segments (day -> closed).

Never a SQLite file in the folder: a synced live database corrupts. The
local store stays the source of truth for this machine; the folder is a
copy of what the others need. Writing to it can fail (unmounted, read-only,
full): that is said once, the lines wait in a bounded queue and are written
when it works again.

Another host's files are input from outside: a line without its final
newline is being written (read later), a line that is not a record is
skipped and counted, Syncthing's conflict copies and temporary files are
ignored and counted, and a host whose times are in our future has its clock
off (reported by `doctor`, its times taken as "now").

Records (short keys keep the folder small; BENCHMARKS.md has the sizes):

    {"k":"a","a":start,"b":end}         an activity span (progress: same a, later b)
    {"k":"hb","t":t}                    a heartbeat: nothing else written, or the folder back
    {"k":"ss","t":start}                a session started
    {"k":"se","a":start,"b":end,"c":cause}   a session ended
    {"k":"br","a":start,"b":end,"c":cause}   a break
    {"k":"p","t":due,"p":kind,"l":level}     a prompt shown here
    {"k":"an","t":t,"d":due,"p":kind,"x":action}   the person's answer to it
    {"k":"lk"|"ul"|"sp"|"rs","t":t}     lock, unlock, suspend, resume
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sitbreak import paths
from sitbreak.config import Config
from sitbreak.storage.sync_words import SKEW_TOLERANCE_S, _days_words
from sitbreak.text import count

log = logging.getLogger("sitbreak.sync")

FORMAT = 1
MANIFEST = "manifest.json"
HOST_ID_FILE = "host-id"
#: Input closer together than this is one activity span.
SPAN_GAP = 30.0
#: An open span is written again when it has grown this much (below the pause
#: model's shortest gap, so a peer's engine sees no false pauses).
PROGRESS_S = 30.0
#: A heartbeat when nothing else was written for this long.
HEARTBEAT_S = 60.0
#: How often the folder is looked at for the others' new lines.
READ_EVERY_S = 5.0
#: A host's clock is judged by the records read in this long (ten of its
#: heartbeats, twenty progress records while it is in use): once its clock is
#: put right, it is said to be off for no longer than this after its last
#: record from before arrived. Delivery only makes a record look older, so
#: the largest lead in the window is the one to believe: a file delivered
#: late neither makes a right clock look ahead nor takes back a lead seen.
SKEW_RECENT_S = 600.0
#: Lines kept while the folder cannot be written (several working days of records).
QUEUE_MAX = 5000
#: A computer, or one of its files, missing from the folder this long is
#: forgotten (all the reader knew of it). Back sooner (Syncthing putting a
#: folder back), it is read on from where it was; back later, it is read
#: afresh, and its old lines are history by then: a daemon takes no input or
#: answer as new that is this old (ANSWER_FRESH_S, its longest, is shorter;
#: tests/daemon/test_sync_daemons.py holds them to that).
FORGET_S = 3600.0
#: A closed segment further back than this is not looked at again once read.
_SETTLED_DAYS = 2
_ONE_DAY = dt.timedelta(days=1)
_MISSING = "the folder is missing (not mounted?)"

KINDS = {
    "a": ("a", "b"),
    "hb": ("t",),
    "ss": ("t",),
    "se": ("a", "b"),
    "br": ("a", "b"),
    "p": ("t",),
    "an": ("t",),
    "lk": ("t",),
    "ul": ("t",),
    "sp": ("t",),
    "rs": ("t",),
}
#: The text fields a kind may carry, each a short string.
_TEXT = {"c", "p", "x"}
_SEGMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl$")
_HOST_ID = re.compile(r"^[0-9a-f]{16}$")


def is_conflict(name: str) -> bool:
    """Syncthing's copy of a file changed on two machines at once."""
    return ".sync-conflict-" in name


def is_temporary(name: str) -> bool:
    """A file Syncthing is still receiving."""
    return (name.startswith(".syncthing.") or name.startswith("~syncthing~")) and name.endswith(
        ".tmp"
    )


def utc_day(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).date().isoformat()


def known_host_id(data_dir: Path) -> str | None:
    """This machine's id, if it has one yet."""
    try:
        text = (data_dir / HOST_ID_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if _HOST_ID.match(text) else None


def host_id(data_dir: Path) -> str:
    """This machine's id in the folder: random, kept in the data dir (so a
    rename changes only the name shown), made on first use."""
    path = data_dir / HOST_ID_FILE
    known = known_host_id(data_dir)
    if known is not None:
        return known
    new = secrets.token_hex(8)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(new + "\n")
    return new


def default_name() -> str:
    return socket.gethostname() or "this computer"


def _encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode()


def _fixed(t: float) -> float:
    """Times to the millisecond: plenty, and short lines."""
    return round(t, 3)


# ------------------------------------------------------------------ writing


class SyncWriter:
    """This machine's records, appended to its own files in the folder."""

    def __init__(self, folder: Path, host: str, name: str) -> None:
        self.folder = folder
        self.host = host
        self.name = name
        self.dir = folder / host
        self._queue: deque[bytes] = deque()
        self.dropped = 0  # lines lost to a full queue (the oldest go first)
        self.problem: str | None = None  # why the folder cannot be written, if it cannot
        self._span: tuple[float, float] | None = None  # the open span
        self._span_written = -math.inf  # its end as last written
        self._last_write = -math.inf
        self._segments: dict[str, bool] = {}
        self._manifest_day = ""
        self._torn: set[str] = set()  # files whose last write stopped mid-line
        self._had_folder = False
        self.bytes_written = 0
        self.closing = False  # the daemon is stopping: nothing is kept for later

    # -- what happened here

    def activity(self, t: float) -> None:
        """Input at `t` (the source's latest input time, polled)."""
        span = self._span
        if span is not None and t <= span[1]:
            return
        if span is None or t - span[1] > SPAN_GAP:
            self.end_span()
            self._span = (t, t)
            self._span_written = t
            # A new span is written at once: it is how the others learn of a move.
            self._put({"k": "a", "a": _fixed(t), "b": _fixed(t)})
            return
        self._span = (span[0], t)
        if t - self._span_written >= PROGRESS_S:
            self._span_written = t
            self._put({"k": "a", "a": _fixed(span[0]), "b": _fixed(t)})

    def record(self, kind: str, **fields: float | str) -> None:
        rec: dict[str, Any] = {"k": kind}
        for key, value in fields.items():
            rec[key] = _fixed(value) if isinstance(value, float) else value
        self._put(rec)

    def tick(self, now: float) -> None:
        """Close a span that ended, beat the heart, write what is queued."""
        span = self._span
        if span is not None and now - span[1] > SPAN_GAP:
            self.end_span()
        if not self._queue and now - self._last_write >= HEARTBEAT_S:
            self._put({"k": "hb", "t": _fixed(now)})
        self.flush(now)

    def end_span(self) -> None:
        """The open span is over: its end is written, if it is not yet."""
        span = self._span
        if span is not None and span[1] > self._span_written:
            self._put({"k": "a", "a": _fixed(span[0]), "b": _fixed(span[1])})
        self._span = None

    def _put(self, rec: dict[str, Any]) -> None:
        if len(self._queue) >= QUEUE_MAX:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(_encode(rec))

    @property
    def pending(self) -> int:
        return len(self._queue)

    # -- the folder

    def flush(self, now: float) -> None:
        if not self._queue:
            return
        day = utc_day(now)
        try:
            self._prepare(day, now)
            self._append(day)
        except OSError as exc:
            self._failed(exc)
            return
        self._last_write = now
        if self.problem is not None:
            log.warning("the sync folder %s works again", self.folder)
            self.problem = None
            # What was kept is from the outage: a beat now, so the others
            # see this computer live at once, not at its next regular beat.
            self._put({"k": "hb", "t": _fixed(now)})
            self.flush(now)  # failing, it is said and kept as any other line

    def _prepare(self, day: str, now: float) -> None:
        if not self.folder.is_dir():
            # Made on first use if its parent is there (~/Sync/sitbreak);
            # never again once it was there and went (an unmounted disk).
            if not self._had_folder and self.folder.parent.is_dir() and not self.folder.exists():
                self.folder.mkdir(mode=0o700)
            else:
                raise FileNotFoundError(2, _MISSING, str(self.folder))
        self._had_folder = True
        if not self.dir.is_dir():
            self.dir.mkdir(mode=0o700)
            self._manifest_day = ""  # a folder made again: the manifest too
        if day != self._manifest_day:
            if not self._manifest_day:  # first write here: the days already on disk too
                self._segments.update(dict.fromkeys(self._days_on_disk(), True))
            for old in self._segments:
                self._segments[old] = old < day
            self._segments[day] = False
            self._write_manifest(now)
            self._manifest_day = day

    def _days_on_disk(self) -> list[str]:
        """The days of this host's own segments in the folder (never a conflict copy)."""
        days = []
        with contextlib.suppress(OSError):
            for e in os.scandir(self.dir):
                m = _SEGMENT.match(e.name)
                if m and e.is_file(follow_symlinks=False):
                    days.append(m.group(1))
        return sorted(days)

    def prune(self, now: float, keep_s: float) -> list[str]:
        """Delete this host's own segments whose UTC day ended more than
        `keep_s` ago ([sync] keep); the days deleted.

        Only files named like a segment in this host's own directory: never
        another host's, never a conflict copy or a file Syncthing is
        receiving, never today's or yesterday's. Syncthing passes the
        deletion on, so the old days go from every computer's copy of the
        folder; each computer's own database keeps them. Failing is logged,
        never raised.
        """
        today = utc_day(now)
        gone: list[str] = []
        for day in self._days_on_disk():
            ended = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc) + _ONE_DAY
            if ended.timestamp() > now - keep_s or _days_between(day, today) < 2:
                continue
            try:
                (self.dir / f"{day}.jsonl").unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning(
                    "cannot delete an old file of the sync folder, %s: %s",
                    exc.filename,
                    exc.strerror or exc,
                )
                break
            gone.append(day)
        if gone:
            for day in gone:
                self._segments.pop(day, None)
            span = gone[0] if len(gone) == 1 else f"{gone[0]} to {gone[-1]}"
            log.info(
                "deleted this computer's files of %s (%s) from the sync folder: "
                "older than [sync] keep (%s)",
                count(len(gone), "day"),
                span,
                _days_words(keep_s),
            )
            if self._manifest_day:  # the manifest is rewritten now; else at the next write
                with contextlib.suppress(OSError):
                    self._write_manifest(now)
        return gone

    def _append(self, day: str) -> None:
        path = self.dir / f"{day}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if path.name in self._torn:
                # The last write stopped mid-line: end that line, so the
                # reader skips it as one bad line and the next ones are whole.
                os.write(fd, b"\n")
                self._torn.discard(path.name)
            while self._queue:
                # Whole lines, as many as fit in one write.
                batch: list[bytes] = []
                size = 0
                for line in self._queue:
                    if batch and size + len(line) > 65536:
                        break
                    batch.append(line)
                    size += len(line)
                data = b"".join(batch)
                n = os.write(fd, data)
                self.bytes_written += n
                whole = data[:n].count(b"\n")
                for _ in range(whole):
                    self._queue.popleft()
                if n < len(data):
                    if n and not data[:n].endswith(b"\n"):
                        self._torn.add(path.name)
                    raise OSError(28, "short write (disk full?)", str(path))
        finally:
            os.close(fd)

    def _write_manifest(self, now: float) -> None:
        manifest = {
            "format": FORMAT,
            "host": self.host,
            "name": self.name,
            "updated": _fixed(now),
            "segments": dict(sorted(self._segments.items())),
        }
        tmp = self.dir / f".{MANIFEST}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(manifest, indent=1).encode() + b"\n")
        os.replace(tmp, self.dir / MANIFEST)

    def _failed(self, exc: OSError) -> None:
        why = exc.strerror or str(exc)
        if self.problem is None and not self.closing:
            log.warning(
                "cannot write to the sync folder %s: %s; keeping %s to write later "
                "(the local record is not affected)",
                self.folder,
                why,
                count(len(self._queue), "record"),
            )
        self.problem = why


# ------------------------------------------------------------------ reading


@dataclass
class Peer:
    """Another machine, as its files show it."""

    id: str
    name: str
    last_t: float = -math.inf  # its latest record, on our timeline
    last_input: float = -math.inf  # the end of its latest activity span
    skew_s: float = 0.0  # how far its times were in our future lately (SKEW_RECENT_S)
    bad_lines: int = 0
    records: int = 0
    answered_t: float = -math.inf  # its latest answer seen
    #: (when read, how far ahead) of the records read in SKEW_RECENT_S whose
    #: times were in our future, each lead larger than any read after it.
    _leads: deque[tuple[float, float]] = field(default_factory=deque, repr=False)

    def saw_time(self, t: float, now: float) -> None:
        """A record of time `t` read at `now`: its lead on us, if any, kept."""
        ahead = t - now
        if ahead <= SKEW_TOLERANCE_S:
            return
        leads = self._leads
        while leads and leads[-1][1] <= ahead:  # smaller and gone sooner: never the largest
            leads.pop()
        leads.append((now, ahead))

    def judge_clock(self, now: float) -> None:
        """Its skew from the records read in the last SKEW_RECENT_S only."""
        leads = self._leads
        while leads and leads[0][0] <= now - SKEW_RECENT_S:
            leads.popleft()
        self.skew_s = leads[0][1] if leads else 0.0

    def as_dict(self, now: float) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "age_s": None if self.last_t == -math.inf else max(0.0, now - self.last_t),
            "last_input": None if self.last_input == -math.inf else self.last_input,
            "skew_s": self.skew_s,
            "bad_lines": self.bad_lines,
            "records": self.records,
        }


@dataclass(frozen=True)
class PeerRecord:
    host: str  # the peer's id
    rec: dict[str, Any]


#: What a stat of a file or directory says about it: an append changes the
#: size, a replacement (Syncthing writes a temporary file and renames it) the
#: inode, any write or rename the change time (ctime is this machine's clock,
#: never the sender's, whatever mtime Syncthing copies over).
_Key = tuple[int, int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns

#: A file written in the same timestamp tick as a look (2 s on FAT, whose ctime
#: is its mtime; a few ms elsewhere) can change again with an unchanged stat:
#: whatever had changed this recently is looked at once more at the next poll.
RACY_S = 3.0


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class _Seen:
    """A file or directory as its stat was when it was last read."""

    key: _Key | None = None
    #: It had changed long enough before that read that the same stat means
    #: the same content (every write sets both mtime and ctime to its tick).
    sure: bool = False

    def unchanged(self, st: os.stat_result) -> bool:
        return self.sure and self.key == _key(st)

    def read(self, st: os.stat_result, wall_ns: int) -> None:
        self.key = _key(st)
        self.sure = min(st.st_mtime_ns, st.st_ctime_ns) < wall_ns - int(RACY_S * 1e9)


@dataclass
class _FileState:
    offset: int = 0
    tail: bytes = b""  # the bytes just before `offset`, to tell an append from a new file
    settled: bool = False  # a closed, old segment read to the end
    seen: _Seen = field(default_factory=_Seen)


@dataclass
class _Listing:
    """What one host's directory held when it was last listed."""

    seen: _Seen
    manifest: bool
    segments: list[tuple[str, Path]]  # (UTC day, path), oldest first
    conflicts: int
    temporary: int


#: How much of what was read is compared: Syncthing replaces a file whole (a
#: new inode) for every change, so only the content says whether the lines
#: already read are still there.
_TAIL = 64


def parse_line(line: bytes) -> dict[str, Any] | None:
    """One record, or None when the line is not one (counted as bad)."""
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nested too deep ("[[[[...")
        return None
    if not isinstance(rec, dict):
        return None
    kind = rec.get("k")
    if not isinstance(kind, str) or kind not in KINDS:
        return None
    for key in KINDS[kind]:
        v = rec.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return None
    for key in _TEXT & rec.keys():
        if not isinstance(rec[key], str) or len(rec[key]) > 32:
            return None
    if kind in ("a", "se", "br") and rec["b"] < rec["a"]:
        return None
    return rec


def whole_lines(data: bytes) -> Iterator[tuple[bytes, dict[str, Any] | None]]:
    """Each non-empty line of `data` (whole lines only) and its record, None if it is not one."""
    for line in data.splitlines():
        if line.strip():
            yield line, parse_line(line)


@dataclass
class SyncReader:
    """The other machines' new lines, found by a cheap look at the folder.

    A poll stats the folder, each host's directory, its manifest and the
    segments that can still grow; a directory is listed again, and a file
    opened again, only when its stat changed since it was last read (or it
    had changed too recently then to be sure: RACY_S). With nothing new, a
    poll opens nothing. What it keeps of a computer or a file that went
    from the folder is dropped once it has been gone for FORGET_S, so a
    daemon running for months holds only what the folder holds.
    """

    folder: Path
    own: str
    peers: dict[str, Peer] = field(default_factory=dict)
    conflicts: int = 0
    temporary: int = 0
    problem: str | None = None
    files_read: int = 0  # manifests and segments opened, all polls together
    dirs_listed: int = 0  # directories listed (the folder and each host's)
    #: The clock of file times: this machine's, whatever clock `now` is.
    wall_ns: Callable[[], int] = field(default=time.time_ns, repr=False)
    _files: dict[Path, _FileState] = field(default_factory=dict)
    _warned: set[str] = field(default_factory=set)
    _folder_seen: _Seen = field(default_factory=_Seen)
    _hosts: list[tuple[str, Path]] = field(default_factory=list)
    _listings: dict[str, _Listing] = field(default_factory=dict)
    _manifests: dict[str, _Seen] = field(default_factory=dict)
    _bad_manifest: set[str] = field(default_factory=set)
    #: When a host (by id) or a file, known before, was first missing from a listing.
    _hosts_gone: dict[str, float] = field(default_factory=dict)
    _files_gone: dict[Path, float] = field(default_factory=dict)

    def poll(self, now: float) -> list[PeerRecord]:
        """Everything new since the last poll, oldest file first."""
        out: list[PeerRecord] = []
        wall_ns = self.wall_ns()
        try:
            hosts = self._list_hosts(now, wall_ns)
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError)
            why = _MISSING if missing else f"the folder cannot be read: {exc.strerror or exc}"
            self._problem(why)
            return out
        if self.problem is not None:
            log.warning("the sync folder %s can be read again", self.folder)
            self.problem = None
        conflicts = temporary = 0
        for host, path in hosts:
            c, t = self._read_host(path, host, now, wall_ns, out)
            conflicts += c
            temporary += t
        self.conflicts, self.temporary = conflicts, temporary
        for peer in self.peers.values():
            peer.judge_clock(now)
        if self._hosts_gone or self._files_gone:
            self._forget(now)
        return out

    def _list_hosts(self, now: float, wall_ns: int) -> list[tuple[str, Path]]:
        """The other hosts' directories: listed again only when the folder changed."""
        st = os.stat(self.folder)
        if self._folder_seen.unchanged(st):
            return self._hosts
        self.dirs_listed += 1
        with os.scandir(self.folder) as it:
            self._hosts = sorted(
                (e.name, Path(e.path))
                for e in it
                if e.name != self.own and _HOST_ID.match(e.name) and e.is_dir(follow_symlinks=False)
            )
        self._folder_seen.read(st, wall_ns)
        listed = {host for host, _ in self._hosts}
        for host in self.peers:
            if host in listed:
                self._hosts_gone.pop(host, None)
            else:
                self._hosts_gone.setdefault(host, now)
        return self._hosts

    def _read_host(
        self, path: Path, host: str, now: float, wall_ns: int, out: list[PeerRecord]
    ) -> tuple[int, int]:
        peer = self.peers.get(host)
        if peer is None:
            peer = self.peers[host] = Peer(host, host)
        listing = self._list_host(path, host, now, wall_ns)
        if listing is None:
            return 0, 0
        if listing.manifest:
            self._read_manifest(path / MANIFEST, peer, wall_ns)
        for day, segment_path in listing.segments:
            self._read_segment(segment_path, day, peer, now=now, wall_ns=wall_ns, out=out)
        return listing.conflicts, listing.temporary

    def _list_host(self, path: Path, host: str, now: float, wall_ns: int) -> _Listing | None:
        """One host's files: listed again only when its directory changed (a
        file added, removed or replaced; an append in place does not change
        the directory, and needs no new listing)."""
        listing = self._listings.get(host)
        try:
            st = os.stat(path, follow_symlinks=False)
            if listing is not None and listing.seen.unchanged(st):
                return listing
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            if listing is not None:
                listing.seen.key = None  # listed again when it can be read
            return None
        self.dirs_listed += 1
        before = listing
        listing = _Listing(_Seen(), manifest=False, segments=[], conflicts=0, temporary=0)
        for e in entries:
            if is_conflict(e.name):
                listing.conflicts += 1
            elif is_temporary(e.name):
                listing.temporary += 1
            elif e.name == MANIFEST:
                listing.manifest = True
            else:
                m = _SEGMENT.match(e.name)
                if m:
                    listing.segments.append((m.group(1), Path(e.path)))
        listing.segments.sort()
        listing.seen.read(st, wall_ns)
        self._listings[host] = listing
        if before is not None:
            self._missed(before, listing, now)
        return listing

    def _missed(self, before: _Listing, listing: _Listing, now: float) -> None:
        """Note the files read before that a host's new listing lacks, and
        those back in it."""
        days = {day for day, _path in listing.segments}  # a day names its file
        for day, path in before.segments:
            if day not in days and path in self._files:
                self._files_gone.setdefault(path, now)
        if self._files_gone:
            for _day, path in listing.segments:
                self._files_gone.pop(path, None)

    def _forget(self, now: float) -> None:
        """Drop what is kept of the hosts and files gone for FORGET_S."""
        for host, since in list(self._hosts_gone.items()):
            if now - since < FORGET_S:
                continue
            del self._hosts_gone[host]
            for cache in (self.peers, self._listings, self._manifests):
                cache.pop(host, None)
            self._bad_manifest.discard(host)
            self._warned.discard(host)
            gone_dir = self.folder / host
            for path in [p for p in self._files if p.parent == gone_dir]:
                del self._files[path]
                self._files_gone.pop(path, None)
        for path, since in list(self._files_gone.items()):
            if now - since >= FORGET_S:
                del self._files_gone[path]
                self._files.pop(path, None)

    def _read_if_changed(
        self, path: Path, seen: _Seen, wall_ns: int, read: Callable[[BinaryIO, int], bytes]
    ) -> bytes | None:
        """What `read` takes from the file (open, and its size) if its stat
        changed since it was last read (`seen`), and `seen` remembers this read.

        None when nothing is to be read: the stat is unchanged (`seen` keeps
        it), or the file cannot be read (`seen` forgets it, so whatever comes
        back under this name is read).
        """
        try:
            if seen.unchanged(os.stat(path)):
                return None
            self.files_read += 1
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                data = read(f, st.st_size)
        except OSError:
            seen.key = None
            return None
        seen.read(st, wall_ns)
        return data

    def _read_manifest(self, path: Path, peer: Peer, wall_ns: int) -> None:
        seen = self._manifests.setdefault(peer.id, _Seen())
        data = self._read_if_changed(path, seen, wall_ns, lambda f, _size: f.read())
        if data is None:
            return
        name, why = _manifest_name(data)
        if name is not None:
            peer.name = name
            self._bad_manifest.discard(peer.id)
        elif peer.id not in self._bad_manifest:
            self._bad_manifest.add(peer.id)
            log.warning(
                'ignoring %s: %s (expected a JSON object with the computer\'s "name"); '
                "it is still called %s",
                path,
                why,
                peer.name,
            )

    def _read_segment(
        self,
        path: Path,
        day: str,
        peer: Peer,
        *,
        now: float,
        wall_ns: int,
        out: list[PeerRecord],
    ) -> None:
        state = self._files.setdefault(path, _FileState())
        if state.settled:
            return
        data = self._read_if_changed(
            path, state.seen, wall_ns, lambda f, size: self._read_from(f, state, size)
        )
        if data is None:
            # Unchanged since it was read (an unreadable file has no stat
            # kept): a day from before yesterday is not looked at again.
            unchanged = state.seen.key is not None
            state.settled = unchanged and _days_between(day, utc_day(now)) > _SETTLED_DAYS
            return
        end = data.rfind(b"\n")
        if end < 0:
            return  # a line still being written: read it when the file has grown
        state.offset += end + 1
        state.tail = data[max(0, end + 1 - _TAIL) : end + 1]
        for line, rec in whole_lines(data[: end + 1]):
            if rec is None:
                peer.bad_lines += 1
                if peer.id not in self._warned:
                    self._warned.add(peer.id)
                    log.warning(
                        "skipping a bad line from %s in %s (more are only counted): %r",
                        peer.name,
                        path.name,
                        line[:80],
                    )
                continue
            self._take(peer, rec, now, out)

    @staticmethod
    def _read_from(f: BinaryIO, state: _FileState, size: int) -> bytes:
        """The bytes after what was read; all of them when the file is no
        longer the one read (a folder made again, a file replaced)."""
        if state.offset:
            f.seek(state.offset - len(state.tail))
            if size < state.offset or f.read(len(state.tail)) != state.tail:
                state.offset, state.tail = 0, b""
                f.seek(0)
        return f.read(max(0, size - state.offset))

    def _take(self, peer: Peer, rec: dict[str, Any], now: float, out: list[PeerRecord]) -> None:
        peer.records += 1
        t = float(rec.get("t", rec.get("b", 0.0)))
        peer.saw_time(t, now)
        peer.last_t = max(peer.last_t, min(t, now))
        if rec["k"] == "a":
            peer.last_input = max(peer.last_input, min(float(rec["b"]), now))
        out.append(PeerRecord(peer.id, rec))

    def _problem(self, why: str) -> None:
        if self.problem is None:
            log.warning("cannot read the sync folder %s: %s; trying again", self.folder, why)
        self.problem = why

    def latest_elsewhere(self) -> Peer | None:
        """The peer with the latest input, if any."""
        best = None
        for p in self.peers.values():
            if p.last_input > -math.inf and (best is None or p.last_input > best.last_input):
                best = p
        return best


def manifest_name(path: Path) -> str | None:
    """The display name a host's manifest gives, if it can be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return _manifest_name(data)[0]


def _manifest_name(data: bytes) -> tuple[str | None, str]:
    """The display name in a manifest's bytes, or None and what is wrong."""
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError):
        return None, "not JSON"
    name = manifest.get("name") if isinstance(manifest, dict) else None
    if isinstance(name, str) and name.strip() and len(name) <= 64:
        return "".join(ch for ch in name if ch.isprintable()), ""
    return None, "no name of 1 to 64 characters"


def _days_between(a: str, b: str) -> int:
    return (dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days


# ------------------------------------------------------------------ both


class SyncLink:
    """The daemon's link to the folder: its writer and its reader."""

    def __init__(self, folder: Path, host: str, name: str) -> None:
        self.folder = folder
        self.host = host
        self.name = name
        self.writer = SyncWriter(folder, host, name)
        self.reader = SyncReader(folder, host)
        self._next_read = -math.inf

    def tick(self, now: float) -> list[PeerRecord]:
        """Write what is queued; every few seconds, what the others wrote."""
        self.writer.tick(now)
        if now < self._next_read:
            return []
        self._next_read = now + READ_EVERY_S
        return self.reader.poll(now)

    def close(self, now: float) -> None:
        w = self.writer
        w.closing = True
        w.end_span()  # written whole, with the time of its last input
        w.flush(now)
        if w.pending:
            log.warning(
                "stopping with %s for the other computers not written to %s: %s; "
                "this computer's own record is complete",
                count(w.pending, "record"),
                self.folder,
                w.problem,
            )

    @property
    def problem(self) -> str | None:
        return self.writer.problem or self.reader.problem

    def status(self, now: float) -> dict[str, object]:
        return {
            "folder": str(self.folder),
            "host": self.host,
            "name": self.name,
            "problem": self.problem,
            "pending": self.writer.pending,
            "conflicts": self.reader.conflicts,
            "temporary": self.reader.temporary,
            "peers": [p.as_dict(now) for p in self.reader.peers.values()],
        }


def folder_of(config: Config) -> Path | None:
    """The configured sync folder, `~` expanded; None: sync is off."""
    text = config.sync_folder.strip()
    return Path(text).expanduser() if text else None


def open_link(config: Config) -> SyncLink | None:
    """The daemon's link to the folder, if one is configured."""
    folder = folder_of(config)
    if folder is None:
        return None
    return SyncLink(folder, host_id(paths.data_dir()), config.sync_name.strip() or default_name())


# ------------------------------------------------------------------ the whole folder


@dataclass
class HostHistory:
    """Everything one host wrote, for the merged report."""

    id: str
    name: str
    spans: list[tuple[float, float]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)  # lock/unlock/suspend/resume
    bad_lines: int = 0


def read_folder(folder: Path) -> list[HostHistory]:
    """Every host's records in the folder (this one's too), read whole."""
    hosts: list[HostHistory] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return hosts
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) or not _HOST_ID.match(entry.name):
            continue
        h = HostHistory(entry.name, manifest_name(Path(entry.path) / MANIFEST) or entry.name)
        for rec in _records(Path(entry.path), h):
            kind = rec["k"]
            if kind == "a":
                h.spans.append((float(rec["a"]), float(rec["b"])))
            elif kind == "p":
                h.prompts.append(rec)
            elif kind == "an":
                h.answers.append(rec)
            elif kind in ("lk", "ul", "sp", "rs"):
                h.context.append(rec)
        h.spans = merge_spans(h.spans)
        hosts.append(h)
    return sorted(hosts, key=lambda h: (h.name, h.id))


def _records(path: Path, h: HostHistory) -> Iterator[dict[str, Any]]:
    with contextlib.suppress(OSError):
        for e in sorted(os.scandir(path), key=lambda e: e.name):
            if not _SEGMENT.match(e.name):
                continue
            try:
                data = Path(e.path).read_bytes()
            except OSError:
                continue
            for _line, rec in whole_lines(data[: data.rfind(b"\n") + 1]):
                if rec is None:
                    h.bad_lines += 1
                else:
                    yield rec


def merge_spans(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Progress records of one span (same start, growing end) and overlapping
    spans, as one list of disjoint spans in time order."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
