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
"""

from __future__ import annotations

import collections
import logging
import threading
import time

from sitbreak.core import BreakTaken, SessionEnded
from sitbreak.storage.activitywatch import (
    ActivityWatchError,
    break_event,
    bucket_meta,
    request_json,
    session_event,
    sitbreak_bucket_id,
)

log = logging.getLogger("sitbreak.activitywatch")

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
    ) -> None:
        self.server = server.rstrip("/")
        self.hostname = hostname
        self.bucket = sitbreak_bucket_id(hostname)
        self._max_queue = max_queue
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._close_timeout_s = close_timeout_s
        self._queue: collections.deque[dict[str, object]] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._bucket_ready = False
        self._failing = False
        self._dropped = 0
        self.sent = 0  # events the server accepted (for tests and status)
        self._thread = threading.Thread(
            target=self._run, name="sitbreak-activitywatch", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------ the loop's side (never blocks)

    def session_ended(self, s: SessionEnded) -> None:
        if s.end > s.start:
            self._put(session_event(s.start, s.end, s.cause.value))

    def break_taken(self, b: BreakTaken) -> None:
        if b.end > b.start:
            self._put(break_event(b.start, b.end, b.cause.value))

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def _put(self, event: dict[str, object]) -> None:
        with self._cond:
            if self._closing:
                return
            self._queue.append(event)
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
            if self._send(batch):
                with self._cond:
                    for _ in batch:
                        if self._queue:
                            self._queue.popleft()
                continue
            with self._cond:
                if self._closing:
                    return  # no retries at exit: the daemon is stopping
                self._cond.wait(self._retry_s)

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
