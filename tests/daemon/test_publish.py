"""What the daemon tells the desktop, turn by turn: the D-Bus API on a real private bus.

The loop runs on a hand-moved clock (`office.sit(...)`, one turn a second)
with the real engine, store and `MonitorService` on a private dbus-daemon; a
listener on the same bus counts the signals, as a panel would receive them.
The promise: a property is sent when it changes, seated time once a minute,
and nothing at all while nothing changes.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from desk import ScriptedSource
from desktop import dbus_bus, wait_for
from sitbreak.clock import ManualClock
from sitbreak.config import load_config
from sitbreak.daemon.loop import Daemon, Wiring
from sitbreak.desktop.dbus_api import MonitorService, changed_properties, properties_from_status
from sitbreak.desktop.dbus_client import (
    BUS_NAME,
    INTERFACE,
    OBJECT_PATH,
    BusClient,
    request,
    status_from_properties,
)
from sitbreak.desktop.notify import RecordingNotifier, ResilientNotifier
from sitbreak.prompts import PromptWriter, load_library
from sitbreak.storage.store import Store

pytestmark = pytest.mark.desktop

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
NINE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN).timestamp()


class Listener:
    """Every signal from sitbreak's object on the bus, in a background thread."""

    def __init__(self, address: str) -> None:
        from jeepney import MatchRule, message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.conn = open_dbus_connection(address)
        rule = MatchRule(type="signal", path=OBJECT_PATH)
        self.conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
        self.signals: list[tuple[str, Any]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop:
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                return
            self.signals.append((msg.header.fields[3], msg.body))

    def changes(self) -> list[dict[str, Any]]:
        return [
            {k: v[1] for k, v in body[1].items()}
            for member, body in self.signals
            if member == "PropertiesChanged"
        ]

    def members(self) -> list[str]:
        return [m for m, _ in self.signals]

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.conn.close()


class Office:
    def __init__(self, tmp_path: Path, address: str) -> None:
        config_file = tmp_path / "config.toml"
        config_file.write_text('[general]\ntimezone = "Europe/Berlin"\n')
        self.clock = ManualClock(NINE)
        self.source = ScriptedSource()
        self.store = Store.open(tmp_path / "sitbreak.db")
        self.api = MonitorService(address)
        wiring = Wiring(
            clock=self.clock,
            inbox=queue.SimpleQueue(),
            source=self.source,
            notifier=ResilientNotifier(RecordingNotifier(), clock=self.clock.now),
            store=self.store,
            monitors=(),
            periodic=(),
            control_path=None,
            sinks=(),
            publishers=(self.api,),
            summaries_path=None,
            service_notify=lambda *_lines: None,
            watchdog_s=None,
            sync=None,
        )
        self.daemon = Daemon(load_config(config_file), wiring, BERLIN, PromptWriter(load_library()))
        self.daemon._start_edges()

    def sit(self, seconds: float, typing: bool = True) -> None:
        for _ in range(int(seconds)):
            self.clock.advance(1.0)
            if typing:
                self.source.last = self.clock.now() - 0.3
            self.daemon.step()

    def away(self, seconds: float) -> None:
        self.sit(seconds, typing=False)

    def close(self) -> None:
        self.api.stop()
        self.store.close()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, Listener]]:
    with dbus_bus() as bus:
        office = Office(tmp_path, bus.address)
        listener = Listener(bus.address)
        try:
            yield office, listener
        finally:
            listener.close()
            office.close()


def settle(listener: Listener, count: int) -> None:
    wait_for(lambda: len(listener.signals) >= count, timeout=5, what=f"{count} signals")


def test_an_hour_at_the_desk_is_told_once_a_minute_not_every_turn(
    office: tuple[Office, Listener],
) -> None:
    desk, listener = office
    desk.sit(5)
    settle(listener, 2)
    # From away (as it was when the daemon started) to sitting, with the session.
    assert listener.members() == ["SessionStarted", "PropertiesChanged"]
    assert listener.changes()[0]["State"] == "sitting"
    with BusClient(desk.api._address) as client:
        assert client.get_all()["State"] == "sitting"
    before = len(listener.changes())
    desk.sit(60 * MIN)
    # 3600 turns of the loop; what changes is the seated minute (and the
    # figures with it), the prompts that came and the next one due.
    wait_for(lambda: len(listener.changes()) >= before + 60, what="a change a minute")
    changes = listener.changes()[before:]
    assert 60 <= len(changes) <= 130, len(changes)
    assert all("SeatedSeconds" in c for c in changes)
    assert "PromptDue" in listener.members()
    seated = [c["SeatedSeconds"] for c in changes]
    assert seated == sorted(seated)


