"""The daemon's writes as they wait to be written: one op a write, and the SQL of each.

`database.Database` keeps the ops in memory and, when it flushes, applies them
in order in one transaction (`APPLY` maps an op's kind to its SQL). A
session's start, checkpoints and end update the daemon's one row for that
start, adding it when it is missing. A queue past its bound drops ops by
kind, least valuable first (`DROP_ORDER`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, NamedTuple

from sitbreak.storage.schema import CRASH, DAEMON

# Ops the queue may shed when it is full, least valuable first. A later
# checkpoint supersedes an earlier one, so the oldest checkpoints go first;
# session starts and ends are never dropped.
DROP_ORDER = (
    "checkpoint",
    "learned",
    "timeline",
    "prune",
    "outcome",
    "meta",
    "day",
    "prompt",
    "break",
)


class _Op(NamedTuple):
    """One queued write: its kind (a key of APPLY) and the parameters of its SQL."""

    kind: str
    params: tuple[Any, ...]


def _insert_open_if_absent(conn: sqlite3.Connection, start: float, end: float) -> None:
    conn.execute(
        'INSERT INTO sessions (start, "end", open, source) SELECT ?, ?, 1, ? '
        "WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE source = ? AND start = ?)",
        (start, end, DAEMON, DAEMON, start),
    )


# The daemon's row for the session that started at `start`: the open one, or
# one wrongly closed as crashed by a store opened beside a live daemon.
_OURS = f"WHERE source = ? AND start = ? AND (open = 1 OR cause = '{CRASH}')"


def _apply_session_started(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    (start,) = p
    _insert_open_if_absent(conn, start, start)


def _apply_checkpoint(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    start, last_seen = p
    cur = conn.execute(
        f'UPDATE sessions SET "end" = max("end", ?), open = 1, cause = NULL {_OURS}',
        (last_seen, DAEMON, start),
    )
    if cur.rowcount == 0:  # no session_started seen: the checkpoint alone still counts
        _insert_open_if_absent(conn, start, last_seen)


def _apply_session_ended(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    t, start, end, cause = p
    cur = conn.execute(
        f'UPDATE sessions SET "end" = ?, cause = ?, noticed = ?, open = 0 {_OURS}',
        (end, cause, t, DAEMON, start),
    )
    if cur.rowcount == 0:
        conn.execute(
            'INSERT INTO sessions (start, "end", cause, open, noticed, source) '
            "VALUES (?, ?, ?, 0, ?, ?)",
            (start, end, cause, t, DAEMON),
        )


def _apply_break(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    conn.execute(
        'INSERT INTO breaks (noticed, start, "end", cause, source) VALUES (?, ?, ?, ?, ?)', p
    )


def _apply_prompt(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    conn.execute("INSERT INTO prompts (t, kind, level, seated_s, source) VALUES (?, ?, ?, ?, ?)", p)


def _apply_outcome(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    t, kind, outcome = p
    conn.execute(
        "UPDATE prompts SET outcome = ? WHERE source = ? AND t = ? AND kind = ?",
        (outcome, DAEMON, t, kind),
    )


def _apply_day(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    conn.execute(
        "INSERT INTO days (date, source, tz, figures, written) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (date, source) DO UPDATE SET "
        "tz = excluded.tz, figures = excluded.figures, written = excluded.written",
        p,
    )


def _apply_meta(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        p,
    )


#: What was learned under a name, replacing what was kept under it: (name, state, written).
#: The daemon's queued op and an import's batch (`batch_writes`) both write it.
UPSERT_LEARNED = (
    "INSERT INTO learned (name, state, written) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET state = excluded.state, written = excluded.written"
)


def _apply_learned(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    conn.execute(UPSERT_LEARNED, p)


def _source_id(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM timeline_sources WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    cur = conn.execute("INSERT INTO timeline_sources (name) VALUES (?)", (name,))
    return int(cur.lastrowid or 0)


def _apply_timeline(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    source, rows = p
    sid = _source_id(conn, source)
    conn.executemany(
        "INSERT INTO timeline (source, t, kind, arg) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (source, t) DO UPDATE SET kind = excluded.kind, arg = excluded.arg",
        [(sid, r.t_ms, r.kind, r.arg) for r in rows],
    )


def _apply_timeline_state(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    source, t_ms, state = p
    conn.execute(
        "INSERT INTO timeline_states (source, t, state) VALUES (?, ?, ?) "
        "ON CONFLICT (source, t) DO UPDATE SET state = excluded.state",
        (_source_id(conn, source), t_ms, state),
    )


def _apply_prune(conn: sqlite3.Connection, p: tuple[Any, ...]) -> None:
    (before_ms,) = p
    conn.execute("DELETE FROM timeline WHERE t < ?", (before_ms,))
    conn.execute("DELETE FROM timeline_states WHERE t < ?", (before_ms,))


APPLY: dict[str, Callable[[sqlite3.Connection, tuple[Any, ...]], None]] = {
    "session_started": _apply_session_started,
    "checkpoint": _apply_checkpoint,
    "session_ended": _apply_session_ended,
    "break": _apply_break,
    "prompt": _apply_prompt,
    "outcome": _apply_outcome,
    "day": _apply_day,
    "meta": _apply_meta,
    "learned": _apply_learned,
    "timeline": _apply_timeline,
    "prune": _apply_prune,
    "timeline_state": _apply_timeline_state,
}


class OpFailed(Exception):
    """An op the database rejected for what it is (a constraint), not for the state it is in."""

    def __init__(self, index: int, cause: sqlite3.Error) -> None:
        super().__init__(str(cause))
        self.index = index
        self.cause = cause
