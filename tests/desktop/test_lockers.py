"""The screen lock heard from the locker's process, on a desk whose process list tests change."""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import time

import pytest

from desktop import wait_for
from sitbreak.clock import ManualClock
from sitbreak.core.model import Event, Lock, Unlock
from sitbreak.desktop.lockers import (
    LockerWatch,
    own_process_names,
    running_lockers,
    watches_lockers,
)

#: A sway desktop's processes of this user, no locker among them.
DESK = ["systemd", "sway", "swaybg", "foot", "bash", "swayidle", "sitbreak"]
NINE = 1_794_000_000.0


class Desk:
    """This user's processes (names), changed by the scenario; the watch looks at them."""

    def __init__(self) -> None:
        self.names = list(DESK)
        self.looks = 0

    def __call__(self) -> list[str]:
        self.looks += 1
        return list(self.names)


def _watch(desk: Desk) -> tuple[LockerWatch, list[Event], ManualClock]:
    events: list[Event] = []
    clock = ManualClock(NINE)
    return LockerWatch(events.append, clock, processes=desk), events, clock


def test_swaylock_on_screen_is_a_lock_and_its_exit_the_unlock() -> None:
    desk = Desk()
    watch, events, clock = _watch(desk)
    assert watch.poll() is False and events == []
    clock.advance(25 * 60)
    desk.names.append("swaylock")  # bindsym $mod+l exec swaylock
    assert watch.poll() is True
    clock.advance(2)
    assert watch.poll() is True  # still up: nothing new
    clock.advance(5 * 60)
    desk.names.remove("swaylock")  # the password typed
    assert watch.poll() is False
    assert events == [Lock(NINE + 25 * 60), Unlock(NINE + 25 * 60 + 2 + 5 * 60)]


@pytest.mark.parametrize("locker", ["swaylock", "gtklock", "waylock", "hyprlock"])
def test_each_known_locker_locks(locker: str) -> None:
    desk = Desk()
    desk.names.append(locker)
    watch, events, _clock = _watch(desk)
    watch.poll()
    assert events == [Lock(NINE)]


def test_a_locker_already_up_at_start_is_one_lock_stamped_then() -> None:
    desk = Desk()
    desk.names.append("swaylock")
    watch, events, _clock = _watch(desk)
    watch.poll()
    watch.poll()
    assert events == [Lock(NINE)]


def test_two_lockers_are_one_lock_until_the_last_one_ends() -> None:
    desk = Desk()
    watch, events, clock = _watch(desk)
    desk.names += ["swaylock", "swaylock"]  # a key pressed twice: the second fails at once
    watch.poll()
    desk.names.remove("swaylock")
    clock.advance(1)
    watch.poll()
    desk.names.remove("swaylock")
    clock.advance(59)
    watch.poll()
    assert events == [Lock(NINE), Unlock(NINE + 60)]


def test_names_that_only_look_like_a_locker_do_not_lock() -> None:
    desk = Desk()
    desk.names += ["swaylock-wrap", "xflock4", "i3lock", "flock", "Swaylock"]
    watch, events, _clock = _watch(desk)
    watch.poll()
    assert events == []
    assert running_lockers(desk.names) == []


def test_a_failed_look_keeps_the_lock_until_a_look_works() -> None:
    desk = Desk()
    desk.names.append("swaylock")
    watch, events, clock = _watch(desk)
    watch.poll()

    def broken() -> list[str]:
        raise OSError("no /proc")

    watch._processes = broken
    clock.advance(2)
    assert watch.poll() is True
    watch._processes = desk
    desk.names.remove("swaylock")
    clock.advance(2)
    assert watch.poll() is False
    assert events == [Lock(NINE), Unlock(NINE + 4)]


def test_started_it_looks_at_once_and_then_every_few_seconds_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sitbreak.desktop.lockers")
    desk = Desk()
    inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
    clock = ManualClock(NINE)
    watch = LockerWatch(inbox.put, clock, processes=desk, every=0.05)
    watch.start()
    try:
        wait_for(lambda: desk.looks >= 1, 5, "the first look")
        desk.names.append("swaylock")
        assert inbox.get(timeout=5) == Lock(NINE)
        desk.names.remove("swaylock")
        assert inbox.get(timeout=5) == Unlock(NINE)
    finally:
        watch.stop()
    assert (
        "screen lockers: watching this user's processes for swaylock, gtklock, waylock, "
        "hyprlock every 0.05 s (names only); locked while one runs" in caplog.messages
    )
    looks = desk.looks
    time.sleep(0.3)  # six looks' time
    assert desk.looks == looks, "still looking after stop()"


def test_this_users_processes_are_listed_by_name() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        wait_for(lambda: _comm(child.pid) == "sleep", 10, "the child to become sleep")
        names = own_process_names()
    finally:
        child.kill()  # ours, by its pid
        child.wait()
    assert "sleep" in names
    assert _comm(os.getpid()) in names


def _comm(pid: int) -> str:
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


@pytest.mark.parametrize(
    ("env", "watched"),
    [
        ({"XDG_CURRENT_DESKTOP": "sway"}, True),
        ({"SWAYSOCK": "/run/user/1000/sway-ipc.1000.42.sock"}, True),
        ({"XDG_CURRENT_DESKTOP": "Hyprland"}, True),
        ({"HYPRLAND_INSTANCE_SIGNATURE": "abc"}, True),
        ({"XDG_CURRENT_DESKTOP": "river"}, True),
        ({"XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}, False),
        ({"XDG_CURRENT_DESKTOP": "KDE"}, False),
        ({}, False),
    ],
)
def test_the_watch_is_for_desktops_whose_locker_announces_nothing(
    env: dict[str, str], watched: bool
) -> None:
    assert watches_lockers(env) is watched
