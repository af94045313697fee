"""What doctor reads of a sway session's lock set-up: swayidle's events, sway's config lines.

The facts behind it were measured on a real sway (docs/desktops.md, "Screen lock on sway"):
nothing but a command that calls SetLockedHint ever changes logind's LockedHint.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sitbreak.desktop.sway_lock import (
    LOCK_KEY_LINE,
    SWAYIDLE_LINE,
    _same_display,
    bare_swaylock_bindings,
    config_file,
    daemonizes_swaylock,
    parse_swayidle,
    parse_swayidle_config,
    runs_swaylock,
    sets_locked_hint,
)


def test_swayidle_arguments_become_its_events_options_and_idlehint_left_out() -> None:
    argv = [
        "-w", "-d", "-S", "seat0",
        "timeout", "300", "swaylock -f", "resume", "swaymsg output '*' power on",
        "idlehint", "600",
        "before-sleep", "loginctl lock-session",
        "lock", "swaylock -f",
    ]  # fmt: skip
    assert parse_swayidle(argv) == (
        ("timeout", "swaylock -f"),
        ("resume", "swaymsg output '*' power on"),
        ("before-sleep", "loginctl lock-session"),
        ("lock", "swaylock -f"),
    )


def test_a_swayidle_given_no_events_reads_a_config_file_of_the_same_syntax() -> None:
    assert parse_swayidle(["-w", "-C", "/home/ann/.config/swayidle/config"]) is None
    text = "# locks\ntimeout 300 'swaylock -f'\n\nbefore-sleep 'swaylock -f'\nlock 'unclosed\n"
    assert parse_swayidle_config(text) == (
        ("timeout", "swaylock -f"),
        ("before-sleep", "swaylock -f"),
    )


@pytest.mark.parametrize(
    "command",
    [
        "busctl call org.freedesktop.login1 /org/freedesktop/login1/session/auto "
        "org.freedesktop.login1.Session SetLockedHint b true",
        "dbus-send --system --print-reply --dest=org.freedesktop.login1 "
        "/org/freedesktop/login1/session/auto org.freedesktop.login1.Session.SetLockedHint "
        "boolean:true",
        "gdbus call --system --dest org.freedesktop.login1 --object-path "
        "/org/freedesktop/login1/session/auto --method "
        "org.freedesktop.login1.Session.SetLockedHint true",
    ],
)
def test_setting_the_hint_is_seen_whichever_d_bus_tool_calls_it(command: str) -> None:
    assert sets_locked_hint(command, True)
    assert not sets_locked_hint(command, False)


def test_the_hint_is_not_seen_where_nothing_calls_set_locked_hint() -> None:
    assert not sets_locked_hint("swaylock -f; notify-send true", True)
    assert not sets_locked_hint("loginctl lock-session", True)


def test_the_recommended_line_sets_the_hint_both_ways_in_its_lock_handler() -> None:
    argv = shlex.split(SWAYIDLE_LINE.removeprefix("exec "))
    events = parse_swayidle(argv[1:])
    assert events is not None
    (lock,) = [cmd for event, cmd in events if event == "lock"]
    assert sets_locked_hint(lock, True) and sets_locked_hint(lock, False)
    assert runs_swaylock(lock)
    # Every other event goes through logind, so through the handler.
    assert {cmd for event, cmd in events if event != "lock"} == {"loginctl lock-session"}


@pytest.mark.parametrize(
    ("command", "runs"),
    [
        ("swaylock", True),
        ("swaylock -f -c 000000", True),
        ("/usr/bin/swaylock -f", True),
        ("pkill -USR1 swaylock", False),
        ("pidof swaylock || swaylock", True),
        ("{ hint true; swaylock && hint false; } &", True),
        ("loginctl lock-session", False),
        ("swaylock-fancy", False),
        ("swayidle -w", False),
    ],
)
def test_which_commands_start_swaylock(command: str, runs: bool) -> None:
    assert runs_swaylock(command) is runs


@pytest.mark.parametrize(
    ("command", "returns_at_once"),
    [
        ("swaylock -f", True),
        ("swaylock -Ffc 000000", True),
        ("swaylock --daemonize", True),
        ("hint true; swaylock -c 000000 && hint false", False),
        ("swaylock --font mono", False),
    ],
)
def test_which_swaylocks_return_as_soon_as_locked(command: str, returns_at_once: bool) -> None:
    assert daemonizes_swaylock(command) is returns_at_once


def test_bare_swaylock_keys_are_found_and_comments_swayidle_and_logind_keys_are_not() -> None:
    config = "\n".join(
        [
            "set $mod Mod4",
            "# bindsym $mod+l exec swaylock",
            "bindsym $mod+l exec swaylock -f -c 000000",
            "bindswitch lid:on exec \\",
            "    swaylock -f",
            "exec swayidle -w timeout 300 'swaylock -f'",
            LOCK_KEY_LINE,
            SWAYIDLE_LINE,
        ]
    )
    assert bare_swaylock_bindings(config) == [
        "bindsym $mod+l exec swaylock -f -c 000000",
        "bindswitch lid:on exec      swaylock -f",
    ]


def test_the_config_file_named_is_the_one_sway_would_read(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert config_file(env) == "~/.config/sway/config"  # none yet: where to make it
    (tmp_path / ".config/i3").mkdir(parents=True)
    (tmp_path / ".config/i3/config").write_text("")
    assert config_file(env) == "~/.config/i3/config"
    (tmp_path / ".config/sway").mkdir()
    (tmp_path / ".config/sway/config").write_text("")
    assert config_file(env) == "~/.config/sway/config"
    (tmp_path / ".sway").mkdir()
    (tmp_path / ".sway/config").write_text("")
    assert config_file(env) == "~/.sway/config"
    assert config_file({"HOME": str(tmp_path), "XDG_CONFIG_HOME": "/etc/xdg"}) == "~/.sway/config"


def test_a_swayidle_counts_only_on_our_wayland_display() -> None:
    ours = {"XDG_RUNTIME_DIR": "/run/user/1000", "WAYLAND_DISPLAY": "wayland-1"}
    assert _same_display({**ours}, ours)
    assert _same_display({"WAYLAND_DISPLAY": "/run/user/1000/wayland-1"}, ours)
    assert not _same_display({**ours, "WAYLAND_DISPLAY": "wayland-2"}, ours)
    assert not _same_display({**ours, "XDG_RUNTIME_DIR": "/run/user/1001"}, ours)
