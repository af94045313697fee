"""`sitbreak doctor`'s screen-lock check: each way of hearing no lock gets its own fix.

The lines are the ones the lock/suspend monitor (`DBusContextMonitor.describe`) writes.
"""

from __future__ import annotations

import shlex

import pytest

from sitbreak.daemon.diagnose import OK, WARN, _lock_check
from sitbreak.desktop.sway_lock import (
    LOCK_KEY_LINE,
    SWAYIDLE_LINE,
    SwayFacts,
    SwayidleRun,
    parse_swayidle,
)

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


# ------------------------------------------------------------------ sway: is a lock ever announced?

LOGIND_WATCHED = [
    *SAVERS_OFF,
    "logind: watching PrepareForSleep (suspend and resume)",
    "logind: watching LockedHint of session /org/freedesktop/login1/session/2 "
    "(XDG_SESSION_ID=2); locked at start: no",
]
SWAY = {"XDG_CURRENT_DESKTOP": "sway"}
CONFIG = "~/.config/sway/config"
DEFAULT_KEYS = "set $mod Mod4\nbindsym $mod+Return exec foot\n"


def _sway(*swayidles: tuple[str, ...], config: str | None = DEFAULT_KEYS) -> SwayFacts:
    runs = []
    for n, argv in enumerate(swayidles):
        events = parse_swayidle(argv)
        assert events is not None, argv
        runs.append(SwayidleRun(4000 + n, events, "its command line"))
    return SwayFacts(
        tuple(runs), CONFIG, config, "" if config is not None else "SWAYSOCK is not set here"
    )


def _recommended() -> tuple[str, ...]:
    """The line doctor recommends, as sway hands it to swayidle (sh -c splits it)."""
    argv = shlex.split(SWAYIDLE_LINE.removeprefix("exec "))
    assert argv[0] == "swayidle"
    return tuple(argv[1:])


def test_on_sway_logind_watched_is_no_ok_when_a_bare_swaylock_key_locks() -> None:
    facts = _sway(config=DEFAULT_KEYS + "bindsym $mod+l exec swaylock -f -c 000000\n")
    check = _lock_check(LOGIND_WATCHED, SWAY, facts)
    assert check.status == WARN
    assert "no swayidle runs on this display (besides sitbreak's own)" in check.detail
    assert (
        "`bindsym $mod+l exec swaylock -f -c 000000` in sway's config starts swaylock "
        "itself: that lock is not heard" in check.detail
    )
    assert "it counts as a break once the idle limit has passed" in check.detail
    assert f"add this line to {CONFIG} (in place of any other `exec swayidle` line there)" in (
        check.fix
    )
    assert check.fix.count(SWAYIDLE_LINE) == 1
    assert (
        f"in {CONFIG}, change `bindsym $mod+l exec swaylock -f -c 000000` to "
        "`bindsym $mod+l exec loginctl lock-session`, then `swaymsg reload`" in check.fix
    )


def test_the_usual_swayidle_lines_set_no_hint_and_doctor_says_which_ran_swaylock() -> None:
    facts = _sway(
        ("-w", "timeout", "300", "swaylock -f", "before-sleep", "swaylock -f"),
    )
    check = _lock_check(LOGIND_WATCHED, SWAY, facts)
    assert check.status == WARN
    assert (
        "swayidle runs (pid 4000: timeout 'swaylock -f' before-sleep 'swaylock -f'), "
        "but none of its lock commands sets LockedHint" in check.detail
    )
    assert "swayidle's `timeout` runs `swaylock -f` itself: that lock is not heard" in check.detail
    assert SWAYIDLE_LINE in check.fix


def test_a_lock_handler_through_logind_without_the_hint_is_not_heard_either() -> None:
    # Measured: `loginctl lock-session` makes logind send Lock, swayidle runs swaylock,
    # and LockedHint stays false (docs/desktops.md, "Screen lock on sway").
    facts = _sway(("-w", "timeout", "300", "loginctl lock-session", "lock", "swaylock -f"))
    check = _lock_check(LOGIND_WATCHED, SWAY, facts)
    assert check.status == WARN
    assert "none of its lock commands sets LockedHint" in check.detail
    assert "swayidle's `lock` runs `swaylock -f` itself" in check.detail


