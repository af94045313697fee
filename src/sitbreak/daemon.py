"""`sitbreak run`: the background service, and the only place things are wired.

One thread runs the loop: once a second it asks the activity source whether
there was input, checks the clock for a suspend, takes what the context
monitors (lock, sleep, calls, videos) and the control socket have queued,
feeds all of it to the engine, and acts on what comes out: store it, notify,
log. Everything the engine decides is decided in `sitbreak.core`, the same
code `sitbreak replay` runs.

Failure never stops the loop: a notification that cannot be shown is logged,
a database that cannot be written keeps its writes pending (the store
retries), a context monitor that cannot start is reported once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sitbreak.adapters.activity import ActivitySource, SourceLost
from sitbreak.adapters.notify import SNOOZE_S, PromptResponse, ResilientNotifier
from sitbreak.clock import Clock
from sitbreak.config import Config, load_config
from sitbreak.control import ControlServer, Request
from sitbreak.core import (
    Activity,
    BreakNow,
    BreakTaken,
    Cause,
    DayFigures,
    Engine,
    Event,
    Output,
    Pause,
    PromptDue,
    PromptKind,
    Resume,
    SessionEnded,
    SessionStarted,
    Snooze,
    State,
    Suspend,
    Tick,
    Unpause,
)
from sitbreak.core.days import next_midnight
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.prompts import PromptWriter
from sitbreak.replay import hm
from sitbreak.store import Store, append_summary, tz_label
from sitbreak.timezones import resolve_tz

log = logging.getLogger("sitbreak.daemon")

#: The loop's heartbeat: how often it asks the activity source. The X idle
#: counter gives the time of the *last* input whenever asked, and deadlines,
#: desktop signals and control requests wake the loop by themselves, so a
#: faster heartbeat buys nothing but wake-ups (measured: 1 s polling costs 2
#: wake-ups a second, 5 s polling 0.5; benchmarks/bench_daemon.py). At most
#: one activity event per heartbeat reaches the engine.
POLL_S = 5.0
CHECKPOINT_S = 60.0
CALL_POLL_S = 5.0
RECONNECT_S = 5.0
WATCH_POLL_S = 30.0
#: How long the control thread waits for the loop to answer.
CONTROL_TIMEOUT_S = 3.0

# Exit statuses, distinct so a service manager can tell them apart.
EXIT_OK = 0
EXIT_CONFIG = 2  # bad config: restarting will not help
EXIT_NO_SOURCE = 3  # nothing to watch activity with here
EXIT_ALREADY_RUNNING = 4


class Quiet(Protocol):
    """Says whether now is a bad time for a prompt (full screen, Do Not Disturb)."""

    def poll(self) -> str | None: ...

    def close(self) -> None: ...


class Monitor(Protocol):
    """Something that pushes events by itself (D-Bus signal threads)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Periodic:
    """A context check run every `every` seconds (in a call? watching a video?).

    `poll` is an adapter's watcher, which queues its own start/end events."""

    name: str
    poll: Callable[[], object]
    every: float
    next_at: float = 0.0


@dataclass
class Wiring:
    """Everything the daemon talks to; tests pass doubles for any of it."""

    clock: Clock
    source: ActivitySource
    notifier: ResilientNotifier
    store: Store
    monitors: list[Monitor] = field(default_factory=list)
    periodic: list[Periodic] = field(default_factory=list)
    dnd: Quiet | None = None  # None: never hold prompts for the desktop's sake
    control_path: Path | None = None  # None: no control socket
    summaries_path: Path | None = None
    #: Tells the service manager how we are (sd_notify lines); a no-op by default.
    service_notify: Callable[..., None] = lambda *_lines: None
    #: How often the service manager wants "WATCHDOG=1"; None: it does not.
    watchdog_s: float | None = None


