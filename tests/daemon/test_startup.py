"""The daemon's one-time wiring (sitbreak.daemon.startup): every part, made once."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitbreak.clock import SystemClock
from sitbreak.config import load_config
from sitbreak.daemon.loop import DESKTOP_BUSY, Periodic, Wiring, WiringError
from sitbreak.daemon.sdnotify import SdNotifier
from sitbreak.daemon.startup import build_wiring, setup_logging
from sitbreak.desktop.lock_sleep import DBusContextMonitor
from sitbreak.desktop.lockers import LockerWatch
from sitbreak.errors import SitbreakError
from sitbreak.storage.store import Store


class StillSource:
    name = "still"

    def start(self) -> None: ...

    def poll(self) -> float | None:
        return None

    def stop(self) -> None: ...


@pytest.fixture
def wiring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Wiring]:
    # No desktop at all: every part must still be there, degrading on its own.
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CURRENT_DESKTOP", "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)
    store = Store.open(tmp_path / "sitbreak.db")
    yield _service_wiring(store)
    store.close()


def _service_wiring(store: Store) -> Wiring:
    """The wiring `sitbreak run` builds in this environment, on a still desk."""
    return build_wiring(
        load_config(None),
        clock=SystemClock(),
        source=StillSource(),
        store=store,
        notify="log",
        sd=SdNotifier(),
    )


def test_the_service_wiring_has_every_part_the_readme_promises(wiring: Wiring) -> None:
    # Lock and sleep are heard; calls, videos and Do Not Disturb are checked.
    assert [type(m) for m in wiring.monitors] == [DBusContextMonitor]
    assert {p.name for p in wiring.periodic} == {"calls", "videos", DESKTOP_BUSY}
    assert wiring.control_path is not None and wiring.control_path.name == "control.sock"
    # The D-Bus API and the tray are always made; with no session bus each says so.
    assert [p.name for p in wiring.publishers] == ["the D-Bus API", "the tray icon"]
    assert wiring.summaries_path is not None
    assert wiring.summaries_path.name == "summaries.jsonl"


@pytest.mark.parametrize(
    ("name", "value"), [("XDG_CURRENT_DESKTOP", "sway"), ("SWAYSOCK", "/run/sway-ipc.0.1.sock")]
)
def test_on_sway_the_lock_is_heard_from_the_lockers_process_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    store = Store.open(tmp_path / "sitbreak.db")
    try:
        made = _service_wiring(store)
    finally:
        store.close()
    assert [type(m) for m in made.monitors] == [DBusContextMonitor, LockerWatch]
    # One source of truth for the lock: logind is still heard for suspend, not for LockedHint.
    (dbus,) = [m for m in made.monitors if isinstance(m, DBusContextMonitor)]
    assert dbus._watch_locked_hint is False


def test_elsewhere_logind_and_the_screen_savers_tell_of_the_lock(wiring: Wiring) -> None:
    (dbus,) = wiring.monitors
    assert isinstance(dbus, DBusContextMonitor) and dbus._watch_locked_hint is True


def test_do_not_disturb_is_closed_when_the_daemon_stops(wiring: Wiring) -> None:
    (busy,) = [p for p in wiring.periodic if p.name == DESKTOP_BUSY]
    assert busy.close is not None


def test_the_wiring_cannot_be_edited_after_it_is_made(wiring: Wiring) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        wiring.periodic = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        wiring.periodic.append(Periodic("late", lambda: None, 5.0))  # type: ignore[attr-defined]


def test_a_part_left_out_fails_when_the_daemon_is_made(wiring: Wiring) -> None:
    parts = {f.name: getattr(wiring, f.name) for f in dataclasses.fields(Wiring)}
    for missing in parts:
        given = {k: v for k, v in parts.items() if k != missing}
        with pytest.raises(TypeError, match=missing):
            Wiring(**given)


def test_checks_are_a_fixed_tuple_and_named_once(wiring: Wiring) -> None:
    with pytest.raises(WiringError, match="tuples"):
        dataclasses.replace(wiring, periodic=list(wiring.periodic))
    with pytest.raises(WiringError, match="tuples"):
        dataclasses.replace(wiring, publishers=list(wiring.publishers))
    twice = (*wiring.periodic, Periodic("calls", lambda: None, 5.0))
    with pytest.raises(WiringError, match="named twice"):
        dataclasses.replace(wiring, periodic=twice)


def test_a_sync_folder_in_the_config_links_the_daemon_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wiring: Wiring
) -> None:
    assert wiring.sync is None  # no folder configured: this computer alone
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SITBREAK_HOME", str(tmp_path / "sb"))
    config_file = tmp_path / "config.toml"
    config_file.write_text('[sync]\nfolder = "~/Sync/sitbreak"\nname = "desk"\n')
    store = Store.open(tmp_path / "other.db")
    made = build_wiring(
        load_config(config_file),
        clock=SystemClock(),
        source=StillSource(),
        store=store,
        notify="log",
        sd=SdNotifier(),
    )
    store.close()
    assert made.sync is not None
    assert made.sync.folder == tmp_path / "Sync" / "sitbreak"
    assert made.sync.name == "desk"
    assert (tmp_path / "sb" / "data" / "host-id").read_text().strip() == made.sync.host


@pytest.fixture
def sitbreak_logger() -> Iterator[logging.Logger]:
    """The "sitbreak" logger, put back as it was after the test."""
    logger = logging.getLogger("sitbreak")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def test_a_log_line_outside_the_journal_says_its_day_and_zone(
    sitbreak_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from an autostart entry, sitbreak appends to one log file for
    days on end: '17:51:10 INFO session started' could be any day's."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    out = io.StringIO()
    setup_logging("INFO", out)
    sitbreak_logger.info("session started at 09:00")
    line = out.getvalue().rstrip("\n")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} INFO session started at 09:00", line
    ), line


def test_the_journal_gets_no_time_of_ours(
    sitbreak_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")  # journald stamps each line itself
    out = io.StringIO()
    setup_logging("INFO", out)
    sitbreak_logger.warning("notifications cannot be shown")
    assert out.getvalue() == "<4>notifications cannot be shown\n"


def test_the_running_daemons_pid_is_read_only_while_its_lock_is_held(tmp_path: Path) -> None:
    from sitbreak.daemon.startup import InstanceLock, running_daemon_pid

    path = tmp_path / "run" / "sitbreak.lock"
    assert running_daemon_pid(path) is None  # no file
    lock = InstanceLock(path)
    lock.acquire()
    assert running_daemon_pid(path) == os.getpid()
    lock.release()
    assert path.read_text() == str(os.getpid())  # left behind by a daemon that ended
    assert running_daemon_pid(path) is None  # and not to be trusted


@pytest.mark.parametrize("service", [False, True])
def test_a_second_daemon_says_how_to_stop_the_first_as_it_was_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: bool
) -> None:
    """Without systemd (an autostart entry), "stop it with `systemctl --user stop
    sitbreak`" named a command that is not there."""
    from sitbreak.daemon.startup import InstanceLock

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    if service:
        unit = tmp_path / "config" / "systemd" / "user" / "sitbreak.service"
        unit.parent.mkdir(parents=True)
        unit.write_text("[Service]\n")
    path = tmp_path / "run" / "sitbreak.lock"
    first = InstanceLock(path)
    first.acquire()
    try:
        with pytest.raises(SitbreakError) as info:
            InstanceLock(path).acquire()
    finally:
        first.release()
    pid = os.getpid()
    stop = (
        f"`systemctl --user stop sitbreak` (the service) or `kill {pid}`"
        if service
        else f"`kill {pid}`"
    )
    assert str(info.value) == (
        f"sitbreak is already running (pid {pid}); see `sitbreak status`, or stop it with {stop}"
    )
