"""Real status bars running sitbreak's modules against the real `sitbreak run`.

The daemon is `sitbreak run` on Xvfb and a private session bus, in a
login's XDG directories; the bars are Debian's, configured as
docs/status-bars.md tells people, polling `sitbreak status --format ...`
every second (the start-up BENCHMARKS.md measures), while a person sits,
pauses, resumes and the daemon stops.

- i3blocks is a plain program: it runs each block's command and prints the
  i3bar protocol on its stdout, what i3bar or swaybar would draw; a second
  block runs `--follow` in persist mode.
- polybar draws on the X display: a screenshot (xwd) says which colour the
  module's text has, and the colour is what the format says (`%{F#...}`).

waybar on headless sway is in test_dbus_api.py.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop import (
    FAST_DAEMON_CONFIG,
    Desktop,
    desktop,
    require_tool,
    someone_working,
    wait_for,
    xdg_login,
)
from screenshot import xwd_colours, xwd_root

pytestmark = pytest.mark.desktop

#: The colours of docs/status-bars.md's formats: paused or not running, and over the limit.
QUIET = "#888888"
OVER = "#E06C75"


def sitbreak_command() -> str:
    """The console script beside this interpreter, as a bar's config names it."""
    script = Path(sys.executable).with_name("sitbreak")
    return str(script) if script.exists() else f"{sys.executable} -m sitbreak"


class Bar:
    """An i3blocks process and the blocks it last printed, by block name."""

    def __init__(self, config: Path, env: dict[str, str], log: Path) -> None:
        self.proc = subprocess.Popen(
            ["i3blocks", "-c", str(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
            text=True,
        )
        self.log = log
        self.header: dict[str, Any] | None = None
        self.blocks: dict[str, dict[str, Any]] = {}
        self.lines = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            text = line.strip().lstrip(",")
            if not text or text == "[":
                continue
            if self.header is None:
                self.header = json.loads(text)
                continue
            status_line = json.loads(text.removeprefix("[") if text.startswith("[[") else text)
            with self._lock:
                self.lines += 1
                for block in status_line:
                    if block.get("name"):
                        self.blocks[block["name"]] = block

    def block(self, name: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.blocks.get(name, {}))

    def wait(self, what: str, test: Callable[[dict[str, Any], dict[str, Any]], bool]) -> None:
        """Until the polled block and the following one pass `test`."""
        wait_for(
            lambda: (
                test(self.block("sitbreak"), self.block("follow")) or self.proc.poll() is not None
            ),
            timeout=40,
            what=f"i3blocks to show {what}",
        )
        assert self.proc.poll() is None, self.log.read_text()[-2000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(10)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Desktop, dict[str, str], subprocess.Popen[bytes]]]:
    config = tmp_path / "config.toml"
    config.write_text(FAST_DAEMON_CONFIG)
    with desktop(with_dunst=False) as d:
        env = dict(xdg_login(tmp_path / "home", d.env), TZ="UTC")
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "run", "--config", str(config), "--notify", "log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "sitbreak.log").open("wb"),
        )
        try:
            wait_for(
                (tmp_path / "home" / "run" / "sitbreak" / "control.sock").exists,
                timeout=20,
                what="the daemon's control socket",
            )
            yield d, env, proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)