class _ControlCall:
    """A control request handed from the socket thread to the loop, and its answer."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.done = threading.Event()
        self.response: dict[str, Any] = {"ok": False, "error": "the daemon did not answer in time"}


class Daemon:
    def __init__(self, config: Config, wiring: Wiring, tz: dt.tzinfo, writer: PromptWriter) -> None:
        self.config = config
        self.w = wiring
        self.tz = tz
        self.writer = writer
        self.engine = Engine(config.engine, tz)
        self.inbox: queue.Queue[Event | _ControlCall | PromptResponse | None] = queue.Queue()
        # A prompt the desktop asked us to hold (full screen, Do Not Disturb).
        self._held: PromptDue | None = None
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._started = wiring.clock.now()
        self._today = self._date(self._started)
        self._next_checkpoint = self._started + CHECKPOINT_S
        self._midnight = next_midnight(self._started, tz)
        self._control: ControlServer | None = None
        self._source_lost = False
        self._reconnect_at = 0.0
        self._next_watchdog = 0.0
        self.steps = 0

    # ---------------------------------------------------------- lifecycle

    def run(self) -> int:
        """Run until `stop()`; returns the exit status."""
        self._start_edges()
        describe = getattr(self.w.source, "describe", None)
        if describe is not None:
            log.info("activity source: %s", describe())
        log.info(
            "sitbreak is watching activity with %s; break after %s idle or a %s lock, "
            "move prompt after %s",
            self.w.source.name,
            hm(self.config.engine.break_idle),
            hm(self.config.engine.break_locked),
            hm(self.config.engine.move_after),
        )
        self.w.service_notify("READY=1", f"STATUS={self._status_line(self.w.clock.now())}")
        try:
            while not self._stop.is_set():
                self.step()
                self._wait()
        finally:
            self._shutdown()
        return EXIT_OK

    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler or another thread)."""
        self._stop.set()
        self.inbox.put(None)

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

    def _shutdown(self) -> None:
        self.w.service_notify("STOPPING=1", "STATUS=closing the session and saving the day")
        now = self.w.clock.now()
        self._act(self.engine.finish(now))
        self._write_summary(self._today, final=True)
        if self._control is not None:
            self._control.stop()
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
        if self.w.dnd is not None:
            self.w.dnd.close()
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
        self.steps += 1
        clock = self.w.clock
        slept = clock.poll_suspend()
        if slept is not None:
            log.info("the machine slept for %s", hm(slept.end - slept.start))
            self._feed(Suspend(slept.start))
            self._feed(Resume(slept.end))
        self._poll_activity()
        now = clock.now()
        for check in self.w.periodic:
            if now >= check.next_at:
                check.next_at = now + check.every
                check.poll()  # watchers queue their own events, drained next
        self._drain()
        self._feed(Tick(now))
        if self._held is not None:
            self._release_held(now)
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
            self.w.service_notify(f"STATUS={self._status_line(now)}")
        if self.w.watchdog_s is not None and now >= self._next_watchdog:
            # Pinged from the loop itself: a hung loop stops the pings and
            # systemd restarts us.
            self._next_watchdog = now + self.w.watchdog_s / 2
            self.w.service_notify("WATCHDOG=1")

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
            item = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return
        self.inbox.put(item)  # handled by the next step, in order

    def _poll_activity(self) -> None:
        try:
            t = self.w.source.poll()
        except SourceLost as exc:
            if not self._source_lost:
                self._source_lost = True
                log.warning("lost the activity source %s: %s; retrying", self.w.source.name, exc)
            self._try_reconnect()
            return
        except Exception:
            log.exception("the activity source %s failed", self.w.source.name)
            return
        if self._source_lost:
            self._source_lost = False
            log.warning("the activity source %s works again", self.w.source.name)
        if t is not None:
            self._feed(Activity(t))

    def _try_reconnect(self) -> None:
        """A lost source closed itself; starting it again reconnects (every few seconds)."""
        now = self.w.clock.now()
        if now < self._reconnect_at:
            return
        self._reconnect_at = now + RECONNECT_S
        # Still gone (the X server is restarting)? Then try again later.
        with contextlib.suppress(SitbreakError):
            self.w.source.start()

    def _drain(self) -> None:
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            if item is None:
                continue
            if isinstance(item, _ControlCall):
                item.response = self._answer(item.request)
                item.done.set()
            elif isinstance(item, PromptResponse):
                self._response(item)
            else:
                log.info("%s", _CONTEXT_WORDS.get(type(item).__name__, type(item).__name__))
                self._feed(item)

    def _feed(self, event: Event) -> None:
        self._act(self.engine.handle(event))

    # ---------------------------------------------------------- outputs

    def _act(self, outputs: tuple[Output, ...] | list[Output]) -> None:
        store = self.w.store
        for o in outputs:
            if isinstance(o, SessionStarted):
                log.info("session started at %s", self._clock_time(o.t))
                store.session_started(o.t)
            elif isinstance(o, SessionEnded):
                log.info(
                    "session %s-%s (%s) ended: %s",
                    self._clock_time(o.start),
                    self._clock_time(o.end),
                    hm(o.end - o.start),
                    o.cause.value,
                )
                store.session_ended(o)
                self._maybe_reanchor()
            elif isinstance(o, BreakTaken):
                store.break_taken(o)
            elif isinstance(o, PromptDue):
                self._prompt(o)

    def _prompt(self, due: PromptDue) -> None:
        reason = self._quiet_reason()
        if reason is not None:
            held = self._held
            if held is None or _RANK.get(due.kind, 0) >= _RANK.get(held.kind, 0):
                self._held = due  # the most relevant one waits; lesser ones are dropped
            if held is None:
                log.info("holding the %s prompt: %s", due.kind.value, reason)
            return
        message = self.writer.write(due)
        self.w.notifier.send(message)
        self.w.store.prompt_sent(due)

    def _quiet_reason(self) -> str | None:
        if self.w.dnd is None:
            return None
        try:
            return self.w.dnd.poll()
        except Exception:  # a failing check never blocks prompts
            log.debug("the do-not-disturb check failed", exc_info=True)
            return None

    def _release_held(self, now: float) -> None:
        """Deliver the held prompt once the desktop allows, if it still applies."""
        held = self._held
        start = self.engine.session_start
        if held is None:
            return
        if start is None or start > held.t:
            self._held = None  # they got up in the meantime: it no longer applies
            return
        if self.engine.state is State.SITTING and self._quiet_reason() is None:
            self._held = None
            self._prompt(PromptDue(now, held.kind, held.level, now - start))

    def _response(self, r: PromptResponse) -> None:
        """The person answered a notification: act on it and remember what they did."""
        now = self.w.clock.now()
        log.info("prompt answered: %s", r.action)
        if r.action == "break":
            self._feed(BreakNow(now))
        elif r.action == "snooze":
            self._feed(Snooze(now, SNOOZE_S))
        if r.due_t is not None:
            self.w.store.set_prompt_outcome(r.due_t, PromptKind(r.kind), r.outcome)

    def _checkpoint(self) -> None:
        start = self.engine.session_start
        if start is not None:
            self.w.store.checkpoint(start, max(start, self.engine.last_seen))
        self.w.store.flush()

    def _maybe_reanchor(self) -> None:
        # Follow NTP or a corrected wall clock only between sessions, so no
        # session ever stretches or shrinks by the step.
        reanchor = getattr(self.w.clock, "reanchor", None)
        offset = self.w.clock.wall_offset()
        if reanchor is not None and abs(offset) > 2.0:
            log.info("following a wall-clock step of %+.1f s", offset)
            reanchor()

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
        self.tz = self.engine.tz = tz
        self._today = self._date(now)
        self._midnight = next_midnight(now, tz)

    def _new_day(self, now: float) -> None:
        self._write_summary(self._today, final=True)
        self._today = self._date(now)
        self._midnight = next_midnight(now, self.tz)

    def figures(self, date: dt.date) -> DayFigures:
        """The day's figures from what is stored, with the open session up to now."""
        live = None
        start = self.engine.session_start
        if start is not None:
            seen = max(start, self.engine.last_seen)
            live = SessionEnded(seen, start, seen, _OPEN)
        return self.w.store.day_figures(date, self.tz, settings=self.config.engine, live=live)

    def _write_summary(self, date: dt.date, final: bool) -> None:
        self.w.store.flush()
        try:
            fig = self.figures(date)
        except Exception:
            log.exception("could not compute the summary for %s", date)
            return
        self.w.store.save_day(fig, tz_label(self.tz))
        self.w.store.flush()
        if self.w.summaries_path is not None:
            append_summary(fig, tz_label(self.tz), self.w.summaries_path)
        log.info("%s%s", summary_line(fig), "" if final else " (so far)")

    # ---------------------------------------------------------- control

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
            log.info(
                "prompts paused %s", "until resumed" if until is None else f"for {hm(until - now)}"
            )
        elif cmd == "resume":
            self._feed(Unpause(now))
            log.info("prompts resumed")
        elif cmd == "snooze":
            seconds = request.seconds if request.seconds is not None else 600.0
            self._feed(Snooze(now, seconds))
            log.info("prompts snoozed for %s", hm(seconds))
        if cmd != "status":
            self.w.service_notify(f"STATUS={self._status_line(now)}")
        elif cmd != "status":
            return {"ok": False, "error": f"unknown command {cmd!r}"}
        return self.status(now)

    def status(self, now: float) -> dict[str, Any]:
        e = self.engine
        paused_until = e.paused_until
        session = None
        if e.session_start is not None:
            session = {"start": e.session_start, "seated_s": now - e.session_start}
        nxt = None
        upcoming = e.next_prompt()
        if upcoming is not None:
            at, kind = upcoming
            nxt = {"kind": kind.value, "at": max(at, now), "why": self._why(kind)}
        today = self.figures(self._date(now)).as_dict()
        return {
            "ok": True,
            "state": e.state.value,
            "paused": paused_until is not None,
            "paused_until": paused_until if paused_until not in (None, float("inf")) else None,
            "session": session,
            "next_prompt": nxt,
            "today": today,
            "in_call": e.in_call,
            "watching": e.watching,
            "source": self.w.source.name,
            "since": self._started,
            "notifications": "working"
            if self.w.notifier.healthy
            else "failing: prompts are logged",
            "storage": "working"
            if self.w.store.healthy
            else f"failing: {self.w.store.pending_count} writes pending",
        }

    def _status_line(self, now: float) -> str:
        """One line for `systemctl --user status sitbreak`."""
        e = self.engine
        start = e.session_start
        if start is not None:
            line = f"sitting for {hm(now - start)} (since {self._clock_time(start)})"
        else:
            line = f"{e.state.value}; watching activity with {self.w.source.name}"
        if e.paused_until is not None:
            line += ", prompts paused"
        return line

    def _why(self, kind: PromptKind) -> str:
        s = self.config.engine
        if kind is PromptKind.MOVE:
            return f"{hm(s.move_after)} of continuous sitting, then every {hm(s.move_repeat)}"
        if kind is PromptKind.POSTURE:
            return f"a posture reset {hm(s.posture_after)} into a session"
        return f"{hm(s.extra_every)} into a long sitting"

    def _reload_config(self) -> None:
        try:
            config = load_config(self.config.path)
        except ConfigError as exc:
            log.error("config reload failed, keeping the old config: %s", exc)
            return
        self.config = config
        self.engine.reconfigure(config.engine)
        log.info("config reloaded from %s", config.path or "the defaults")


#: Which held prompt wins when the desktop makes several wait.
_RANK = {PromptKind.MOVE: 2, PromptKind.POSTURE: 1}

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

#: The open session is counted as sitting so far; like a shutdown, it heeds no prompt yet.
_OPEN = Cause.SHUTDOWN


def summary_line(fig: DayFigures) -> str:
    """The day in one readable line, for the journal."""
    return (
        f"{fig.date.isoformat()}: sat {hm(fig.sitting_s)} in {fig.sessions} sessions "
        f"(longest {hm(fig.longest_session_s)}, {fig.sessions_over_limit} over the limit), "
        f"{fig.breaks} breaks, {fig.prompts} prompts ({fig.prompts_heeded} heeded"
        + (f", {fig.prompts_snoozed} snoozed" if fig.prompts_snoozed else "")
        + (f", {fig.prompts_skipped} skipped" if fig.prompts_skipped else "")
        + (f", {fig.prompts_ignored} ignored" if fig.prompts_ignored else "")
        + ")"
    )
