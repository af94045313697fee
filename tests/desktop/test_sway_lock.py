"""What doctor reads of a sway session's lock set-up: swayidle's events, sway's config lines.

The facts behind it were measured on a real sway (docs/desktops.md, "Screen lock on sway").
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sitbreak.desktop.sway_lock import (
    LOCK_KEY_LINE,
    SWAYIDLE_LINE,
    _same_display,
    config_file,
    joined_lines,
    parse_swayidle,
    parse_swayidle_config,
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


def test_the_optional_hint_line_locks_through_logind_and_sets_the_hint_around_swaylock() -> None:
    argv = shlex.split(SWAYIDLE_LINE.removeprefix("exec "))
    events = parse_swayidle(argv[1:])
    assert events is not None
    (lock,) = [cmd for event, cmd in events if event == "lock"]
    assert "SetLockedHint b true; swaylock && " in lock
    # Every other event goes through logind, so through the handler.
    assert {cmd for event, cmd in events if event != "lock"} == {"loginctl lock-session"}


def test_config_lines_are_joined_where_they_end_in_a_backslash_as_sway_reads_them() -> None:
    config = "set $mod Mod4\nbindswitch lid:on exec \\\n    swaylock -f\n" + LOCK_KEY_LINE
    assert joined_lines(config) == [
        "set $mod Mod4",
        "bindswitch lid:on exec      swaylock -f",
        LOCK_KEY_LINE,
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
