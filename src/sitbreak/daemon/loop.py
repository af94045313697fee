"""`sitbreak run`: the background service, and the only place things are wired.

One thread runs the loop: every few seconds it asks the activity source when
the last input was, checks the clock for a suspend, takes what the context
monitors (lock, sleep, calls, videos) and the control socket have queued,
feeds all of it to the engine, and acts on what comes out: store it, notify,
log. Everything the engine decides is decided in `sitbreak.core`, the same
code `sitbreak replay` runs.

Failure never stops the loop: a notification that cannot be shown is logged,
a database that cannot be written keeps its writes pending (the store
retries), a context monitor that cannot start is reported once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sitbreak.clock import Clock
from sitbreak.config import Config, load_config
from sitbreak.core import (
    Activity,
    BreakNow,
    BreakTaken,
    Cause,
    DayFigures,
    DesktopBusy,
    Engine,
    Event,
    Output,
    Pause,
    PromptDue,
    PromptKind,
    PromptWithdrawn,
    Resume,
    SessionEnded,
    SessionStarted,
    Snooze,
    State,
    Suspend,
    Tick,
    Unlock,
    Unpause,
)
from sitbreak.core.days import next_midnight
from sitbreak.core.pauses import PauseModel, break_rule
from sitbreak.core.run import pause_model_for
from sitbreak.daemon.control import (
    ControlServer,
    ProtocolError,
    Request,
    clock_at,
    request_from_json,
    resumable,
)
from sitbreak.desktop.edges import EdgeWatcher
from sitbreak.desktop.notify import SNOOZE_S, PromptResponse, ResilientNotifier
from sitbreak.desktop.source import ActivitySource, SourceLost
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_FAILURE, EXIT_OK
from sitbreak.prompts import Message, PromptWriter
from sitbreak.storage.store import Store, append_summary, tz_label
from sitbreak.storage.sync import SPAN_GAP, PeerRecord, SyncLink
from sitbreak.storage.sync_words import across
from sitbreak.storage.timeline import RELOADED, STARTED, STOPPED, Recorder
from sitbreak.text import count, duration, got_up_phrase
from sitbreak.timezones import resolve_tz

log = logging.getLogger("sitbreak.daemon")

#: The loop's heartbeat: how often it asks the activity source. The X idle
#: counter gives the time of the *last* input whenever asked, and deadlines,
#: desktop signals and control requests wake the loop by themselves, so a
#: faster heartbeat buys nothing but wake-ups (measured: 1 s polling costs 2
#: wake-ups a second, 5 s polling 0.5; benchmarks/bench_daemon.py). At most
#: one activity event per heartbeat reaches the engine.
POLL_S = 5.0
#: The store's name for the pause model (core/pauses.py).
PAUSES_KEY = "pauses"
#: The store's name for the computers whose input made today's figures.
COMPUTERS_KEY = "sync_computers"
CHECKPOINT_S = 60.0
CALL_POLL_S = 5.0
RECONNECT_S = 5.0
#: A wall clock further off than this from our timeline is followed (between sessions).
REANCHOR_S = 2.0
#: This many failed loop turns in a row: exit, and let the service manager restart us.
MAX_FAILED_TURNS = 20
WATCH_POLL_S = 30.0
#: The periodic check that holds prompts while the desktop asks for quiet.
DESKTOP_BUSY = "do not disturb"
#: How long the control thread waits for the loop to answer.
CONTROL_TIMEOUT_S = 3.0
#: A peer's answer to a prompt older than this is history, not something to mirror
#: (a snooze lasts SNOOZE_S); "taking a break" is mirrored only while it is news.
ANSWER_FRESH_S = SNOOZE_S
BREAK_ANSWER_FRESH_S = 2 * 60.0
#: How often today's figures are read again for the publishers while nothing
#: happens (the open session's sitting time grows): the API's and the tray's
#: "once a minute".
PUBLISH_TODAY_S = 60.0

# Exit statuses, distinct so a service manager can tell them apart.


class Quiet(Protocol):
    """Says whether now is a bad time for a prompt (full screen, Do Not Disturb)."""

    def poll(self) -> str | None: ...

    def close(self) -> None: ...


class Monitor(Protocol):
    """Something that pushes events by itself (D-Bus signal threads)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class SessionSink(Protocol):
    """Somewhere else finished sessions and breaks go (ActivityWatch's timeline).

    Called from the loop: it must return at once, whatever the far end does.
    """

    name: str

    def session_ended(self, s: SessionEnded) -> None: ...

    def break_taken(self, b: BreakTaken) -> None: ...

    def close(self) -> None: ...


#: Takes a request in its wire form ({"cmd": "pause", "seconds": 600}) and
#: returns the daemon's answer, as the control socket does: the same checks
#: (`control.request_from_json`), the same handling.
RequestHandler = Callable[[Mapping[str, Any]], dict[str, Any]]


class Publisher(Protocol):
    """Shows the daemon's state on the desktop and takes requests from it
    (the D-Bus API, the tray icon).

    `start` is handed the daemon's request handler, which it may call from
    its own threads; `publish` is called on the loop's thread after every
    turn with the status (the document `sitbreak status --json` prints) and
    what the engine put out in that turn (and once before `start`, so it
    knows the state before it shows itself). It must not block: it compares
    and sends, nothing more, and never raises for a missing bus (it logs).
    """

    name: str

    def start(self, handler: RequestHandler) -> None: ...

    def publish(self, now: float, status: Mapping[str, Any], outputs: Sequence[Output]) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Periodic:
    """A context check run every `every` seconds (in a call? watching a video?).

    `poll` is an adapter's watcher, which queues its own start/end events;
    `close`, if given, is called once when the daemon stops."""

    name: str
    poll: Callable[[], object]
    every: float
    close: Callable[[], object] | None = None


