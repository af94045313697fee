"""`sitbreak doctor`'s screen-lock check: each way of hearing no lock gets its own fix.

The lines are the ones the lock/suspend monitor (`DBusContextMonitor.describe`) writes.
"""

from __future__ import annotations

import pytest

from sitbreak.daemon.diagnose import OK, WARN, _lock_check

NO_SESSION_BUS = "session bus: unavailable (DBUS_SESSION_BUS_ADDRESS is not set)"
NO_SYSTEM_BUS = (
    "system bus: unavailable at unix:path=/nonexistent (FileNotFoundError: [Errno 2] No such file)"
)
NO_LOGIND = (
    "logind (org.freedesktop.login1): not on the system bus; no suspend or LockedHint signals"
)
SAVERS_OFF = [
    "session bus: connected (unix:path=/tmp/bus)",
    "org.freedesktop.ScreenSaver: not running; its ActiveChanged counts if it starts",
    "org.gnome.ScreenSaver: not running; its ActiveChanged counts if it starts",
]
LOGIND_CHECK = "`busctl status org.freedesktop.login1`"


def test_a_lock_heard_from_logind_or_a_screen_saver_needs_no_fix() -> None:
    lines = [
        *SAVERS_OFF,
        "logind: watching PrepareForSleep (suspend and resume)",
        "logind: watching LockedHint of session /org/freedesktop/login1/session/_32 "
        "(XDG_SESSION_ID=2); locked at start: no",
    ]
    check = _lock_check(lines, {})
    assert check.status == OK and check.fix == ""


def test_no_session_bus_and_no_system_bus_say_where_to_run_it_and_what_to_check() -> None:
    check = _lock_check([NO_SESSION_BUS, NO_SYSTEM_BUS], {})
    assert check.status == WARN
    assert check.fix.startswith("run sitbreak inside your desktop session")
    assert "DBUS_SESSION_BUS_ADDRESS is not set here" in check.fix
    assert LOGIND_CHECK in check.fix


@pytest.mark.parametrize(
    ("desktop", "owner"),
    [
        ("GNOME", "GNOME Shell owns org.gnome.ScreenSaver"),
        ("ubuntu:GNOME", "GNOME Shell owns org.gnome.ScreenSaver"),
        ("KDE", "Plasma owns org.freedesktop.ScreenSaver"),
    ],
)
def test_on_gnome_and_plasma_the_fix_names_the_screen_saver_that_should_be_there(
    desktop: str, owner: str
) -> None:
    check = _lock_check([*SAVERS_OFF, NO_LOGIND], {"XDG_CURRENT_DESKTOP": desktop})
    assert check.status == WARN
    name = owner.rsplit(" ", 1)[1]
    assert check.fix.startswith(f"{owner}: check that")
    assert f"`busctl --user status {name}`" in check.fix
    assert LOGIND_CHECK in check.fix


@pytest.mark.parametrize("env", [{"XDG_CURRENT_DESKTOP": "sway"}, {"SWAYSOCK": "/run/sway.sock"}])
def test_on_sway_the_fix_says_swaylock_tells_nobody_and_logind_must_hear_of_it(
    env: dict[str, str],
) -> None:
    check = _lock_check([*SAVERS_OFF, NO_SYSTEM_BUS], env)
    assert check.fix.startswith("swaylock tells nobody it locked (swaywm/swaylock#382)")
    assert "SetLockedHint" in check.fix and LOGIND_CHECK in check.fix


def test_elsewhere_the_fix_says_what_sitbreak_hears_and_that_logind_is_left() -> None:
    check = _lock_check([*SAVERS_OFF, NO_LOGIND], {"XDG_CURRENT_DESKTOP": "XFCE"})
    assert "org.gnome.ScreenSaver" in check.fix and "org.freedesktop.ScreenSaver" in check.fix
    assert check.fix.endswith("elogind where systemd is not the init)")


def test_without_jeepney_the_fix_is_to_install_it() -> None:
    lines = ["D-Bus: unavailable (jeepney is not installed; sitbreak needs it on Linux)"]
    check = _lock_check(lines, {"XDG_CURRENT_DESKTOP": "GNOME"})
    assert check.status == WARN
    assert check.fix == (
        "install jeepney where sitbreak is installed (`pip install jeepney`): D-Bus needs it"
    )
