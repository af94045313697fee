"""The tray icon on a real panel: xfce4-panel's status tray under Xvfb, and `sitbreak run`.

The panel runs the StatusNotifierWatcher and draws the items; sitbreak
registers its item and menu with it; the test looks at the screen (an `xwd`
screenshot) and presses menu items the way the panel does, through
com.canonical.dbusmenu's Event, then asks `sitbreak status` what happened.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desktop import FAST_DAEMON_CONFIG, _stop, dbus_bus, require_tool, wait_for, xvfb_process
from screenshot import xwd_root, xwd_to_png
from sitbreak.desktop.tray import (
    MENU,
    MENU_PATH,
    WATCHER,
    TrayView,
    draw_pixmap,
    icon_step,
    seconds_to_midnight,
)

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Panel:
    env: dict[str, str]
    display: str
    tmp: Path

    def busctl(self, *args: str) -> str:
        return subprocess.run(
            ["busctl", "--user", "--json=short", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout

    def items(self) -> list[str]:
        out = self.busctl(
            "get-property",
            WATCHER,
            "/StatusNotifierWatcher",
            WATCHER,
            "RegisteredStatusNotifierItems",
        )
        data: list[str] = json.loads(out)["data"]
        return data

    def screenshot(self) -> bytes:
        return xwd_root(self.display, self.env)


@pytest.fixture
def panel(tmp_path: Path) -> Iterator[Panel]:
    require_tool("xfce4-panel", "Xvfb", "xwd", "busctl", "dbus-daemon")
    with xvfb_process(screen="1024x600x24") as (display, _x), dbus_bus() as bus:
        env = dict(
            bus.env,
            DISPLAY=display,
            XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
            XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
            # A new panel takes the default layout (it has the status tray)
            # instead of asking in a dialog.
            XFCE_PANEL_MIGRATE_DEFAULT="1",
        )
        env.pop("WAYLAND_DISPLAY", None)
        proc = subprocess.Popen(
            ["xfce4-panel"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            p = Panel(env, display, tmp_path)
            wait_for(lambda: _owned(env, WATCHER), timeout=60, what="xfce4-panel's status tray")
            yield p
        finally:
            _stop(proc)


def _owned(env: dict[str, str], name: str) -> bool:
    res = subprocess.run(
        ["busctl", "--user", "status", name], env=env, capture_output=True, check=False
    )
    return res.returncode == 0


def start_sitbreak(p: Panel, home: Path, extra_config: str = "") -> subprocess.Popen[str]:
    config = p.tmp / "config.toml"
    config.write_text(FAST_DAEMON_CONFIG + extra_config)
    env = dict(p.env, SITBREAK_HOME=str(home), SITBREAK_CONFIG=str(config))
    return subprocess.Popen(
        [sys.executable, "-m", "sitbreak", "run", "--notify", "log", "--log-level", "DEBUG"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def icon_pixels(rgb: bytes) -> int:
    """Pixels of the icon's fill, green as the session goes on or red past the limit:
    colours nothing else on a dark Xfce panel has."""
    count = 0
    for i in range(0, len(rgb) - 2, 3):
        r, g, b = rgb[i], rgb[i + 1], rgb[i + 2]
        if (g > r + 40 and g > b + 40) or (r > g + 60 and r > b + 40):
            count += 1
    return count


def top_bar_rgb(dump: bytes) -> bytes:
    """The panel's strip (the top 30 rows) as raw RGB, from the PNG the dump makes."""
    import zlib

    png = xwd_to_png(dump, (0, 0, 1024, 30))
    # The single IDAT chunk after the 8-byte signature and the 25-byte IHDR chunk.
    length = int.from_bytes(png[33:37], "big")
    raw = zlib.decompress(png[41 : 41 + length])
    return b"".join(raw[r * (1 + 1024 * 3) + 1 : (r + 1) * (1 + 1024 * 3)] for r in range(30))