class WiringError(SitbreakError):
    """The daemon was handed an incomplete or inconsistent set of parts."""


@dataclass(frozen=True)
class Wiring:
    """Everything the daemon talks to, assembled once and completely before it starts.

    `sitbreak.daemon.startup.build_wiring` makes the real one; tests make
    theirs with doubles. No part has a default and the daemon never edits
    this: a part left out is an error when the daemon is made, not a feature
    that silently never runs (that is how do-not-disturb was once lost).
    """

    clock: Clock
    #: Where every event for the loop is queued: D-Bus signal threads, the
    #: notifier's answers, control requests. A SimpleQueue: its put() may be
    #: called from a signal handler that interrupted the loop inside get()
    #: (Queue's lock would deadlock).
    inbox: queue.SimpleQueue[Any]
    source: ActivitySource
    notifier: ResilientNotifier
    store: Store
    #: Things that push events by themselves (D-Bus signal threads).
    monitors: tuple[Monitor, ...]
    #: Checks the loop runs now and then (calls, videos, do not disturb).
    periodic: tuple[Periodic, ...]
    #: Where sessions and breaks are also sent as they end ([activitywatch] server).
    sinks: tuple[SessionSink, ...]
    control_path: Path | None  # None: no control socket
    #: What shows the state on the desktop and takes requests from it: the
    #: D-Bus API, the tray icon. Empty where there is no session bus.
    publishers: tuple[Publisher, ...]
    summaries_path: Path | None  # None: no summaries.jsonl
    #: Tells the service manager how we are (sd_notify lines).
    service_notify: Callable[..., None]
    #: How often the service manager wants "WATCHDOG=1"; None: it does not.
    watchdog_s: float | None
    #: The folder shared with the person's other computers; None: this one alone.
    sync: SyncLink | None

    def __post_init__(self) -> None:
        parts = (self.monitors, self.periodic, self.sinks, self.publishers)
        if not all(isinstance(p, tuple) for p in parts):
            raise WiringError(
                "monitors, periodic checks, sinks and publishers are fixed at start-up: pass tuples"
            )
        names = [p.name for p in self.periodic]
        if len(set(names)) != len(names):
            raise WiringError(f"periodic checks named twice: {', '.join(sorted(names))}")


def desktop_busy_check(quiet: Quiet, emit: Callable[[Event], None], clock: Clock) -> Periodic:
    """Do Not Disturb and full-screen windows, as engine events that hold prompts.

    The desktop asking for quiet is one more thing that holds prompts, in the
    engine like pause and quiet hours, so the one still due comes afterwards.
    """
    busy = EdgeWatcher(lambda: quiet.poll() is not None, (_busy_on, _busy_off), emit, clock)
    return Periodic(DESKTOP_BUSY, busy.poll, POLL_S, close=quiet.close)


class EngineInterrupted(BaseException):
    """Raised by `stop_now()` inside the engine's work: stop without waiting for it.

    A BaseException, so that the loop's guard against failing turns (which
    carries on after any Exception) lets it through."""