def test_nothing_is_sent_while_nothing_changes(office: tuple[Office, Listener]) -> None:
    desk, listener = office
    desk.sit(5)
    desk.away(30 * MIN)  # the session ends after break_idle; then an empty chair
    settle(listener, 3)
    quiet = len(listener.signals)
    desk.away(60 * MIN)
    # An hour of turns with nobody there: no signal at all (the figures stay the same).
    desk.daemon.step()
    with BusClient(desk.api._address) as client:
        assert client.get_all()["State"] == "away"
    assert len(listener.signals) == quiet, listener.signals[quiet:]


def test_pause_and_a_break_over_the_bus_reach_the_engine(office: tuple[Office, Listener]) -> None:
    desk, listener = office
    desk.sit(10 * MIN)
    result: dict[str, Any] = {}

    def call() -> None:
        result["paused"] = request("pause", 1800, address=desk.api._address)

    caller = threading.Thread(target=call)
    caller.start()
    # The loop answers on its own thread, on its next turns.
    while caller.is_alive():
        desk.sit(1)
    assert result["paused"]["paused"] is True
    wait_for(lambda: any(c.get("Paused") for c in listener.changes()), what="Paused")
    # Paused from the turn that took the call: 30 minutes from then.
    assert desk.daemon.engine.paused_until == result["paused"]["paused_until"]
    assert 0 < result["paused"]["paused_until"] - desk.clock.now() <= 1800

    def take_break() -> None:
        request("break", address=desk.api._address)

    caller = threading.Thread(target=take_break)
    caller.start()
    while caller.is_alive():
        desk.sit(1)
    desk.away(2 * MIN)
    wait_for(lambda: "SessionEnded" in listener.members(), what="SessionEnded")
    (ended,) = [body for m, body in listener.signals if m == "SessionEnded"]
    assert ended[2] == "break_now"


def test_the_name_is_owned_once_and_a_second_daemon_does_without(tmp_path: Path) -> None:
    with dbus_bus() as bus:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        first = Office(tmp_path / "a", bus.address)
        second = Office(tmp_path / "b", bus.address)
        try:
            assert first.api._conn is not None
            assert second.api._conn is None  # it logged why, and goes on without
            second.sit(3)  # publishing without a bus is harmless
        finally:
            first.close()
            second.close()


# ------------------------------------------------------------ pure parts


def status(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ok": True,
        "state": "sitting",
        "paused": False,
        "paused_until": None,
        "snoozed_until": None,
        "sitting_limit_s": 1800.0,
        "session": {"start": NINE, "seated_s": 600.0},
        "next_prompt": {"kind": "move", "at": NINE + 1800, "why": "..."},
        "today": {"sessions": 1, "sitting_s": 600.0, "first_seen": None},
        "in_call": False,
        "watching": False,
    }
    base.update(kw)
    return base


def test_the_properties_are_the_status_and_back() -> None:
    props = properties_from_status(status())
    assert props["Today"] == {"sessions": ("x", 1), "sitting_s": ("d", 600.0)}
    received = {k: (v if k != "Today" else {n: x for n, x in v.items()}) for k, v in props.items()}
    back = status_from_properties(received)
    assert back["session"] == {"start": NINE, "seated_s": 600.0}
    assert back["next_prompt"] == {"kind": "move", "at": NINE + 1800}
    assert back["today"] == {"sessions": 1, "sitting_s": 600.0}
    assert back["state"] == "sitting" and back["paused"] is False


def test_seated_seconds_count_as_changed_once_a_minute() -> None:
    before = properties_from_status(status())
    after = properties_from_status(status(session={"start": NINE, "seated_s": 659.0}))
    assert changed_properties(before, NINE + 600, after, NINE + 659) == {}
    later = properties_from_status(status(session={"start": NINE, "seated_s": 660.0}))
    assert list(changed_properties(before, NINE + 600, later, NINE + 660)) == ["SeatedSeconds"]


def test_a_held_prompt_is_not_news_every_turn() -> None:
    now = NINE + 2000
    held = properties_from_status(status(next_prompt={"kind": "move", "at": now}))
    still = properties_from_status(status(next_prompt={"kind": "move", "at": now + 5}))
    assert "NextPromptAt" not in changed_properties(held, now, still, now + 5)
    gone = properties_from_status(status(next_prompt=None))
    assert "NextPromptKind" in changed_properties(held, now, gone, now + 5)


def test_the_api_names_are_versioned_reverse_dns() -> None:
    assert BUS_NAME == INTERFACE == "io.github.sitbreak.Monitor1"
    assert OBJECT_PATH == "/io/github/sitbreak/Monitor1"