def test_i3blocks_shows_the_session_a_pause_and_the_daemon_stopping(
    daemon: tuple[Desktop, dict[str, str], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    require_tool("i3blocks")
    d, env, proc = daemon
    sitbreak = sitbreak_command()
    config = tmp_path / "i3blocks.conf"
    config.write_text(
        "[sitbreak]\n"
        f"command={sitbreak} status --format i3blocks\n"
        "interval=1\n"
        "\n"
        "[follow]\n"
        f"command={sitbreak} status --follow --format i3blocks\n"
        "interval=persist\n"
    )
    bar = Bar(config, env, tmp_path / "i3blocks.log")
    try:
        bar.wait("sitbreak's state", lambda polled, follow: bool(polled and follow))
        assert bar.header is not None and bar.header["version"] == 1
        polled = bar.block("sitbreak")
        assert polled["full_text"] == bar.block("follow")["full_text"] == "Away"
        assert "color" not in polled

        with someone_working(d):
            bar.wait(
                "a session",
                lambda polled, follow: (
                    polled.get("full_text", "").startswith("Sitting")
                    and follow.get("full_text", "").startswith("Sitting")
                ),
            )
            # The short text is the seated time alone (i3bar shows it when space is short).
            assert bar.block("sitbreak")["short_text"] in ("under a minute", "1 min")

            subprocess.run(
                [*sitbreak.split(), "pause", "30m"], env=env, check=True, capture_output=True
            )
            paused_at = time.time()
            today = dt.datetime.fromtimestamp(paused_at, dt.timezone.utc).date()

            def bar_clock(t: float) -> str:  # a time on another day names its day: "Wed 00:20"
                when = dt.datetime.fromtimestamp(t, dt.timezone.utc)
                return f"{when:%H:%M}" if when.date() == today else f"{when:%a %H:%M}"

            expected = {f"Paused until {bar_clock(paused_at + 1800 - s)}" for s in (0, 60)}
            bar.wait(
                "the pause",
                lambda polled, follow: (
                    "Paused until" in polled.get("full_text", "")
                    and "Paused until" in follow.get("full_text", "")
                ),
            )
            polled = bar.block("sitbreak")
            assert polled["short_text"] in expected, polled
            assert polled["full_text"].startswith("Sitting") and polled["color"] == QUIET

            subprocess.run([*sitbreak.split(), "resume"], env=env, check=True, capture_output=True)
            bar.wait(
                "the resume",
                lambda polled, follow: (
                    "Paused" not in polled.get("full_text", "Paused")
                    and "Paused" not in follow.get("full_text", "Paused")
                ),
            )
            # Sitting again: no colour, or the over-limit one once the 8 s limit is past.
            assert bar.block("sitbreak").get("color", OVER) == OVER

        proc.terminate()
        proc.wait(15)
        # Not running is shown, not an error: the bar keeps both modules.
        bar.wait(
            "sitbreak off",
            lambda polled, follow: (
                polled.get("full_text") == "sitbreak off"
                and follow.get("full_text") == "sitbreak off"
            ),
        )
        polled = bar.block("sitbreak")
        assert polled["short_text"] == "off" and polled["color"] == QUIET
    finally:
        bar.stop()


#: polybar's colours here (config below) and those the format asks for, as pixels.
BLACK, GREEN = (0, 0, 0), (0, 255, 0)
GREY, RED = (0x88, 0x88, 0x88), (0xE0, 0x6C, 0x75)


def test_polybar_draws_the_module_in_the_colour_the_state_asks_for(
    daemon: tuple[Desktop, dict[str, str], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    require_tool("polybar", "xwd")
    d, env, proc = daemon
    sitbreak = sitbreak_command()
    config = tmp_path / "polybar.ini"
    config.write_text(
        "[bar/sitbreak]\n"
        "width = 100%\n"
        "height = 40\n"
        "background = #000000\n"
        "foreground = #00ff00\n"
        "font-0 = DejaVu Sans:size=20;4\n"
        "modules-left = sitbreak\n"
        "override-redirect = true\n"  # no window manager on this display
        "\n"
        "[module/sitbreak]\n"
        "type = custom/script\n"
        f"exec = {sitbreak} status --format polybar\n"
        "interval = 1\n"
    )
    bar = subprocess.Popen(
        ["polybar", "-c", str(config), "-l", "info", "sitbreak"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "polybar.log").open("wb"),
    )

    def colours() -> set[tuple[int, ...]]:
        """The text's colours: exact pixels (glyph cores) that are neither background
        nor the anti-aliased edges, which are blends of these with black."""
        seen = xwd_colours(xwd_root(d.display, env), (0, 0, 600, 40))
        return {c for c, n in seen.items() if c in (GREEN, GREY, RED) and n >= 5}

    def shows(expected: set[tuple[int, ...]], what: str) -> None:
        wait_for(
            lambda: colours() == expected or bar.poll() is not None,
            timeout=40,
            what=f"polybar to draw {what}",
        )
        assert bar.poll() is None, (tmp_path / "polybar.log").read_text()[-2000:]

    try:
        shows({GREEN}, "the state in its own colour")  # away: no colour tag
        with someone_working(d):
            # Sitting past the 8 s limit of FAST_DAEMON_CONFIG: the over-limit colour.
            shows({RED}, "a session over the limit")
            subprocess.run(
                [*sitbreak.split(), "pause", "30m"], env=env, check=True, capture_output=True
            )
            shows({GREY}, "the pause")
            subprocess.run([*sitbreak.split(), "resume"], env=env, check=True, capture_output=True)
            shows({RED}, "the resume")
        proc.terminate()
        proc.wait(15)
        shows({GREY}, "sitbreak off")
    finally:
        bar.terminate()
        try:
            bar.wait(10)
        except subprocess.TimeoutExpired:
            bar.kill()
            bar.wait()