class _ControlCall:
    """A control request handed from the socket thread to the loop, and its answer."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.done = threading.Event()
        self.response: dict[str, Any] = {"ok": False, "error": "the daemon did not answer in time"}


_Item = Event | _ControlCall | PromptResponse | None


class Daemon:
    def __init__(self, config: Config, wiring: Wiring, tz: dt.tzinfo, writer: PromptWriter) -> None:
        self.config = config
        self.w = wiring
        self.tz = tz
        self.writer = writer
        #: What was learned of the person's pauses, kept in the store.
        self.pauses = self._load_pauses()
        self.engine = Engine(config.engine, tz, pause_model_for(config.engine, self.pauses))
        #: Gives every event its engine time and keeps it in the store's timeline.
        self.timeline = Recorder(wiring.store, config.engine)
        self.inbox: queue.SimpleQueue[_Item] = wiring.inbox
        self._woken_by: _Item | None = None  # taken by _wait, handled first by _drain
        #: When each periodic check is next due (the wiring itself is never edited).
        self._next_check = dict.fromkeys((p.name for p in wiring.periodic), 0.0)
        self._failed_turns = 0
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._started = wiring.clock.now()
        self._today = self._date(self._started)
        self._next_checkpoint = self._started + CHECKPOINT_S
        self._midnight = next_midnight(self._started, tz)
        self._control: ControlServer | None = None
        self._source_lost = False
        self._blind: str | None = None  # why no activity can be seen now (None: it can)
        self._reconnect_at = 0.0
        self._next_watchdog = 0.0
        #: The latest input on this machine (not the others'): who is in use.
        self._local_input = -math.inf
        #: When the engine was told of a lock here (None: it was not, or it ended).
        self._locked_at: float | None = None
        #: Per peer, the latest activity already given to the engine.
        self._peer_fed: dict[str, float] = {}
        #: Per local date, the computers whose input reached the engine (id ->
        #: name): the day's summary says how many it covers. Kept in the store
        #: at each checkpoint, so a restart keeps the morning's.
        self._computers: dict[dt.date, dict[str, str]] = self._load_computers()
        self._computers_saved = {d: dict(c) for d, c in self._computers.items()}
        #: The prompt shown last, while it may still be on screen: (message, until).
        self._on_screen: tuple[Message, float] | None = None
        #: True while the engine is working on an event (see `stop_now`).
        self._engine_busy = False
        #: When the config was reloaded today (status names them: the figures moved).
        self._reloads: list[float] = []
        #: The last reload refused, while the file is still refused: (when, the problems).
        self._refused: tuple[float, str] | None = None
        #: What the engine put out since the publishers last heard, and the
        #: figures they were last shown (read again on a change, or each minute).
        self._unpublished: list[Output] = []
        self._published_today: dict[str, object] | None = None
        self._next_today = 0.0

    # ---------------------------------------------------------- lifecycle

    def run(self) -> int:
        """Run until `stop()`; returns the exit status."""
        self.begin()
        self._start_edges()
        describe = getattr(self.w.source, "describe", None)
        if describe is not None:
            log.info("activity source: %s", describe())
        log.info(
            "sitbreak is watching activity with %s; break after %s idle or a %s lock, "
            "move prompt after %s",
            self.w.source.name,
            duration(self.engine.break_idle),
            duration(self.config.engine.break_locked),
            duration(self.config.engine.move_after),
        )
        if self.w.sync is not None:
            log.info(
                "sharing with the other computers through %s as %s (id %s); "
                "this computer's files there are kept %s",
                self.w.sync.folder,
                self.w.sync.name,
                self.w.sync.host,
                count(round(self.config.sync_keep / 86400), "day"),
            )
        for warning in self.config.warnings:
            log.warning("%s", warning)
        self.w.service_notify("READY=1", f"STATUS={self._status_line(self.w.clock.now())}")
        status = EXIT_OK
        interrupted = False
        try:
            while not self._stop.is_set():
                if not self._turn():
                    status = EXIT_FAILURE
                    break
                self._wait()
        except EngineInterrupted:
            interrupted = True
            log.warning(
                "stopped while the engine was still working; the open session is closed "
                "at its last checkpoint when sitbreak starts again"
            )
        finally:
            self._shutdown(finish=not interrupted)
        return status

    def begin(self) -> None:
        """Mark the start in the timeline, with what the pause model knows, and
        forget the history older than `[history] keep` and this computer's
        files in the sync folder older than `[sync] keep` (before the loop)."""
        self._keep_state(self.timeline.marker(STARTED, self.w.clock.now()))
        self._prune_history(self.w.clock.now())

    def _turn(self) -> bool:
        """One step that cannot take the daemon down; False after too many failures in a row."""
        try:
            self.step()
        except Exception:
            self._failed_turns += 1
            log.exception(
                "a turn of the loop failed (%d in a row); carrying on", self._failed_turns
            )
            # Something is persistently broken: exit with a failure status so
            # the service manager restarts us afresh.
            return self._failed_turns < MAX_FAILED_TURNS
        self._failed_turns = 0
        return True

    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler or another thread)."""
        self._stop.set()
        self.inbox.put(None)

    def stop_now(self) -> None:
        """`stop()`, from the signal handler of the loop's own thread: if the
        engine is working on an event, it is interrupted (the engine is
        bounded, but a stop must never depend on it returning)."""
        self.stop()
        if self._engine_busy:
            self._engine_busy = False
            raise EngineInterrupted

    def reload(self) -> None:
        self._reload.set()
        self.inbox.put(None)

    def _start_edges(self) -> None:
        for m in self.w.monitors:
            try:
                m.start()
            except Exception:  # a monitor is optional: never fatal
                log.warning("could not start %s", type(m).__name__, exc_info=True)
        if self.w.control_path is not None:
            self._control = ControlServer(self.w.control_path, self._from_control_thread)
            self._control.start()
        # Publishers know the state before they show themselves: a panel that
        # asks the moment the name appears gets an answer, not blanks.
        self._publish(self.w.clock.now())
        for p in self.w.publishers:
            try:
                p.start(self._from_publisher_thread)
            except Exception:  # the desktop's view is optional: never fatal
                log.warning("could not start %s", p.name, exc_info=True)

    def _shutdown(self, finish: bool = True) -> None:
        self.w.service_notify("STOPPING=1", "STATUS=closing the session and saving the day")
        now = self.timeline.marker(STOPPED, self.w.clock.now())
        if finish:  # (an interrupted engine is left as it is, what it learned too)
            try:
                self._act(self._engine_call(self.engine.finish, now))
                self._save_pauses()
            except EngineInterrupted:
                log.warning("stopped before the session was closed; it is closed at next start")
        self._write_summary(self._today)
        if self.w.sync is not None:
            self.w.sync.close(now)
        self._next_today = 0.0  # the session just closed: the figures changed
        self._publish(now)
        if self._control is not None:
            self._control.stop()
        for p in self.w.publishers:
            try:
                p.stop()
            except Exception:
                log.debug("error stopping %s", p.name, exc_info=True)
        for m in self.w.monitors:
            try:
                m.stop()
            except Exception:
                log.debug("error stopping %s", type(m).__name__, exc_info=True)
        try:
            self.w.source.stop()
        except Exception:
            log.debug("error stopping the activity source", exc_info=True)
        self.w.notifier.close()
        for sink in self.w.sinks:
            try:
                sink.close()
            except Exception:
                log.debug("error closing %s", sink.name, exc_info=True)
        for check in self.w.periodic:
            if check.close is not None:
                try:
                    check.close()
                except Exception:
                    log.debug("error closing %s", check.name, exc_info=True)
        self.w.store.flush()
        if not self.w.store.healthy:
            log.error(
                "%d writes could not be saved to the database before exit",
                self.w.store.pending_count,
            )
        self.w.store.close()
        log.info("sitbreak stopped")

    # ---------------------------------------------------------- the loop

    def step(self) -> None:
        """One turn of the loop: gather what happened, feed the engine, act."""
        clock = self.w.clock
        slept = clock.poll_suspend()
        if slept is not None:
            log.info("the machine slept for %s", duration(slept.end - slept.start))
            self._feed(Suspend(slept.start))
            self._feed(Resume(slept.end))
            if self.w.sync is not None:
                self.w.sync.writer.record("sp", t=slept.start)
                self.w.sync.writer.record("rs", t=slept.end)
        self._poll_activity()
        now = clock.now()
        for check in self.w.periodic:
            if now >= self._next_check[check.name]:
                self._next_check[check.name] = now + check.every
                check.poll()  # watchers queue their own events, drained next
        self._drain()
        if self.w.sync is not None:
            self._sync(now)
        self._feed(Tick(now))
        if self._reload.is_set():
            self._reload.clear()
            self._reload_config()
        if now >= self._midnight:
            self._new_day(now)
        if now >= self._next_checkpoint:
            self._next_checkpoint = now + CHECKPOINT_S
            self._checkpoint()
            if not self.config.timezone:  # following the machine's zone
                self.check_timezone(lambda: resolve_tz(None))
            self._maybe_reanchor()
            self.w.service_notify(f"STATUS={self._status_line(now)}")
        if self.w.watchdog_s is not None and now >= self._next_watchdog:
            # Pinged from the loop itself: a hung loop stops the pings and
            # systemd restarts us.
            self._next_watchdog = now + self.w.watchdog_s / 2
            self.w.service_notify("WATCHDOG=1")
        self._publish(now)

    def _publish(self, now: float) -> None:
        """Show the publishers where things stand (they send only what changed)."""
        if not self.w.publishers:
            self._unpublished.clear()
            return
        outputs, self._unpublished = self._unpublished, []
        if outputs or now >= self._next_today:
            # Sessions, breaks and prompts change the day's figures; otherwise
            # only the open session's sitting grows, and once a minute will do.
            self._next_today = now + PUBLISH_TODAY_S
            self._published_today = self._today_figures(now)
        status = self.status(now, today=self._published_today)
        for p in self.w.publishers:
            try:
                p.publish(now, status, outputs)
            except Exception:
                log.warning("%s failed to publish the state", p.name, exc_info=True)

    def _wait(self) -> None:
        """Sleep until the next poll or deadline, waking at once for queued events."""
        now = self.w.clock.now()
        wake = now + POLL_S
        deadline = self.engine.next_deadline()
        if deadline is not None:
            wake = min(wake, deadline)
        if self.w.watchdog_s is not None:
            wake = min(wake, self._next_watchdog)
        timeout = max(0.0, wake - now)
        try:
            self._woken_by = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return

    def _poll_activity(self) -> None:
        try:
            t = self.w.source.poll()
        except SourceLost as exc:
            if not self._source_lost:
                self._source_lost = True
                log.warning("lost the activity source %s: %s; retrying", self.w.source.name, exc)
            self._blind = f"{self.w.source.name}: {exc}"
            self._try_reconnect()
            return
        except Exception as exc:
            # Anything else is as good as lost: say so once, then reconnect.
            if not self._source_lost:
                self._source_lost = True
                log.exception(
                    "the activity source %s failed: %s; retrying", self.w.source.name, exc
                )
            self._blind = f"{self.w.source.name} failed: {exc}"
            self._try_reconnect()
            return
        self._blind = None
        if self._source_lost:
            self._source_lost = False
            log.warning("the activity source %s works again", self.w.source.name)
        if t is not None:
            if t > self._local_input:
                self._local_input = t
                if self.w.sync is not None:
                    self.w.sync.writer.activity(t)
                    self._input_from(t, self.w.sync.host, self.w.sync.name)
            self._feed(Activity(t))

    def _try_reconnect(self) -> None:
        """A lost source closed itself; starting it again reconnects (every few seconds)."""
        now = self.w.clock.now()
        if now < self._reconnect_at:
            return
        self._reconnect_at = now + RECONNECT_S
        try:
            self.w.source.start()
        except Exception:  # still gone (the X server is restarting): later
            log.debug("reconnecting %s failed", self.w.source.name, exc_info=True)

    def _drain(self) -> None:
        """Handle everything queued, in the order it arrived."""
        while True:
            item, self._woken_by = self._woken_by, None
            if item is None:
                try:
                    item = self.inbox.get_nowait()
                except queue.Empty:
                    return
            if item is None:
                continue
            if isinstance(item, _ControlCall):
                try:
                    item.response = self._answer(item.request)
                except Exception as exc:  # the client gets an answer whatever happens
                    log.exception("answering %s failed", item.request.cmd)
                    item.response = {"ok": False, "error": f"sitbreak could not answer: {exc}"}
                finally:
                    item.done.set()
            elif isinstance(item, PromptResponse):
                self._response(item)
            else:
                log.info("%s", _describe_event(item))
                self._context(item)
                self._feed(item)

    def _feed(self, event: Event) -> None:
        # The engine sees the event as the timeline keeps it (whole
        # milliseconds, in order), so a replay of the timeline is exact.
        away = type(event) is Activity and self.engine.state in _AWAY
        self._act(self._engine_call(self.engine.handle, self.timeline.admit(event, away)))

    def _engine_call(
        self, call: Callable[[Any], tuple[Output, ...]], arg: Any
    ) -> tuple[Output, ...]:
        self._engine_busy = True
        try:
            return call(arg)
        finally:
            self._engine_busy = False

    # ---------------------------------------------------------- other computers

    def _context(self, event: Event) -> None:
        """A desktop event here: remembered for the lock rule, written for the others."""
        name = type(event).__name__
        if name == "Lock":
            self._locked_at = event.t
        elif name == "Unlock":
            self._locked_at = None
        link = self.w.sync
        kind = _SYNC_CONTEXT.get(name)
        if link is not None and kind is not None:
            link.writer.record(kind, t=event.t)

    def _sync(self, now: float) -> None:
        """Write what is queued for the others; act on what they wrote."""
        link = self.w.sync
        assert link is not None
        for pr in link.tick(now):
            kind = pr.rec["k"]
            if kind == "a":
                self._peer_activity(pr, now)
            elif kind == "an":
                self._peer_answer(pr, now)

    def _peer_activity(self, pr: PeerRecord, now: float) -> None:
        """The person typing on another computer: still sitting, for this one too.

        Only recent input matters here (older input is history, for the
        report); times in our future are a clock that is off, taken as now.
        Filled in every SPAN_GAP seconds, as it was typed, so the pause
        model sees no pause that was not there.
        """
        a, b = min(float(pr.rec["a"]), now), min(float(pr.rec["b"]), now)
        fed = self._peer_fed.get(pr.host, -math.inf)
        oldest = now - self.engine.break_idle
        if b <= fed or b < oldest:
            return
        self._peer_fed[pr.host] = b
        name = self._peer_name(pr.host)
        if (
            self._locked_at is not None
            and self.engine.state is State.LOCKED
            and b > self._locked_at
        ):
            # Locked here, typing there: the person moved, this is no break.
            log.info("typing on %s while locked here: still sitting", name)
            self._locked_at = None
            self._feed(Unlock(b))
        t = max(a, fed, oldest)
        self._input_from(t, pr.host, name)
        self._input_from(b, pr.host, name)
        while t < b:
            self._feed(Activity(t))
            t += SPAN_GAP
        self._feed(Activity(b))

    def _peer_answer(self, pr: PeerRecord, now: float) -> None:
        """A prompt answered on another computer: the same answer here, so it
        is not asked again."""
        link = self.w.sync
        assert link is not None
        peer = link.reader.peers[pr.host]
        t = min(float(pr.rec["t"]), now)
        if t <= peer.answered_t or t < now - ANSWER_FRESH_S:
            return
        peer.answered_t = t
        action = str(pr.rec.get("x", ""))
        if action == "break" and t < now - BREAK_ANSWER_FRESH_S:
            return  # "taking a break" long ago: whatever came after is a new stretch
        log.info("prompt answered on %s: %s", peer.name, action)
        self._apply_answer(action, t)

    def _peer_name(self, host: str) -> str:
        link = self.w.sync
        peer = link.reader.peers.get(host) if link is not None else None
        return peer.name if peer is not None else host

    def _in_use_elsewhere(self) -> str | None:
        """The other computer in use, if the latest input of all was there."""
        link = self.w.sync
        if link is None:
            return None
        peer = link.reader.latest_elsewhere()
        if peer is not None and peer.last_input > self._local_input:
            return peer.name
        return None

    # ---------------------------------------------------------- outputs

    def _act(self, outputs: tuple[Output, ...] | list[Output]) -> None:
        store = self.w.store
        self._unpublished.extend(outputs)
        for o in outputs:
            if self.w.sync is not None:
                self._share(o)
            if isinstance(o, SessionStarted):
                log.info("session started at %s", self._clock_time(o.t))
                store.session_started(o.t)
                self._save_pauses()  # the break before it taught the model
            elif isinstance(o, SessionEnded):
                log.info(
                    "session %s-%s (%s) ended: %s",
                    self._clock_time(o.start),
                    self._clock_time(o.end),
                    duration(o.end - o.start),
                    o.cause.value,
                )
                store.session_ended(o)
                self._to_sinks("session_ended", o)
            elif isinstance(o, BreakTaken):
                store.break_taken(o)
                self._to_sinks("break_taken", o)
            elif isinstance(o, PromptDue):
                self._prompt(o)
            elif isinstance(o, PromptWithdrawn) and self._on_screen is not None:
                log.info("prompt %s withdrawn: it no longer applies", self._on_screen[0].prompt_id)
                self._on_screen = None
                self.w.notifier.withdraw()

    def _share(self, o: Output) -> None:
        w = self.w.sync
        assert w is not None
        if isinstance(o, SessionStarted):
            w.writer.record("ss", t=o.t)
        elif isinstance(o, SessionEnded):
            w.writer.record("se", a=o.start, b=o.end, c=o.cause.value)
        elif isinstance(o, BreakTaken):
            w.writer.record("br", a=o.start, b=o.end, c=o.cause.value)

    def _to_sinks(self, method: str, o: SessionEnded | BreakTaken) -> None:
        for sink in self.w.sinks:
            try:
                getattr(sink, method)(o)
            except Exception:  # a sink is optional: it never takes the loop down
                log.warning("could not hand a session to %s", sink.name, exc_info=True)

    def _prompt(self, due: PromptDue) -> None:
        elsewhere = self._in_use_elsewhere()
        if elsewhere is not None:
            # The person is at the other computer: its daemon shows it there.
            log.info("%s prompt left to %s, in use there", due.kind.value, elsewhere)
            return
        message = self.writer.write(due)
        if self.w.notifier.send(message):
            self._on_screen = (message, self.w.clock.now() + message.expire_s)
        self.w.store.prompt_sent(due)
        if self.w.sync is not None:
            self.w.sync.writer.record("p", t=due.t, p=due.kind.value, l=float(due.level))

    def prompt_on_screen(self, now: float) -> Message | None:
        """The prompt that may still be on screen: shown, not answered, not expired."""
        if self._on_screen is not None and now >= self._on_screen[1]:
            self._on_screen = None
        return None if self._on_screen is None else self._on_screen[0]

    def _response(self, r: PromptResponse) -> None:
        """The person answered a notification: act on it and remember what they did."""
        now = self.w.clock.now()
        # Not logged here: the notifier logged it, with the prompt's id and kind.
        if self._on_screen is not None and self._on_screen[0].due_t == r.due_t:
            self._on_screen = None
        self._apply_answer(r.action, now)
        if r.due_t is not None:
            self.w.store.set_prompt_outcome(r.due_t, PromptKind(r.kind), r.outcome)
            self._next_today = 0.0  # the day's prompt figures changed
        if self.w.sync is not None:
            due = r.due_t if r.due_t is not None else now
            self.w.sync.writer.record("an", t=now, d=due, p=r.kind, x=r.action)

    def _apply_answer(self, action: str, now: float) -> None:
        """What an answer does to the engine, given here or on another computer."""
        if action == "break":
            self._feed(BreakNow(now))
        elif action == "snooze":
            self._feed(Snooze(now, SNOOZE_S))

    def _load_pauses(self) -> PauseModel:
        """The pause model the store kept; a new one for a new person, or when
        the saved one cannot be read (said in the log)."""
        default = self.config.engine.break_idle
        try:
            saved = self.w.store.learned(PAUSES_KEY)
        except SitbreakError as exc:
            log.warning("starting from the default break threshold: %s", exc)
            return PauseModel(default)
        if saved is None:
            return PauseModel(default)
        try:
            return PauseModel.from_dict(saved, default)
        except ValueError as exc:
            log.warning("the saved pause model is unusable (%s): starting from the defaults", exc)
            return PauseModel(default)

    def _load_computers(self) -> dict[dt.date, dict[str, str]]:
        """Today's computers as kept at the last checkpoint (none: a new day)."""
        if self.w.sync is None:
            return {}
        try:
            saved = self.w.store.learned(COMPUTERS_KEY)
        except SitbreakError:
            return {}
        today = self._date(self.w.clock.now()).isoformat()
        if saved is None or saved.get("date") != today or not isinstance(saved.get("hosts"), dict):
            return {}
        hosts = {str(k): str(v) for k, v in saved["hosts"].items() if isinstance(v, str)}
        return {dt.date.fromisoformat(today): hosts}

    def _save_computers(self) -> None:
        if self.w.sync is None or self._computers == self._computers_saved:
            return
        today = self._date(self.w.clock.now())
        hosts = self._computers.get(today, {})
        self.w.store.save_learned(COMPUTERS_KEY, {"date": today.isoformat(), "hosts": hosts})
        self._computers_saved = {d: dict(c) for d, c in self._computers.items()}

    def _input_from(self, t: float, host: str, name: str) -> None:
        """Input at `t` from `host` reached the engine: that day covers it."""
        self._computers.setdefault(self._date(t), {})[host] = name

    def computers(self, date: dt.date) -> list[str] | None:
        """The names of the computers whose input made `date`'s figures, in
        order (None: no sync folder, this computer alone)."""
        link = self.w.sync
        if link is None:
            return None
        hosts = dict(self._computers.get(date, {}))
        for host in hosts:
            peer = link.reader.peers.get(host)
            if peer is not None:  # its name as its manifest gives it now
                hosts[host] = peer.name
        if link.host in hosts:
            hosts[link.host] = link.name
        return sorted(hosts.values())

    def _save_pauses(self) -> None:
        if self.engine.pauses is not None:
            self.w.store.save_learned(PAUSES_KEY, self.pauses.to_dict())

    def _checkpoint(self) -> None:
        self._save_pauses()
        self._save_computers()
        start = self.engine.session_start
        if start is not None:
            self.w.store.checkpoint(start, max(start, self.engine.last_seen))
        self.timeline.flush()
        self.w.store.flush()

    def _keep_state(self, t: float) -> None:
        """Keep what the pause model knows at `t` beside the timeline, so a replay
        that starts there learns on from it, as this engine does."""
        if self.engine.pauses is not None:
            self.w.store.timeline_state(
                self.timeline.source, round(t * 1000), self.pauses.to_dict()
            )

    def _prune_history(self, now: float) -> None:
        """Forget the timeline older than `[history] keep`, and this computer's
        own files in the sync folder older than `[sync] keep`."""
        self.w.store.prune_timeline(now - self.config.history_keep)
        if self.w.sync is not None:
            self.w.sync.writer.prune(now, self.config.sync_keep)

    def _maybe_reanchor(self) -> None:
        """Follow an NTP or manual step of the wall clock, between sessions only,
        so no session ever stretches or shrinks by the step."""
        reanchor = getattr(self.w.clock, "reanchor", None)
        if reanchor is None or self.engine.session_start is not None:
            return
        offset = self.w.clock.wall_offset()
        if abs(offset) <= REANCHOR_S:
            return
        log.info("following a wall-clock step of %+.1f s", offset)
        reanchor()
        self.engine.rebase(offset)
        self.timeline.rebase(offset)
        now = self.w.clock.now()
        self._today = self._date(now)
        self._midnight = next_midnight(now, self.tz)
        self._next_checkpoint = now + CHECKPOINT_S
        self._next_watchdog = now

    # ---------------------------------------------------------- days

    def _date(self, t: float) -> dt.date:
        return dt.datetime.fromtimestamp(t, self.tz).date()

    def _clock_time(self, t: float) -> str:
        return dt.datetime.fromtimestamp(t, self.tz).strftime("%H:%M")

    def check_timezone(self, resolve: Callable[[], dt.tzinfo]) -> None:
        """Follow the machine's time zone when it changes (a laptop that travelled).

        Days from now on are cut in the new zone; the day in progress is
        summarised and continues under its new date."""
        try:
            tz = resolve()
        except SitbreakError:
            return
        if tz_label(tz) == tz_label(self.tz):
            return
        now = self.w.clock.now()
        log.info("the time zone changed from %s to %s", tz_label(self.tz), tz_label(tz))
        self._write_summary(self._today)  # the day as it was, in the zone it was cut in
        self.tz = self.engine.tz = tz
        self._today = self._date(now)
        self._midnight = next_midnight(now, tz)

    def _new_day(self, now: float) -> None:
        self._write_summary(self._today)
        self._prune_history(now)
        self._keep_state(now)
        self._today = self._date(now)
        self._midnight = next_midnight(now, self.tz)
        self._computers = {d: c for d, c in self._computers.items() if d >= self._today}

    def figures(self, date: dt.date) -> DayFigures:
        """The day's figures from what is stored, with the open session up to now."""
        live = None
        start = self.engine.session_start
        if start is not None:
            seen = max(start, self.engine.last_seen)
            live = SessionEnded(seen, start, seen, _OPEN)
        return self.w.store.day_figures(date, self.tz, settings=self.config.engine, live=live)

    def _write_summary(self, date: dt.date) -> None:
        self.timeline.flush()
        self.w.store.flush()
        try:
            fig = self.figures(date)
        except Exception:
            log.exception("could not compute the summary for %s", date)
            return
        self.w.store.save_day(fig, tz_label(self.tz))
        self.w.store.flush()
        computers = self.computers(date)
        if self.w.summaries_path is not None:
            append_summary(fig, tz_label(self.tz), self.w.summaries_path, computers=computers)
        log.info("%s", summary_line(fig, computers or ()))

    # ---------------------------------------------------------- control

    def _from_publisher_thread(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A request from the D-Bus API or the tray: checked as the socket's are."""
        try:
            request = request_from_json(dict(body))
        except ProtocolError as exc:
            return {"ok": False, "error": str(exc), "invalid": True}
        return self._from_control_thread(request)

    def _from_control_thread(self, request: Request) -> dict[str, Any]:
        call = _ControlCall(request)
        self.inbox.put(call)
        call.done.wait(CONTROL_TIMEOUT_S)
        return call.response

    def _answer(self, request: Request) -> dict[str, Any]:
        now = self.w.clock.now()
        cmd = request.cmd
        if cmd == "pause":
            until = None if request.seconds is None else now + request.seconds
            self._feed(Pause(now, until))
            # Worded as a snooze is: when it ends, then for how long (`pause 3d`
            # logged only "for 72 h", and status says "Paused until Sat 5 Dec 09:05").
            log.info(
                "prompts paused %s",
                "until resumed"
                if until is None
                else f"until {clock_at(until, now, self.tz)} (for {duration(until - now)})",
            )
        elif cmd == "resume":
            e = self.engine
            # The same two facts the status gives `sitbreak resume` to word it.
            held = resumable(
                {"paused": e.paused_until is not None, "snoozed_until": e.snoozed_until}
            )
            self._feed(Unpause(now))  # ends a pause and a snooze alike
            if held:
                log.info("prompts resumed: the %s ended", " and the ".join(held))
            else:
                log.info("resume asked for: prompts were not paused or snoozed")
        elif cmd == "snooze":
            seconds = request.seconds if request.seconds is not None else SNOOZE_S
            self._feed(Snooze(now, seconds))
            # A snooze replaces the one before: `snooze 1m` after `snooze 10m`
            # means prompts again in a minute.
            log.info(
                "prompts snoozed until %s (for %s)",
                clock_at(now + seconds, now, self.tz),
                duration(seconds),
            )
        elif cmd == "break":
            self._feed(BreakNow(now))
            log.info("taking a break (asked for)")
        if cmd != "status":
            self.w.service_notify(f"STATUS={self._status_line(now)}")
        return self.status(now)

    def status(
        self, now: float, today: Mapping[str, object] | bool | None = True
    ) -> dict[str, Any]:
        """The status document; `today` is True to read the day's figures now,
        or the figures to show (None: unreadable)."""
        e = self.engine
        paused_until = e.paused_until
        session = None
        if e.session_start is not None:
            session = {
                "start": e.session_start,
                "seated_s": now - e.session_start,
                # Up to here it counts in today's figures (what a report adds for it).
                "last_seen": max(e.session_start, e.last_seen),
            }
        nxt = None
        upcoming = e.next_prompt()
        if upcoming is not None:
            at, kind = upcoming
            why = self._why(kind, at, e.session_start)
            nxt = {"kind": kind.value, "at": max(at, now), "why": why}
        if today is True:
            today = self._today_figures(now)
        snoozed_until = e.snoozed_until
        return {
            "ok": True,
            "state": e.state.value,
            "paused": paused_until is not None,
            "paused_until": paused_until if paused_until not in (None, float("inf")) else None,
            "snoozed_until": snoozed_until,
            "sitting_limit_s": self.config.engine.move_after,
            "session": session,
            "next_prompt": nxt,
            "today": today,
            "in_call": e.in_call,
            "watching": e.watching,
            "source": self.w.source.name,
            # Whether sitbreak can see keyboard and mouse activity at all now.
            "activity": "seen" if self._blind is None else f"not seen: {self._blind}",
            # When the state began (the last input, for "away" after a break);
            # None: nobody seen since sitbreak started.
            "since": e.state_since,
            "running_since": self._started,
            "config_reloads_today": [t for t in self._reloads if self._date(t) == self._date(now)],
            # A reload that refused the file: the config before it is still in use.
            "config_refused": None
            if self._refused is None
            else {"at": self._refused[0], "problems": self._refused[1].splitlines()},
            "notifications": "working"
            if self.w.notifier.healthy
            else "failing: prompts are logged",
            "notifications_problem": self.w.notifier.problem,
            "prompt_on_screen": _on_screen_json(self.prompt_on_screen(now)),
            "storage": "working"
            if self.w.store.healthy
            else f"failing: {self.w.store.pending_count} writes pending",
            "breaks": self._breaks_status(),
            "sync": None if self.w.sync is None else self.w.sync.status(now),
            # Whose input made today's figures (None: no sync folder).
            "computers_today": self.computers(self._date(now)),
            # The zone its days are cut and its times told in ([general] timezone, else
            # the machine's): `sitbreak status` tells times in it too, as the log does.
            "tz": tz_label(self.tz),
        }

    def _today_figures(self, now: float) -> dict[str, object] | None:
        try:
            return self.figures(self._date(now)).as_dict()
        except SitbreakError as exc:  # the database is unreadable right now
            log.warning("status without today's figures: %s", exc)
            return None

    def _breaks_status(self) -> dict[str, object]:
        """How long idle makes a break, and where that number comes from."""
        return break_rule(self.engine.pauses, self.engine.break_idle)

    def _status_line(self, now: float) -> str:
        """One line for `systemctl --user status sitbreak`."""
        e = self.engine
        start = e.session_start
        if start is not None:
            line = f"sitting for {duration(now - start)} (since {self._clock_time(start)})"
        else:
            line = f"{e.state.value}; watching activity with {self.w.source.name}"
        if e.paused_until is not None:
            line += ", prompts paused"
        return line

    def _why(self, kind: PromptKind, at: float, start: float | None) -> str:
        s = self.config.engine
        if kind is PromptKind.MOVE:
            every = "minute" if round(s.move_repeat) == 60 else duration(s.move_repeat)
            if start is not None and at < start + s.move_after - 60:
                # The engine carried the movement clock over a break it was not sure
                # of: "30 min of continuous sitting" 5 minutes into a session is wrong.
                return (
                    "the break before this session was too short to be sure of, so the "
                    f"movement clock of the one before runs on; then every {every}"
                )
            return f"{duration(s.move_after)} of continuous sitting, then every {every}"
        if kind is PromptKind.POSTURE:
            return f"a posture reset {duration(s.posture_after)} into a session"
        return f"{duration(s.extra_every)} into a long sitting"

    def _reload_config(self) -> None:
        try:
            config = load_config(self.config.path)
        except ConfigError as exc:
            log.error("config reload failed, keeping the old config: %s", exc)
            self._refused = (self.w.clock.now(), str(exc))
            return
        self._refused = None
        restart = [
            key
            for key, before, after in (
                ("[general] timezone", self.config.timezone, config.timezone),
                ("[activity] source", self.config.activity_source, config.activity_source),
                ("[notify] backend", self.config.notify_backend, config.notify_backend),
            )
            if before != after
        ]
        self.config = config
        self.pauses.default = config.engine.break_idle
        self.engine.learn_with(pause_model_for(config.engine, self.pauses))
        self.engine.reconfigure(config.engine)
        self.timeline.settings_changed(config.engine)
        self._reloads.append(self.timeline.marker(RELOADED, self.w.clock.now()))
        log.info("config reloaded from %s", config.path or "the defaults")
        if restart:
            log.warning(
                "%s changed: that takes effect when sitbreak restarts "
                "(systemctl --user restart sitbreak)",
                ", ".join(restart),
            )


#: Desktop events the other computers are told of, and their record kinds.
_SYNC_CONTEXT = {"Lock": "lk", "Unlock": "ul", "Suspend": "sp", "Resume": "rs"}

_CONTEXT_WORDS = {
    "Lock": "screen locked",
    "Unlock": "screen unlocked",
    "Suspend": "going to sleep",
    "Resume": "woke up",
    "CallStart": "in a call",
    "CallEnd": "call over",
    "WatchStart": "something is being watched (idle inhibited)",
    "WatchEnd": "nothing being watched any more",
}


def _on_screen_json(message: Message | None) -> dict[str, Any] | None:
    if message is None:
        return None
    return {"kind": message.kind, "prompt_id": message.prompt_id, "due_t": message.due_t}


def _describe_event(event: Event) -> str:
    if isinstance(event, DesktopBusy):
        return "the desktop asks for quiet" if event.busy else "the desktop allows prompts again"
    return _CONTEXT_WORDS.get(type(event).__name__, type(event).__name__)


def _busy_on(t: float) -> Event:
    return DesktopBusy(t, True)


def _busy_off(t: float) -> Event:
    return DesktopBusy(t, False)


#: Engine states in which input is kept one row each in the timeline.
_AWAY = (State.LOCKED, State.SUSPENDED)

#: The open session is counted as sitting so far; like a shutdown, it heeds no prompt yet.
_OPEN = Cause.SHUTDOWN


def summary_line(fig: DayFigures, computers: Sequence[str] = ()) -> str:
    """The day in one readable line, for the journal; with a sync folder, how
    many computers' input it covers, when more than one.

    Two different counts of the prompts, said apart: whether the person got
    up after the movement reminders (the engine's reading of their input), and
    what was done with the notifications on screen (the desktop's answers). A
    notification that timed out can still have been heeded: the person read
    it and stood up without pressing anything.
    """
    prompts = count(fig.prompts, "prompt")
    if fig.prompts:
        moves = fig.prompts_by_kind.get(PromptKind.MOVE.value, 0)
        said = [got_up_phrase(fig.prompts_heeded, moves)]
        answers = [
            f"{n} {what}"
            for n, what in (
                (fig.prompts_acted, "marked done"),
                (fig.prompts_snoozed, "snoozed"),
                (fig.prompts_skipped, "skipped"),
                (fig.prompts_ignored, "unanswered"),
            )
            if n
        ]
        if answers:
            said.append("on screen: " + ", ".join(answers))
        prompts += f" ({'; '.join(said)})"
    return (
        f"{fig.date.isoformat()}: sat {duration(fig.sitting_s)} "
        f"in {count(fig.sessions, 'session')} "
        f"(longest {duration(fig.longest_session_s)}, {fig.sessions_over_limit} over the limit), "
        f"{count(fig.breaks, 'break')}, {prompts}" + across(computers)
    )
