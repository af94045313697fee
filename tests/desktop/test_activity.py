"""Activity sources (sitbreak.desktop.activity) against a real X server.

Each desktop test starts its own Xvfb and sends real synthetic input with
xdotool, then checks what the source reports: one time per poll at most,
close to when the input happened, and nothing about the input itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop import Desktop, desktop, require_tool, wait_for, xvfb_process
from sitbreak.clock import SystemClock
from sitbreak.config import ACTIVITY_SOURCES
from sitbreak.desktop.activity import plan_sources, select_source
from sitbreak.desktop.source import (
    PREFERENCES,
    SOURCES,
    NoActivitySource,
    SourceLost,
    SourceUnavailable,
)
from sitbreak.desktop.x11 import PynputSource, X11IdleSource
from sitbreak.errors import ConfigError

SRC = str(Path(__file__).resolve().parents[2] / "src")

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the X11 choices apply to Linux"
)

#: Slack for the activity time: the X idle counter is whole milliseconds on a
#: coarse (4-10 ms) clock, and xdotool's input lands between our two readings.
SLACK_S = 0.05


@pytest.fixture
def desk() -> Iterator[Desktop]:
    with desktop(with_dunst=False) as d:
        yield d


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@contextlib.contextmanager
def own_xvfb(*extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """An Xvfb this test may kill or strip of extensions; yields (DISPLAY, process)."""
    require_tool("Xvfb", "xdotool")
    with xvfb_process(*extra, screen="640x480x24") as started:
        yield started


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def xdotool(display: str, *args: str) -> None:
    subprocess.run(
        ["xdotool", *args], env=dict(os.environ, DISPLAY=display), check=True, capture_output=True
    )


def input_then_poll(
    source: Any, clock: SystemClock, display: str, *action: str, timeout: float = 5.0
) -> tuple[float, float, float]:
    """Send one xdotool action; returns (before, after, what poll() reported)."""
    before = clock.now()
    xdotool(display, *action)
    after = clock.now()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reported = source.poll()
        if reported is not None:
            return before, after, reported
        time.sleep(0.05)
    raise AssertionError(f"{source.name}: no activity reported {timeout}s after {action}")


def poll_until_lost(source: Any, timeout: float = 5.0) -> SourceLost:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            source.poll()
        except SourceLost as exc:
            return exc
        time.sleep(0.05)
    raise AssertionError(f"{source.name}: poll() did not raise SourceLost within {timeout}s")


# --------------------------------------------------------------------------- X11 idle poll


@pytest.mark.desktop
def test_x11_idle_reports_nothing_without_input(desk: Desktop, clock: SystemClock) -> None:
    source = X11IdleSource(clock, desk.display)
    source.start()
    try:
        for pause in (0.0, 0.3, 1.0, 1.0):
            time.sleep(pause)
            assert source.poll() is None
    finally:
        source.stop()


@pytest.mark.desktop
@pytest.mark.parametrize(
    "action", [("mousemove", "100", "100"), ("key", "a"), ("click", "1")], ids=" ".join
)
def test_x11_idle_reports_input_once_near_its_time(
    desk: Desktop, clock: SystemClock, action: tuple[str, ...]
) -> None:
    source = X11IdleSource(clock, desk.display)
    source.start()
    try:
        time.sleep(0.3)
        before, after, reported = input_then_poll(source, clock, desk.display, *action)
        assert before - SLACK_S <= reported <= after + SLACK_S
        # Nothing new since: later polls report nothing (one event per input burst).
        assert source.poll() is None
        time.sleep(1.0)
        assert source.poll() is None
    finally:
        source.stop()


@pytest.mark.desktop
def test_x11_idle_coalesces_a_burst_into_its_latest_input(
    desk: Desktop, clock: SystemClock
) -> None:
    source = X11IdleSource(clock, desk.display)
    source.start()
    try:
        time.sleep(0.3)
        for x in range(10, 60, 10):
            xdotool(desk.display, "mousemove", str(x), str(x))
        last_before = clock.now()
        xdotool(desk.display, "key", "b")
        after = clock.now()
        reported = source.poll()
        assert reported is not None
        assert last_before - SLACK_S <= reported <= after + SLACK_S
        assert source.poll() is None
    finally:
        source.stop()


@linux_only
@pytest.mark.desktop
def test_x11_idle_raises_source_lost_when_the_server_dies(clock: SystemClock) -> None:
    with own_xvfb() as (display, proc):
        source = X11IdleSource(clock, display)
        source.start()
        assert source.poll() is None
        kill(proc)
        with pytest.raises(SourceLost, match="lost the X display"):
            source.poll()
        # It closed itself; it keeps saying so, and cannot reconnect yet.
        with pytest.raises(SourceLost, match="not connected"):
            source.poll()
        with pytest.raises(SourceUnavailable, match="cannot open X display"):
            source.start()


@pytest.mark.desktop
def test_x11_idle_start_needs_the_screensaver_extension(clock: SystemClock) -> None:
    with (
        own_xvfb("-extension", "MIT-SCREEN-SAVER") as (display, _),
        pytest.raises(SourceUnavailable, match="lacks the MIT-SCREEN-SAVER"),
    ):
        X11IdleSource(clock, display).start()


# --------------------------------------------------------------------------- pynput


@pytest.fixture
def pynput_on(desk: Desktop, monkeypatch: pytest.MonkeyPatch) -> Desktop:
    # pynput always connects to the process's own $DISPLAY.
    monkeypatch.setenv("DISPLAY", desk.display)
    return desk


@pytest.mark.desktop
@pytest.mark.parametrize(
    "action", [("mousemove", "200", "150"), ("key", "a"), ("click", "4")], ids=" ".join
)
def test_pynput_reports_input_once(
    pynput_on: Desktop, clock: SystemClock, action: tuple[str, ...]
) -> None:
    source = PynputSource(clock)
    source.start()
    try:
        assert source.poll() is None
        before, after, reported = input_then_poll(source, clock, pynput_on.display, *action)
        assert before - SLACK_S <= reported <= after + SLACK_S
        assert source.poll() is None
    finally:
        source.stop()


@pytest.mark.desktop
def test_pynput_stop_returns_promptly_without_further_input(
    pynput_on: Desktop, clock: SystemClock
) -> None:
    source = PynputSource(clock)
    source.start()
    listeners = list(source._listeners)
    xdotool(pynput_on.display, "mousemove", "5", "5")
    wait_for(lambda: source.poll() is not None, timeout=5, what="pynput to see the move")
    started = time.monotonic()
    source.stop()  # no input follows: pynput's own stop would leave its threads blocked
    assert time.monotonic() - started < 2.0
    # The threads really ended, they were not just abandoned.
    wait_for(
        lambda: not any(t.is_alive() for t in listeners),
        timeout=2,
        what="pynput's listener threads to end",
    )
    with pytest.raises(SourceLost, match="not listening"):
        source.poll()


@linux_only
@pytest.mark.desktop
def test_pynput_raises_source_lost_when_the_server_dies(
    clock: SystemClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    escaped: list[str] = []  # pynput's dying threads would print tracebacks on stderr
    monkeypatch.setattr(threading, "excepthook", lambda args: escaped.append(repr(args)))
    with own_xvfb() as (display, proc):
        monkeypatch.setenv("DISPLAY", display)
        source = PynputSource(clock)
        source.start()
        kill(proc)
        exc = poll_until_lost(source)
        assert "stopped listening" in str(exc)
        with pytest.raises(SourceUnavailable, match="could not start listening"):
            source.start()
    assert escaped == []


@linux_only
def test_pynput_not_installed_says_how_to_add_it_without_a_compiler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pynput", None)  # `import pynput` fails as if absent
    with pytest.raises(SourceUnavailable) as raised:
        PynputSource(SystemClock()).start()
    assert str(raised.value) == (
        f"pynput is not installed: `{sys.executable} -m pip install --no-deps 'pynput>=1.7' six`"
    )


def test_pynput_without_a_display_is_unavailable_not_an_import_error() -> None:
    # A fresh interpreter: this one may already have imported pynput.
    code = (
        "from sitbreak.desktop.activity import PynputSource, SourceUnavailable\n"
        "from sitbreak.clock import SystemClock\n"
        "try:\n"
        "    PynputSource(SystemClock()).start()\n"
        "except SourceUnavailable as exc:\n"
        "    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
    res = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("pynput cannot run here:"), res.stdout
    assert len(res.stdout.strip().splitlines()) == 1  # not pynput's list of "resolutions"


class Poison:
    """Stands for a key, position or button: any look at it fails the test."""

    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"an activity callback looked at .{name}")


def _refuse(*_args: object) -> Any:
    raise AssertionError("an activity callback inspected its argument")


_INSPECTIONS = (
    "__str__ __repr__ __format__ __bytes__ __hash__ __bool__ __eq__ __ne__ __lt__ __le__ "
    "__gt__ __ge__ __int__ __float__ __index__ __len__ __iter__ __contains__ __getitem__"
)
for _dunder in _INSPECTIONS.split():
    setattr(Poison, _dunder, _refuse)


@pytest.mark.desktop
def test_pynput_callbacks_never_look_at_the_input(
    pynput_on: Desktop, clock: SystemClock, caplog: pytest.LogCaptureFixture
) -> None:
    source = PynputSource(clock)
    source.start()
    try:
        mouse, keyboard = source._listeners
        p = Poison()
        # The callbacks as pynput registered them, with what pynput passes:
        # (x, y, injected), (x, y, button, pressed, injected), (x, y, dx, dy,
        # injected), (key, injected).
        callbacks = [
            (mouse.on_move, 3),
            (mouse.on_click, 5),
            (mouse.on_scroll, 5),
            (keyboard.on_press, 2),
        ]
        for callback, arity in callbacks:
            callback(*[p] * arity)
            assert source.poll() is not None, f"{callback} did not record the activity"
        keyboard.on_release(p, p)  # releases are not listened to at all
        assert source.poll() is None
        assert not caplog.records, "activity callbacks must not log"
    finally:
        source.stop()


# --------------------------------------------------------------------------- select_source


@linux_only
def test_select_without_display_explains_what_to_do(clock: SystemClock) -> None:
    with pytest.raises(NoActivitySource) as caught:
        select_source("auto", clock, {})
    message = str(caught.value)
    for phrase in ("x11", "pynput", "DISPLAY is not set", "run sitbreak inside your graphical"):
        assert phrase in message
    assert "Traceback" not in message


#: No D-Bus and no swayidle: whatever runs the tests, nothing on Wayland can work.
NOWHERE = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/system_bus", "PATH": "/nonexistent"}


@linux_only
@pytest.mark.parametrize(
    "env",
    [
        {"WAYLAND_DISPLAY": "wayland-0"},
        {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},  # XWayland
        {"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"},
    ],
    ids=["wayland", "xwayland", "session-type"],
)
def test_select_on_wayland_explains_what_to_do(clock: SystemClock, env: dict[str, str]) -> None:
    with pytest.raises(NoActivitySource) as caught:
        select_source("auto", clock, {**env, **NOWHERE})
    message = str(caught.value)
    # The Wayland sources were tried, in order, each saying why it failed...
    tried = [line.split(":")[0].strip(" -") for line in message.splitlines()[1:5]]
    assert tried == ["gnome", "freedesktop", "swayidle", "logind"]
    assert "gnome: no session bus (DBUS_SESSION_BUS_ADDRESS is not set)" in message
    # ...the X11 ones were not, and it says why, and what to do.
    for phrase in (
        "x11: not tried: this is a Wayland session",
        "only input to X11 windows",
        "sudo apt install swayidle",
        '[activity] source = "x11"',
    ):
        assert phrase in message
    assert "Traceback" not in message


@linux_only
def test_select_x11_on_wayland_when_asked(clock: SystemClock) -> None:
    # Forced, the X11 idle poll is tried even on Wayland (XWayland input only).
    with pytest.raises(NoActivitySource, match=r"x11: cannot open X display :\d+"):
        select_source("x11", clock, {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":9876"})


@pytest.mark.parametrize(
    ("env", "session", "order"),
    [
        ({"DISPLAY": ":0"}, "x11", ("x11", "gnome", "freedesktop", "pynput", "logind")),
        (
            {"WAYLAND_DISPLAY": "wayland-1", "DISPLAY": ":0"},
            "wayland",
            ("gnome", "freedesktop", "swayidle", "logind"),
        ),
        (
            {"XDG_SESSION_TYPE": "wayland"},
            "wayland",
            ("gnome", "freedesktop", "swayidle", "logind"),
        ),
        ({"XDG_SESSION_TYPE": "tty"}, "none", ("gnome", "freedesktop")),
        ({}, "none", ("gnome", "freedesktop")),
    ],
)
def test_auto_order_by_session(env: dict[str, str], session: str, order: tuple[str, ...]) -> None:
    plan = plan_sources("auto", env, platform="linux")
    assert (plan.session, plan.order) == (session, order)
    # Every source is either tried or refused with a reason.
    refused = dict(plan.refused)
    assert sorted([*plan.order, *refused]) == sorted(SOURCES)
    assert all(refused.values())
    assert plan.fix


def test_auto_is_pynput_only_on_macos_and_windows() -> None:
    for platform in ("darwin", "win32"):
        plan = plan_sources("auto", {"DISPLAY": ":0"}, platform=platform)
        assert plan.order == ("pynput",)
        assert dict(plan.refused)["gnome"] == "Linux only"


@pytest.mark.parametrize("name", SOURCES)
def test_a_named_source_is_the_only_one_tried(name: str) -> None:
    plan = plan_sources(name, {"WAYLAND_DISPLAY": "wayland-0"}, platform="linux")
    assert plan.order == (name,)
    assert len(plan.refused) == len(SOURCES) - 1


def test_the_config_and_the_sources_agree_on_the_names() -> None:
    assert PREFERENCES == ACTIVITY_SOURCES


def test_select_rejects_an_unknown_preference(clock: SystemClock) -> None:
    with pytest.raises(ConfigError, match=r"'webcam'.*auto, x11, pynput"):
        select_source("webcam", clock, {})


@linux_only
def test_select_pynput_refuses_a_display_other_than_its_own(
    clock: SystemClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(NoActivitySource, match="this process's DISPLAY"):
        select_source("pynput", clock, {"DISPLAY": ":77"})


@pytest.mark.desktop
def test_select_auto_prefers_the_x11_idle_poll(desk: Desktop, clock: SystemClock) -> None:
    source = select_source("auto", clock, {"DISPLAY": desk.display})
    try:
        assert isinstance(source, X11IdleSource)
        assert source.name == "x11"
        assert source.poll() is None  # already started
        time.sleep(0.3)  # input right after the server started hides in its tolerance
        _, _, reported = input_then_poll(source, clock, desk.display, "key", "a")
        assert reported is not None
    finally:
        source.stop()


@pytest.mark.desktop
def test_select_honours_pynput(pynput_on: Desktop, clock: SystemClock) -> None:
    source = select_source("pynput", clock)
    try:
        assert isinstance(source, PynputSource)
        _, _, reported = input_then_poll(source, clock, pynput_on.display, "key", "a")
        assert reported is not None
    finally:
        source.stop()


@linux_only
@pytest.mark.desktop
def test_select_auto_falls_back_to_pynput_without_the_extension(
    clock: SystemClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_xvfb("-extension", "MIT-SCREEN-SAVER") as (display, _):
        monkeypatch.setenv("DISPLAY", display)
        with pytest.raises(NoActivitySource, match="lacks the MIT-SCREEN-SAVER"):
            select_source("x11", clock)
        source = select_source("auto", clock)
        try:
            assert isinstance(source, PynputSource)
            _, _, reported = input_then_poll(source, clock, display, "mousemove", "9", "9")
            assert reported is not None
        finally:
            source.stop()


@linux_only
@pytest.mark.desktop
def test_select_x11_on_an_unreachable_display_explains(clock: SystemClock) -> None:
    with own_xvfb() as (display, proc):
        kill(proc)  # a display number that was just free: nobody listens there now
        with pytest.raises(NoActivitySource, match=rf"x11: cannot open X display {display}"):
            select_source("x11", clock, {"DISPLAY": display})


# ------------------------------------------------------------ chosen again when it fails


class _Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def now(self) -> float:
        return self.t


class _Scripted:
    """A source whose polls the test scripts: a time, None, or "lost"."""

    def __init__(self, name: str, polls: list[object] | None = None) -> None:
        self.name = name
        self.polls = list(polls or [])
        self.started = self.stopped = 0

    def start(self) -> None:
        self.started += 1

    def poll(self) -> float | None:
        step = self.polls.pop(0) if self.polls else None
        if step == "lost":
            raise SourceLost(f"{self.name} went away")
        return step  # type: ignore[return-value]

    def stop(self) -> None:
        self.stopped += 1


GNOME_WAYLAND = {"XDG_CURRENT_DESKTOP": "GNOME", "WAYLAND_DISPLAY": "wayland-0"}


def _reselecting(
    chosen: list[object], env: dict[str, str], preference: str = "auto", own: object = None
) -> tuple[Any, _Clock, list[str]]:
    """A Reselecting whose selections come from `chosen` (a source, or an error to raise)."""
    from sitbreak.desktop.activity import Reselecting

    clock = _Clock()
    asked: list[str] = []

    def select(pref: str, _clock: object, _env: object) -> Any:
        asked.append(pref)
        step = chosen.pop(0)
        if isinstance(step, Exception):
            raise step
        step.start()  # type: ignore[attr-defined]
        return step

    def make(name: str, _clock: object, _env: object) -> Any:
        asked.append(f"make {name}")
        if isinstance(own, Exception):
            raise own
        if own is None:
            raise SourceUnavailable(f"{name} does not answer")
        return own

    return Reselecting(preference, clock, env, select=select, make=make), clock, asked


def test_a_source_that_fails_after_selection_leads_to_a_new_selection() -> None:
    swayidle = _Scripted("swayidle", [None, "lost"])
    gnome = _Scripted("gnome", [1_800_000_005.0])
    source, _clock, asked = _reselecting([swayidle, gnome], GNOME_WAYLAND)
    source.start()
    assert source.name == "swayidle"
    assert source.poll() is None
    assert source.poll() is None  # swayidle ended for good: gnome is chosen in its place
    assert (source.name, swayidle.stopped, source.switches) == ("gnome", 1, 1)
    assert source.poll() == 1_800_000_005.0
    assert source.problem is None
    assert asked == ["auto", "auto"]


def test_when_nothing_works_after_a_loss_the_problem_is_said_and_start_tries_again() -> None:
    x11 = _Scripted("x11", ["lost"])
    again = _Scripted("x11", [1_800_000_009.0])
    source, _clock, _asked = _reselecting(
        [x11, NoActivitySource("sitbreak cannot see keyboard/mouse activity here."), again],
        {"DISPLAY": ":9"},
    )
    source.start()
    with pytest.raises(SourceLost, match="no other source works"):
        source.poll()
    assert source.problem == "x11 failed (x11 went away) and no other source works"
    with pytest.raises(SourceLost):
        source.poll()  # nothing running: the daemon calls start() every few seconds
    source.start()
    assert source.poll() == 1_800_000_009.0
    assert source.problem is None


def test_the_desktops_own_source_is_taken_as_soon_as_it_answers() -> None:
    swayidle = _Scripted("swayidle")
    source, clock, asked = _reselecting([swayidle], GNOME_WAYLAND)
    source.start()
    assert "until the desktop's own source, gnome, answers" in source.describe()
    clock.t += source.OWN_RETRY_S
    assert source.poll() is None
    assert asked == ["auto", "make gnome"]  # tried, and GNOME Shell did not answer yet
    assert source.name == "swayidle"
    gnome = _Scripted("gnome", [1_800_000_040.0])
    source._make = lambda name, _c, _e: gnome
    clock.t += source.OWN_RETRY_S - 1
    source.poll()
    assert source.name == "swayidle"  # not before OWN_RETRY_S has passed again
    clock.t += 1
    assert source.poll() == 1_800_000_040.0
    assert (source.name, swayidle.stopped, gnome.started) == ("gnome", 1, 1)


def test_a_named_source_is_restarted_never_replaced() -> None:
    swayidle = _Scripted("swayidle", ["lost"])
    source, clock, asked = _reselecting([swayidle], GNOME_WAYLAND, preference="swayidle")
    source.start()
    clock.t += source.OWN_RETRY_S
    with pytest.raises(SourceLost, match="swayidle went away"):
        source.poll()
    assert asked == ["swayidle"]  # no other selection, no try of gnome
    assert source.problem == "swayidle: swayidle went away"


def test_a_source_named_on_the_command_line_is_blamed_on_the_command_line(
    tmp_path: Path,
) -> None:
    # `run --source gnome` where GNOME cannot be reached: the advice names
    # --source, not a config file that says nothing about it.
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
    env["SITBREAK_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "sitbreak", "run", "--source", "gnome"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3
    assert "run without --source gnome (or with --source auto)" in done.stderr
    assert "[activity] source" not in done.stderr


def test_a_source_set_in_the_config_is_blamed_on_the_config() -> None:
    plan = plan_sources("gnome", {}, platform="linux")
    assert plan.hints == ('set [activity] source = "auto" to let sitbreak choose (it is "gnome")',)
