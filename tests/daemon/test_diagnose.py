"""`sitbreak doctor`'s screen-lock check: each way of hearing no lock gets its own fix.

The lines are the ones the lock/suspend monitor (`DBusContextMonitor.describe`) writes.
"""

from __future__ import annotations

import pytest

from sitbreak.daemon.diagnose import OK, WARN, _lock_check
from sitbreak.desktop.sway_lock import SwayFacts, SwayidleRun, parse_swayidle

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


# ------------------------------------------------------------------ sway: the locker's process

LOGIND_SLEEP_ONLY = [
    *SAVERS_OFF,
    "logind: watching PrepareForSleep (suspend and resume)",
    "logind: LockedHint not used for the screen lock here (the locker's process is)",
]
SWAY = {"XDG_CURRENT_DESKTOP": "sway"}
CONFIG = "~/.config/sway/config"
DEFAULT_KEYS = "set $mod Mod4\nbindsym $mod+Return exec foot\n"
#: This user's processes on a sway desktop, as `own_process_names` lists them.
DESK = ["systemd", "sway", "swaybg", "foot", "bash", "sitbreak"]


def _sway(*swayidles: tuple[str, ...], config: str | None = DEFAULT_KEYS) -> SwayFacts:
    runs = []
    for n, argv in enumerate(swayidles):
        events = parse_swayidle(argv)
        assert events is not None, argv
        runs.append(SwayidleRun(4000 + n, events, "its command line"))
    return SwayFacts(
        tuple(runs), CONFIG, config, "" if config is not None else "SWAYSOCK is not set here"
    )


@pytest.mark.parametrize(
    "env",
    [
        SWAY,
        {"SWAYSOCK": "/run/user/1000/sway-ipc.1000.42.sock"},
        {"XDG_CURRENT_DESKTOP": "Hyprland"},
        {"XDG_CURRENT_DESKTOP": "river"},
    ],
)
def test_on_wlroots_desktops_a_bare_swaylock_key_is_ok_the_process_is_watched(
    env: dict[str, str],
) -> None:
    facts = _sway(config=DEFAULT_KEYS + "bindsym $mod+l exec swaylock -f -c 000000\n")
    check = _lock_check(LOGIND_SLEEP_ONLY, env, facts, DESK)
    assert check.status == OK, check
    assert check.detail.startswith(
        "sitbreak watches this user's processes (their names only, every 2 s) for swaylock, "
        "gtklock, waylock, hyprlock: the screen counts as locked while one runs"
    )
    assert "(none runs now)" in check.detail
    assert check.fix == ""


def test_a_locker_already_up_is_named() -> None:
    check = _lock_check(LOGIND_SLEEP_ONLY, SWAY, _sway(), [*DESK, "swaylock"])
    assert check.status == OK
    assert "(running now: swaylock)" in check.detail


def test_the_usual_swayidle_lines_are_ok_too() -> None:
    facts = _sway(("-w", "timeout", "300", "swaylock -f", "before-sleep", "swaylock -f"))
    assert _lock_check(LOGIND_SLEEP_ONLY, SWAY, facts, DESK).status == OK


def test_a_locker_sitbreak_does_not_know_is_warned_of_where_it_is_started() -> None:
    facts = _sway(
        ("-w", "timeout", "300", "i3lock -c 000000"),
        config=DEFAULT_KEYS + "bindsym $mod+l exec --no-startup-id physlock -d\n",
    )
    check = _lock_check(LOGIND_SLEEP_ONLY, SWAY, facts, DESK)
    assert check.status == WARN
    assert (
        "but swayidle's `timeout` runs i3lock, which it does not know; "
        "`bindsym $mod+l exec --no-startup-id physlock -d` in sway's config runs physlock, "
        "which it does not know: that lock is seen only as idle time" in check.detail
    )
    assert check.fix == "lock with one of swaylock, gtklock, waylock, hyprlock instead"


def test_loginctl_and_flock_are_not_taken_for_lockers() -> None:
    keys = DEFAULT_KEYS + "bindsym $mod+l exec loginctl lock-session\nexec flock /tmp/x foot\n"
    facts = _sway(("-w", "lock", "swaylock"), config=keys)
    assert _lock_check(LOGIND_SLEEP_ONLY, SWAY, facts, DESK).status == OK


def test_when_no_process_can_be_listed_no_lock_is_heard_and_doctor_says_so() -> None:
    check = _lock_check(LOGIND_SLEEP_ONLY, SWAY, _sway(), [])
    assert check.status == WARN
    assert "could not list this user's processes" in check.detail
    assert check.fix == "check that /proc shows this user's processes (`ls /proc/self/comm`)"


def test_a_screen_saver_that_runs_on_sway_is_named_beside_the_watch() -> None:
    saver = "org.freedesktop.ScreenSaver: watching ActiveChanged (active at start: no)"
    lines = ["session bus: connected (unix:path=/tmp/bus)", saver, *LOGIND_SLEEP_ONLY[-2:]]
    check = _lock_check(lines, SWAY, _sway(), DESK)
    assert check.status == OK
    assert check.detail.endswith(saver)


def test_a_locker_on_a_continued_config_line_is_found_as_sway_reads_it() -> None:
    facts = _sway(config=DEFAULT_KEYS + "bindswitch lid:on exec \\\n    i3lock -n\n")
    check = _lock_check(LOGIND_SLEEP_ONLY, SWAY, facts, DESK)
    assert check.status == WARN
    assert "in sway's config runs i3lock, which it does not know" in check.detail