def test_a_handler_whose_swaylock_returns_at_once_clears_the_hint_too_early() -> None:
    hint = "busctl call org.freedesktop.login1 /org/freedesktop/login1/session/auto "
    hint += "org.freedesktop.login1.Session SetLockedHint b"
    handler = f"{hint} true; swaylock -f -c 000000 && {hint} false"
    check = _lock_check(LOGIND_WATCHED, SWAY, _sway(("-w", "lock", handler)))
    assert check.status == WARN
    assert (
        f"swayidle's lock handler `{handler}` clears LockedHint as soon as `swaylock -f` has "
        "locked (it returns then), not at the unlock" in check.detail
    )
    assert SWAYIDLE_LINE in check.fix


def test_the_recommended_line_and_a_lock_key_through_logind_are_ok() -> None:
    keys = DEFAULT_KEYS + LOCK_KEY_LINE + "\n"
    check = _lock_check(LOGIND_WATCHED, SWAY, _sway(_recommended(), config=keys))
    assert check.status == OK, check
    assert check.fix == ""
    assert check.detail.startswith(
        "swayidle (pid 4000) sets logind's LockedHint around swaylock on every lock that "
        "goes through logind (`loginctl lock-session`)"
    )
    assert "watching LockedHint of session /org/freedesktop/login1/session/2" in check.detail


def test_the_recommended_line_with_a_bare_swaylock_key_still_warns_of_the_key() -> None:
    keys = DEFAULT_KEYS + "bindsym $mod+Escape exec swaylock\n"
    check = _lock_check(LOGIND_WATCHED, SWAY, _sway(_recommended(), config=keys))
    assert check.status == WARN
    assert check.detail.startswith(
        "swayidle's lock handler sets logind's LockedHint, the one lock signal sitbreak hears "
        "on sway, but not every lock goes through it: `bindsym $mod+Escape exec swaylock`"
    )
    assert "no swayidle runs" not in check.detail and SWAYIDLE_LINE not in check.fix
    assert check.fix == (
        f"in {CONFIG}, change `bindsym $mod+Escape exec swaylock` to "
        "`bindsym $mod+Escape exec loginctl lock-session`, then `swaymsg reload`"
    )


def test_a_config_doctor_cannot_read_is_not_taken_for_a_good_one() -> None:
    check = _lock_check(LOGIND_WATCHED, SWAY, _sway(_recommended(), config=None))
    assert check.status == WARN
    assert check.detail.startswith("swayidle's lock handler sets logind's LockedHint")
    assert (
        "sitbreak could not read sway's config (SWAYSOCK is not set here), so it cannot tell "
        "whether a key starts swaylock itself" in check.detail
    )
    assert check.fix == f"in {CONFIG}, lock with `{LOCK_KEY_LINE}`, not `exec swaylock`"


def test_a_screen_saver_that_runs_on_sway_is_heard_as_anywhere() -> None:
    lines = [
        "session bus: connected (unix:path=/tmp/bus)",
        "org.freedesktop.ScreenSaver: watching ActiveChanged (active at start: no)",
        *LOGIND_WATCHED[-2:],
    ]
    check = _lock_check(lines, SWAY, _sway())
    assert check.status == OK


def test_on_sway_without_logind_the_fix_names_the_file_and_the_line() -> None:
    check = _lock_check([*SAVERS_OFF, NO_LOGIND], {**SWAY, "HOME": "/home/ann"})
    assert check.status == WARN
    assert (
        "once logind answers, add this line to ~/.config/sway/config (in place of any other "
        f"`exec swayidle` line) so that each lock sets it with SetLockedHint: {SWAYIDLE_LINE}"
        in check.fix
    )
