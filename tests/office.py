"""A daemon at a desk that is started, stopped and restarted on one store file.

The real `Daemon` loop with a hand-moved clock (`ManualClock`, whose
`sleep_for` is the suspend the fault tests use), a scripted activity
source, call, video and Do Not Disturb switches, and a real store laid out
as under SITBREAK_HOME, so commands run on it find it all. Used by the
timeline, what-if and tune tests.
"""

from __future__ import annotations

import datetime as dt
import queue
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from desk import ScriptedSource
from sitbreak.clock import ManualClock
from sitbreak.config import load_config
from sitbreak.core import CallEnd, CallStart, WatchEnd, WatchStart
from sitbreak.daemon.control import Request
from sitbreak.daemon.loop import Daemon, Periodic, Wiring, desktop_busy_check
from sitbreak.desktop.edges import EdgeWatcher
from sitbreak.desktop.notify import RecordingNotifier, ResilientNotifier
from sitbreak.prompts import PromptWriter, load_library
from sitbreak.storage.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
NINE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp()
MONDAY = dt.date(2026, 11, 2)
#: Figures the engine decides; the rest (what the person clicked) the notifier tells.
ENGINE_FIELDS = (
    "date",
    "sitting_s",
    "sessions",
    "longest_session_s",
    "sessions_over_limit",
    "breaks",
    "break_s",
    "prompts",
    "prompts_heeded",
    "prompts_by_kind",
    "first_seen",
    "last_seen",
)


class Quiet:
    def __init__(self) -> None:
        self.on = False

    def poll(self) -> str | None:
        return "Do Not Disturb is on" if self.on else None

    def close(self) -> None:
        pass


class Office:
    """A daemon at a desk, started and stopped like the real one, on one store file."""

    def __init__(self, tmp_path: Path, config_text: str = "") -> None:
        # Laid out as under SITBREAK_HOME, so commands run on it find it all.
        self.home = tmp_path / "home"
        self.config_file = self.home / "config" / "config.toml"
        self.config_file.parent.mkdir(parents=True)
        self.config_file.write_text('[general]\ntimezone = "Europe/Berlin"\n' + config_text)
        self.config = load_config(self.config_file)
        self.clock = ManualClock(NINE)
        self.db = self.home / "data" / "sitbreak.db"
        self.call = False
        self.video = False
        self.quiet = Quiet()
        self.daemon: Daemon | None = None
        self.start()

    def start(self) -> None:
        self.source = ScriptedSource()
        self.store = Store.open(self.db)
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        calls = EdgeWatcher(lambda: self.call, (CallStart, CallEnd), inbox.put, self.clock)
        video = EdgeWatcher(lambda: self.video, (WatchStart, WatchEnd), inbox.put, self.clock)
        wiring = Wiring(
            clock=self.clock,
            inbox=inbox,
            source=self.source,
            notifier=ResilientNotifier(RecordingNotifier(), clock=self.clock.now),
            store=self.store,
            monitors=(),
            periodic=(
                Periodic("calls", calls.poll, 5.0),
                Periodic("video", video.poll, 5.0),
                desktop_busy_check(self.quiet, inbox.put, self.clock),
            ),
            sinks=(),
            publishers=(),
            control_path=None,
            summaries_path=None,
            service_notify=lambda *_lines: None,
            watchdog_s=None,
            sync=None,
        )
        self.daemon = Daemon(self.config, wiring, BERLIN, PromptWriter(load_library()))
        self.daemon.begin()  # what Daemon.run does before its loop

    def stop(self) -> None:
        assert self.daemon is not None
        self.daemon._shutdown()
        self.daemon = None

    def step(self, seconds: float, input_every: float | None) -> None:
        """`seconds` pass in heartbeats of 5 s; input every `input_every` seconds, if given."""
        assert self.daemon is not None
        end = self.clock.now() + seconds
        next_input = self.clock.now() if input_every is not None else None
        while self.clock.now() < end:
            turn = min(5.0, end - self.clock.now())
            self.clock.advance(turn)
            now = self.clock.now()
            if next_input is not None and input_every is not None:
                while next_input + input_every <= now:
                    next_input += input_every
                if next_input <= now and next_input > now - turn:
                    self.source.last = next_input
            self.daemon.step()

    def sit(self, seconds: float, every: float = 1.0) -> None:
        self.step(seconds, every)

    def away(self, seconds: float) -> None:
        self.step(seconds, None)

    def send(self, event: Any) -> None:
        assert self.daemon is not None
        self.daemon.inbox.put(event)

    def ask(self, cmd: str, seconds: float | None = None) -> None:
        assert self.daemon is not None
        self.daemon._answer(Request(cmd, seconds))

    def sleep(self, seconds: float) -> None:
        """The lid closes: the clock jumps, the daemon notices on its next turn."""
        self.clock.sleep_for(seconds)
        assert self.daemon is not None
        self.daemon.step()
