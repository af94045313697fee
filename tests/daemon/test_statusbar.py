"""What each status bar is handed (`sitbreak status --format ...`), for one morning."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitbreak.commands import COMMANDS, MODULES
from sitbreak.commands.status import BAR_FORMATS
from sitbreak.daemon import statusbar

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
TEN_TO_ELEVEN = dt.datetime(2026, 11, 2, 10, 31, tzinfo=BERLIN).timestamp()


def sitting(seated_min: float, **kw: Any) -> dict[str, Any]:
    now = TEN_TO_ELEVEN
    status: dict[str, Any] = {
        "ok": True,
        "state": "sitting",
        "paused": False,
        "paused_until": None,
        "sitting_limit_s": 30 * MIN,
        "session": {"start": now - seated_min * MIN, "seated_s": seated_min * MIN},
        "next_prompt": {"kind": "move", "at": now + 34 * MIN},
        "today": {"sessions": 2, "sitting_s": 95 * MIN, "breaks": 1},
    }
    status.update(kw)
    return status


def render(fmt: str, status: dict[str, Any] | None, **kw: Any) -> str:
    return statusbar.render(fmt, status, now=TEN_TO_ELEVEN, tz=BERLIN, **kw)


def test_waybar_gets_text_tooltip_class_and_percentage() -> None:
    out = json.loads(render("waybar", sitting(34)))
    assert out == {
        "text": "Sitting 34 min",
        "tooltip": "Sitting 34 min · next: stand up at 11:05\nToday: 1 h 35 sitting, 1 break",
        "class": "over-limit",
        "percentage": 100,
    }


def test_the_percentage_is_how_far_into_the_sitting_limit() -> None:
    assert json.loads(render("waybar", sitting(15)))["percentage"] == 50
    over = json.loads(render("waybar", sitting(45)))
    assert over["percentage"] == 100 and over["class"] == "over-limit"
    away = json.loads(render("waybar", sitting(0, state="away", session=None, next_prompt=None)))
    assert away == {"text": "Away", "tooltip": "Away\nToday: 1 h 35 sitting, 1 break"} | {
        "class": "away",
        "percentage": 0,
    }


def test_a_pause_shows_until_when() -> None:
    until = TEN_TO_ELEVEN + 30 * MIN
    out = json.loads(render("waybar", sitting(5, paused=True, paused_until=until)))
    assert out["class"] == "paused"
    assert out["text"] == "Sitting 5 min · Paused until 11:01"
    indefinite = json.loads(render("waybar", sitting(5, paused=True)))
    assert indefinite["text"].endswith("· Paused")


def test_i3blocks_gets_full_short_and_colour_lines() -> None:
    assert render("i3blocks", sitting(34)) == "Sitting 34 min\n34 min\n#E06C75"
    assert render("i3blocks", sitting(10)) == "Sitting 10 min\n10 min"
    assert render("i3blocks", sitting(10), one_line=True) == "Sitting 10 min"


def test_i3status_rust_gets_its_states() -> None:
    assert json.loads(render("i3status-rs", sitting(34)))["state"] == "Warning"
    assert json.loads(render("i3status-rs", sitting(10))) == {
        "text": "Sitting 10 min",
        "short_text": "10 min",
        "state": "Info",
    }
    assert json.loads(render("i3status-rs", None))["state"] == "Idle"


def test_polybar_gets_colour_tags_and_no_stray_percent() -> None:
    assert render("polybar", sitting(34)) == "%{F#E06C75}Sitting 34 min%{F-}"
    assert render("polybar", sitting(10)) == "Sitting 10 min"


@pytest.mark.parametrize("fmt", BAR_FORMATS)
def test_not_running_is_shown_not_an_error(fmt: str) -> None:
    assert "off" in render(fmt, None)


def test_under_a_minute_and_tomorrow_are_words() -> None:
    out = json.loads(render("waybar", sitting(0.5)))
    assert out["text"] == "Sitting under a minute"
    tomorrow = TEN_TO_ELEVEN + 20 * 3600
    out = json.loads(render("waybar", sitting(5, paused=True, paused_until=tomorrow)))
    assert out["text"].endswith("Paused until Tue 06:31")


def test_the_parser_knows_the_formats_without_importing_them() -> None:
    assert BAR_FORMATS == statusbar.FORMATS == tuple(statusbar.RENDERERS)


def test_every_command_name_maps_to_the_module_that_registers_it() -> None:
    import argparse
    import importlib

    for module in MODULES:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"sitbreak.commands.{module}").register(sub)
        for name in sub.choices:
            assert COMMANDS[name] == module
    assert set(COMMANDS.values()) == set(MODULES)


def test_sitbreak_status_builds_only_its_own_parser() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from sitbreak.cli import build_parser; build_parser(['status']); "
        "import json; print(json.dumps([m for m in sys.modules if m.startswith('sitbreak')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "sitbreak.config" not in loaded and "sitbreak.core" not in loaded, loaded
    assert "sitbreak.commands.report" not in loaded


def test_the_tooltips_day_counts_the_session_up_to_now_as_the_bar_does() -> None:
    """Reading for four minutes without touching anything: the bar says
    "Sitting 34 min", and the day must not stop counting four minutes ago."""
    status = sitting(34)
    status["session"]["last_seen"] = TEN_TO_ELEVEN - 4 * MIN
    status["today"]["sitting_s"] = 95 * MIN - 4 * MIN  # stored up to the last input
    tooltip = json.loads(render("waybar", status))["tooltip"]
    assert tooltip.endswith("\nToday: 1 h 35 sitting, 1 break")


def test_the_tooltip_counts_the_break_going_on() -> None:
    away = sitting(0, state="away", session=None, next_prompt=None, since=TEN_TO_ELEVEN - 5 * MIN)
    away["today"]["breaks"] = 0
    tooltip = json.loads(render("waybar", away))["tooltip"]
    assert tooltip == "Away\nToday: 1 h 35 sitting, 1 break"


def test_the_open_session_counts_today_only_from_midnight() -> None:
    midnight = dt.datetime(2024, 6, 3, 0, 0, tzinfo=dt.timezone.utc).timestamp()
    start = midnight - 20 * MIN  # a late night
    now = midnight + 15 * MIN
    status = {
        "session": {"start": start, "seated_s": now - start, "last_seen": now - 5 * MIN},
        "today": {"sitting_s": 10 * MIN, "longest_session_s": 10 * MIN, "sessions": 1},
    }
    assert statusbar.counted_today(status, dt.timezone.utc) == (15 * MIN, 15 * MIN)
