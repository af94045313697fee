"""Posting sessions and breaks to ActivityWatch: never waiting, queueing while it is away.

A local HTTP server stands in for ActivityWatch here so that it can refuse,
hang and come back on cue; the real server is in test_e2e_activitywatch.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from activitywatch_server import QuietHandler, local_http
from sitbreak.core import BreakTaken, Cause, SessionEnded
from sitbreak.storage.activitywatch_sink import ActivityWatchSink
from sitbreak.storage.store import Store

T0 = 1_796_025_600.0  # 2026-11-30 08:00 UTC


@dataclass
class FakeAw:
    url: str
    mode: str = "ok"  # "ok", "error" (500) or "hang"
    buckets: dict[str, dict[str, object]] = field(default_factory=dict)
    events: list[dict[str, object]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def fake_aw() -> Iterator[FakeAw]:
    state = FakeAw("")

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if state.mode == "hang":
                state.release.wait(30)
                return
            if state.mode == "error":
                self.answer(500, b'{"message": "database is locked"}')
                return
            parts = self.path.strip("/").split("/")  # api 0 buckets ID [events]
            if len(parts) == 4:
                if parts[3] in state.buckets:
                    self.answer(304, b"")
                    return
                state.buckets[parts[3]] = body
            else:
                state.events.extend(body)
            self.answer(200, b"")

    with local_http(Handler, state.release) as url:
        state.url = url
        yield state


def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def session(n: int) -> SessionEnded:
    start = T0 + n * 3600
    return SessionEnded(start + 40 * 60, start, start + 30 * 60, Cause.IDLE)


def test_sessions_and_breaks_reach_their_own_bucket(fake_aw: FakeAw) -> None:
    sink = ActivityWatchSink(fake_aw.url, "desk")
    sink.session_ended(session(0))
    sink.break_taken(BreakTaken(T0 + 3600, T0 + 1800, T0 + 3600, Cause.LOCK))
    wait_until(lambda: len(fake_aw.events) == 2)
    sink.close()
    bucket = fake_aw.buckets["sitbreak_desk"]
    assert (bucket["type"], bucket["client"], bucket["hostname"]) == (
        "sitbreak.sitting",
        "sitbreak",
        "desk",
    )
    first, second = fake_aw.events
    assert first["timestamp"] == "2026-11-30T08:00:00.000000+00:00"
    assert first["duration"] == 1800
    assert first["data"] == {"status": "sitting", "label": "sitting", "ended_by": "idle"}
    assert second["data"] == {"status": "break", "label": "break", "cause": "lock"}


def test_a_hanging_server_never_delays_the_caller_and_posts_wait(fake_aw: FakeAw) -> None:
    fake_aw.mode = "hang"
    sink = ActivityWatchSink(fake_aw.url, "desk", timeout_s=0.5, retry_s=0.2, close_timeout_s=1)
    began = time.monotonic()
    for n in range(20):
        sink.session_ended(session(n))
    assert time.monotonic() - began < 0.05  # the loop's side only queues
    time.sleep(1.0)  # a few timed-out tries
    assert fake_aw.events == [] and sink.pending == 20
    fake_aw.mode = "ok"  # back: everything that waited goes, in order
    wait_until(lambda: len(fake_aw.events) == 20)
    stamps = [str(e["timestamp"]) for e in fake_aw.events]
    assert stamps == sorted(stamps)
    sink.close()


def test_errors_keep_posts_queued_with_one_warning_and_the_queue_is_bounded(
    fake_aw: FakeAw, caplog: pytest.LogCaptureFixture
) -> None:
    fake_aw.mode = "error"
    caplog.set_level(logging.WARNING, "sitbreak.activitywatch")
    sink = ActivityWatchSink(fake_aw.url, "desk", max_queue=5, retry_s=0.1, close_timeout_s=1)
    for n in range(8):
        sink.session_ended(session(n))
    time.sleep(0.5)  # several failed tries
    assert sink.pending == 5  # the three oldest were dropped
    warnings = [r.getMessage() for r in caplog.records]
    assert sum("cannot post to ActivityWatch" in w for w in warnings) == 1
    assert sum("dropping the oldest" in w for w in warnings) == 1
    assert any("500 INTERNAL SERVER ERROR" in w or "500" in w for w in warnings)
    fake_aw.mode = "ok"
    wait_until(lambda: len(fake_aw.events) == 5)
    assert fake_aw.events[0]["timestamp"] == "2026-11-30T11:00:00.000000+00:00"  # session 3
    assert any("answers again" in r.getMessage() for r in caplog.records)
    sink.close()


def test_close_gives_up_after_its_timeout(
    fake_aw: FakeAw, caplog: pytest.LogCaptureFixture
) -> None:
    fake_aw.mode = "hang"
    sink = ActivityWatchSink(fake_aw.url, "desk", timeout_s=10, close_timeout_s=0.5)
    sink.session_ended(session(0))
    began = time.monotonic()
    sink.close()
    assert time.monotonic() - began < 2
    assert "could not be posted to ActivityWatch before exit" in caplog.text


def test_what_a_stopped_daemon_could_not_post_goes_when_it_starts_again(
    fake_aw: FakeAw, tmp_path: Path
) -> None:
    with Store.open(tmp_path / "sitbreak.db") as store:
        # Posting starts the first time the sink is made: nothing from before goes.
        store.session_ended(session(-1))
        ActivityWatchSink(fake_aw.url, "desk", store=store, now=T0).close()
        fake_aw.mode = "error"  # then the server stops answering, and the daemon stops
        sink = ActivityWatchSink(fake_aw.url, "desk", store=store, retry_s=0.1, close_timeout_s=0.5)
        for n in range(3):
            store.session_ended(session(n))
            sink.session_ended(session(n))
        time.sleep(0.3)
        sink.close()
        assert fake_aw.events == []
        # The daemon starts again with the server back: the three go, once.
        fake_aw.mode = "ok"
        sink = ActivityWatchSink(fake_aw.url, "desk", store=store)
        wait_until(lambda: len(fake_aw.events) == 3)
        sink.close()
        assert [e["timestamp"] for e in fake_aw.events] == [
            "2026-11-30T08:00:00.000000+00:00",
            "2026-11-30T09:00:00.000000+00:00",
            "2026-11-30T10:00:00.000000+00:00",
        ]
        again = ActivityWatchSink(fake_aw.url, "desk", store=store)
        time.sleep(0.3)
        again.close()
        assert len(fake_aw.events) == 3
