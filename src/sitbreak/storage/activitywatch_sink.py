"""The daemon's sessions and breaks, posted to an ActivityWatch server as they end.

With `[activitywatch] server` set, each finished session and break becomes an
event of the bucket `sitbreak_HOST` (type `sitbreak.sitting`, sitbreak's own)
so that sitting shows in ActivityWatch's timeline beside everything else it
records.

The daemon's loop must never wait on the network: `session_ended` and
`break_taken` only put an event on a bounded queue and return. A thread of
its own posts the queue; when the server is down, slow or answering errors,
events stay queued and are tried again every `retry_s` (one warning when
posting stops working, one when it works again). When more than `max_queue`
are waiting, the oldest are dropped, with one warning. At shutdown the thread
gets `close_timeout_s` to send what is left.

Given the store, the sink keeps how far posting got (the end of the last
session or break the server accepted) in the store's meta table, and when
the daemon starts again it queues what ended after that first: a server that
was down when the daemon stopped (or the machine rebooted) still gets every
session. The first time, it starts from now; `sitbreak export activitywatch`
writes the history before.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING

from sitbreak.core import BreakTaken, SessionEnded
from sitbreak.errors import SitbreakError
from sitbreak.storage.activitywatch import (
    ActivityWatchError,
    break_event,
    bucket_meta,
    request_json,
    session_event,
    sitbreak_bucket_id,
)

if TYPE_CHECKING:
    from sitbreak.storage.store import Store

log = logging.getLogger("sitbreak.activitywatch")

#: The store's meta key of how far posting to a bucket got (epoch seconds).
POSTED_KEY = "activitywatch.posted_until:"

#: How many events may wait for the server; more drop the oldest.
MAX_QUEUE = 1000
#: Events sent in one request.
BATCH = 100


class ActivityWatchSink:
    """Sessions and breaks to an ActivityWatch server, from a thread of its own."""

    name = "activitywatch"

    def __init__(
        self,
        server: str,
        hostname: str,
        *,
        max_queue: int = MAX_QUEUE,
        timeout_s: float = 5.0,
        retry_s: float = 30.0,
        close_timeout_s: float = 2.0,
        store: Store | None = None,
        now: float | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.hostname = hostname
        self.bucket = sitbreak_bucket_id(hostname)
        self._max_queue = max_queue
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._close_timeout_s = close_timeout_s
        # (end, event): the end moves the posted-until mark once the event is sent.
        self._queue: collections.deque[tuple[float, dict[str, object]]] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._bucket_ready = False
        self._failing = False
        self._dropped = 0
        self.sent = 0  # events the server accepted (for tests and status)
        self._store = store
        self._posted_until = self._catch_up(store, time.time() if now is None else now)
        self._thread = threading.Thread(
            target=self._run, name="sitbreak-activitywatch", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------ the loop's side (never blocks)

    def session_ended(self, s: SessionEnded) -> None:
        if s.end > s.start:
            self._put(s.end, session_event(s.start, s.end, s.cause.value))

    def break_taken(self, b: BreakTaken) -> None:
        if b.end > b.start:
            self._put(b.end, break_event(b.start, b.end, b.cause.value))

    def _catch_up(self, store: Store | None, now: float) -> float:
        """Queue what the store has that ended after the last post; the mark to go on from."""
        if store is None:
            return now
        key = POSTED_KEY + self.bucket
        try:
            mark = store.meta(key)
            if mark is None:  # posting starts now
                store.set_meta(key, repr(now))
                return now
            since = float(mark)
            missed: list[tuple[float, dict[str, object]]] = [
                (x.end, session_event(x.start, x.end, x.cause.value))
                for x in store.sessions_between(since, float("inf"))
                if x.end > since and x.start >= since and x.end > x.start
            ]
            missed += [
                (b.end, break_event(b.start, b.end, b.cause.value))
                for b in store.breaks_between(since, float("inf"))
                if b.start >= since and b.end > b.start
            ]
        except (SitbreakError, ValueError) as exc:
            log.warning("cannot tell what was posted to ActivityWatch before: %s", exc)
            return now
        missed.sort(key=lambda item: item[0])
        for end, event in missed[-self._max_queue :]:
            self._queue.append((end, event))
        if missed:
            log.info("%d sessions and breaks to post to ActivityWatch from before", len(missed))
        return since

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def _put(self, end: float, event: dict[str, object]) -> None:
        with self._cond:
            if self._closing:
                return
            self._queue.append((end, event))
            if len(self._queue) > self._max_queue:
                self._queue.popleft()
                self._dropped += 1
                if self._dropped == 1:
                    log.warning(
                        "%s: more than %d sessions and breaks waiting for ActivityWatch; "
                        "dropping the oldest",
                        self.server,
                        self._max_queue,
                    )
            self._cond.notify()

    def close(self) -> None:
        """Send what is queued, for at most `close_timeout_s`, then stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(self._close_timeout_s)
        left = self.pending
        if left:
            log.warning(
                "%s: %d sessions and breaks could not be posted to ActivityWatch before exit",
                self.server,
                left,
            )

    # --------------------------------------------------------- the thread

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return  # closing, nothing left
                batch = list(self._queue)[:BATCH]
            if self._send([event for _end, event in batch]):
                with self._cond:
                    for _ in batch:
                        if self._queue:
                            self._queue.popleft()
                self._mark(max(end for end, _event in batch))
                continue
            with self._cond:
                if self._closing:
                    return  # no retries at exit: the daemon is stopping
                self._cond.wait(self._retry_s)

    def _mark(self, end: float) -> None:
        if self._store is None or end <= self._posted_until:
            return
        self._posted_until = end
        try:
            self._store.set_meta(POSTED_KEY + self.bucket, repr(end))
        except Exception:  # a mark not kept means a re-post after a restart, no more
            log.debug("cannot keep how far posting to ActivityWatch got", exc_info=True)

    def _send(self, batch: list[dict[str, object]]) -> bool:
        try:
            if not self._bucket_ready:
                self._ensure_bucket()
            request_json(
                f"{self.server}/api/0/buckets/{self.bucket}/events",
                method="POST",
                body=batch,
                timeout_s=self._timeout_s,
            )
        except ActivityWatchError as exc:
            if not self._failing:
                self._failing = True
                log.warning(
                    "cannot post to ActivityWatch (%s); keeping %d sessions and breaks to send "
                    "when it answers",
                    exc,
                    self.pending,
                )
            self._bucket_ready = False  # the server may have been reset: check again
            return False
        except Exception:  # the thread must not die: whatever it was, try again later
            log.exception("posting to ActivityWatch failed")
            return False
        self.sent += len(batch)
        if self._failing:
            self._failing = False
            log.warning("ActivityWatch at %s answers again; posting", self.server)
        return True

    def _ensure_bucket(self) -> None:
        request_json(
            f"{self.server}/api/0/buckets/{self.bucket}",
            method="POST",
            body=bucket_meta(self.hostname, time.time()),
            timeout_s=self._timeout_s,
            accept=(304,),  # it exists already
        )
        self._bucket_ready = True