def test_the_icon_is_drawn_by_the_panel_and_its_menu_reaches_the_engine(
    panel: Panel, tmp_path: Path
) -> None:
    require_tool("xdotool")
    before = icon_pixels(top_bar_rgb(panel.screenshot()))  # the panel's own icons
    home = tmp_path / "home"
    # A fake browser and editor: what xdg-open was asked to open.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opened = tmp_path / "opened.txt"
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    (bin_dir / "xdg-open").chmod(0o755)
    panel.env["PATH"] = f"{bin_dir}{os.pathsep}{panel.env['PATH']}"
    proc = start_sitbreak(panel, home)
    try:
        wait_for(lambda: panel.items() or proc.poll() is not None, timeout=30, what="the item")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        (item,) = panel.items()
        service = item.split("/", 1)[0]
        assert service.startswith("org.kde.StatusNotifierItem-")

        # Someone sits and works: the panel draws the icon filling up.
        def work_and_look() -> bool:
            subprocess.run(
                ["xdotool", "mousemove_relative", "--", "7", "3"], env=panel.env, check=True
            )
            return icon_pixels(top_bar_rgb(panel.screenshot())) > before + 10

        wait_for(work_and_look, timeout=40, what="the icon filling on the panel")
        shot = panel.screenshot()
        docs_png = ROOT / "docs" / "tray.png"
        if os.environ.get("SITBREAK_WRITE_SCREENSHOTS"):
            docs_png.write_bytes(xwd_to_png(shot, (600, 0, 424, 30)))

        # The menu, as the panel reads it.
        layout = json.loads(
            panel.busctl(
                "call",
                service,
                MENU_PATH,
                "com.canonical.dbusmenu",
                "GetLayout",
                "iias",
                "0",
                "10",  # levels deep (busctl takes -1, "all", for an option)
                "0",
            )
        )["data"]
        labels = [child["data"][1].get("label", {}).get("data") for child in layout[1][2]]
        assert labels == [m.label or None for m in MENU]

        def click(item_id: int) -> None:
            panel.busctl(
                "call",
                service,
                MENU_PATH,
                "com.canonical.dbusmenu",
                "Event",
                "isvu",
                str(item_id),
                "clicked",
                "s",
                "",
                "0",
            )

        def status() -> dict:
            res = subprocess.run(
                [sys.executable, "-m", "sitbreak", "status", "--json"],
                env=dict(panel.env, SITBREAK_HOME=str(home)),
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(res.stdout)

        pause_30 = next(m.id for m in MENU if m.label == "Pause 30 min")
        click(pause_30)
        wait_for(lambda: status()["paused"], what="the pause to reach the engine")
        until = status()["paused_until"]
        assert until == pytest.approx(time.time() + 1800, abs=60)
        # Resume is enabled now (and only now).
        resume = next(m.id for m in MENU if m.label == "Resume")
        enabled = json.loads(
            panel.busctl(
                "call",
                service,
                MENU_PATH,
                "com.canonical.dbusmenu",
                "GetProperty",
                "is",
                str(resume),
                "enabled",
            )
        )["data"][0]["data"]
        assert enabled is True
        click(resume)
        wait_for(lambda: not status()["paused"], what="resume to reach the engine")
        click(next(m.id for m in MENU if m.label == "Snooze 10 min"))
        wait_for(lambda: status()["snoozed_until"] is not None, what="the snooze")

        click(next(m.id for m in MENU if m.label == "Today's report"))
        wait_for(
            lambda: opened.exists() and "report" in opened.read_text(), timeout=60, what="report"
        )
        report = Path(opened.read_text().splitlines()[0])
        assert report.read_text().lstrip().lower().startswith("<!doctype html")
        assert report.stat().st_mode & 0o077 == 0
        click(next(m.id for m in MENU if m.label == "Settings"))
        wait_for(lambda: len(opened.read_text().splitlines()) == 2, what="the settings file")
        assert opened.read_text().splitlines()[1] == str(tmp_path / "config.toml")
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(15)


def test_a_tray_set_to_false_is_never_shown(panel: Panel, tmp_path: Path) -> None:
    proc = start_sitbreak(panel, tmp_path / "home", "[tray]\nshow = false\n")
    try:
        wait_for(lambda: _owned(panel.env, "io.github.sitbreak.Monitor1"), what="the daemon")
        time.sleep(1.0)
        assert panel.items() == []
    finally:
        proc.terminate()
        proc.wait(15)


def test_without_a_panel_auto_waits_and_shows_when_one_starts(tmp_path: Path) -> None:
    require_tool("xfce4-panel", "Xvfb", "busctl", "dbus-daemon")
    with xvfb_process(screen="1024x600x24") as (display, _x), dbus_bus() as bus:
        env = dict(
            bus.env,
            DISPLAY=display,
            XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
            XFCE_PANEL_MIGRATE_DEFAULT="1",
        )
        env.pop("WAYLAND_DISPLAY", None)
        p = Panel(env, display, tmp_path)
        proc = start_sitbreak(p, tmp_path / "home")
        panel_proc = None
        try:
            wait_for(lambda: _owned(env, "io.github.sitbreak.Monitor1"), what="the daemon")
            # No watcher: nothing registered, and the daemon runs on; doctor says why.
            assert proc.poll() is None
            assert doctor(env)["tray icon"]["detail"].startswith(
                f"not shown: no {WATCHER} on the session bus"
            )
            assert doctor(env)["D-Bus API"]["status"] == "ok"
            panel_proc = subprocess.Popen(
                ["xfce4-panel"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            wait_for(lambda: _owned(env, WATCHER), timeout=60, what="the status tray")
            wait_for(
                lambda: len(p.items()) == 1, timeout=20, what="the item, once a panel is there"
            )
        finally:
            proc.terminate()
            _, log = proc.communicate(timeout=15)
            if panel_proc is not None:
                _stop(panel_proc)
    assert "no tray icon yet" in log and "tray icon shown" in log


def doctor(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """`sitbreak doctor --json`'s tray checks, by name."""
    res = subprocess.run(
        [sys.executable, "-m", "sitbreak", "doctor", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    checks = json.loads(res.stdout)["checks"]
    return {c["name"]: c for c in checks if c["area"] == "tray"}


# ------------------------------------------------------------ pure parts


def test_the_icon_steps_through_the_sitting_limit() -> None:
    def at(cls: str, pct: int, paused: bool = False) -> str:
        return icon_step(TrayView(cls, pct, "", paused))

    assert [at("sitting", p) for p in (0, 24, 25, 60, 99)] == [
        "sitbreak-sitting-0",
        "sitbreak-sitting-0",
        "sitbreak-sitting-25",
        "sitbreak-sitting-50",
        "sitbreak-sitting-75",
    ]
    assert at("over-limit", 100) == "sitbreak-sitting-100"
    assert at("sitting", 40, paused=True) == "sitbreak-paused"
    assert at("away", 0) == at("not-running", 0) == "sitbreak-away"
    shipped = {p.stem for p in (ROOT / "src" / "sitbreak" / "data").glob("sitbreak-*.svg")}
    assert shipped == {
        *(f"sitbreak-sitting-{s}" for s in (0, 25, 50, 75, 100)),
        "sitbreak-paused",
        "sitbreak-away",
    }


def test_the_drawn_icon_fills_as_the_session_goes_on() -> None:
    def filled(pct: int) -> int:
        data = draw_pixmap(32, pct, over=False, paused=False)
        assert len(data) == 32 * 32 * 4
        return sum(1 for i in range(0, len(data), 4) if data[i + 2] == 0xAF)  # the fill's green

    assert filled(0) == 0 < filled(25) < filled(50) < filled(100)
    over = draw_pixmap(32, 100, over=True, paused=False)
    assert bytes((0xFF, 0xE0, 0x6C, 0x75)) in over  # red once over the limit


def test_pause_until_tomorrow_lasts_until_midnight() -> None:
    evening = dt.datetime(2026, 11, 2, 22, 30, tzinfo=BERLIN).timestamp()
    assert seconds_to_midnight(evening, BERLIN) == 90 * 60
    # A minute before midnight still pauses for a minute at least.
    late = dt.datetime(2026, 11, 2, 23, 59, 59, tzinfo=BERLIN).timestamp()
    assert seconds_to_midnight(late, BERLIN) == 60


def test_the_icon_changes_at_once_for_a_step_and_once_a_minute_for_the_ring() -> None:
    from sitbreak.desktop.tray import TrayIcon

    now = 1_000_000.0
    views = iter([])
    sent: list[str] = []

    class Recording(TrayIcon):
        def send(self, msg: object) -> None:
            sent.append(msg.header.fields[3])  # type: ignore[attr-defined]

    def describe(_status: object, _now: float) -> TrayView:
        return next(views)

    tray = Recording(
        None, show="auto", describe=describe, actions={}, tz=lambda: BERLIN, clock=lambda: now
    )
    tray._conn = object()  # as if on a bus: publish sends
    seq = [
        TrayView("sitting", 5, "Sitting 1 min", False),
        TrayView("sitting", 10, "Sitting 1 min", False),  # the ring moved: too soon
        TrayView("sitting", 15, "Sitting 2 min", False),  # the tooltip's minute: at once
        TrayView("sitting", 25, "Sitting 2 min", False),  # a step: at once
        TrayView("sitting", 30, "Sitting 2 min", False),  # too soon again
        TrayView("sitting", 35, "Sitting 2 min", True),  # paused: icon and menu
    ]
    views = iter(seq)
    times = [0, 20, 40, 50, 70, 80]
    for t in times:
        tray.publish(now + t, {}, ())
    assert sent == ["NewToolTip", "NewIcon", "NewIcon", "LayoutUpdated"]
    # A minute after the last one, the ring's progress is sent too.
    views = iter([TrayView("sitting", 40, "Sitting 2 min", True)])
    tray.publish(now + 150, {}, ())
    assert sent[-1] == "NewIcon"


def test_resume_is_offered_while_snoozed_as_while_paused() -> None:
    from sitbreak.daemon.statusbar import tray_view
    from sitbreak.desktop.tray import TrayIcon

    now = 1_000_000.0
    sent: list[str] = []

    class Recording(TrayIcon):
        def send(self, msg: object) -> None:
            sent.append(msg.header.fields[3])  # type: ignore[attr-defined]

    tray = Recording(
        None,
        show="auto",
        describe=lambda status, t: tray_view(status, t, BERLIN),
        actions={},
        tz=lambda: BERLIN,
        clock=lambda: now,
    )
    tray._conn = object()  # as if on a bus: publish sends
    resume = next(m.id for m in MENU if m.label == "Resume")
    sitting = {"ok": True, "state": "sitting", "paused": False, "snoozed_until": None}
    snoozed = {**sitting, "snoozed_until": now + 600}
    enabled = []
    for status in (sitting, snoozed, sitting):
        tray.publish(now, status, ())
        enabled.append(tray._items()[resume]["enabled"])
    assert enabled == [("b", False), ("b", True), ("b", False)]
    assert sent.count("LayoutUpdated") == 2  # the menu was told both times
