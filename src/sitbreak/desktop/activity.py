"""Activity sources: learn *that* the person used the keyboard or mouse, nothing more.

Privacy is a feature. A source hands the daemon one number per poll (once a
second): the time of the most recent input, or None. Nothing else is recorded,
logged or kept: never which key, never what was typed, never where the
pointer is or which button was pressed, never which window or application has
the focus.

- `X11IdleSource` does not even see input events: it asks the X server how
  many milliseconds have passed since the last input (the MIT-SCREEN-SAVER
  extension), a 40 µs query.
- `PynputSource` receives every event, because that is how pynput works;
  pynput decodes each event in its own thread before calling us, and our
  callbacks ignore all their arguments and only store the current time.
  It also costs some 220 µs of CPU per mouse motion, so it is the fallback.
  It is the only source on macOS and Windows.
- On Wayland, where no client sees global input, the desktop says when the
  last input was: GNOME's idle monitor, the freedesktop screen saver (KDE),
  swayidle (wlroots compositors, KWin) and logind's IdleHint, in
  `sitbreak.desktop.wayland` and `sitbreak.desktop.swayidle`.

`select_source()` picks one (see `AUTO_ORDER` and docs/desktops.md) and
`plan_sources()` / `probe_sources()` tell `sitbreak doctor` why.

Lifecycle, for the daemon: `select_source()` returns a started source; call
`poll()` at every heartbeat (every few seconds) and `stop()` at exit. When
`poll()` raises `SourceLost` (the X server or the desktop service went away), the source has closed
itself: report it, and call `start()` again later to reconnect; `start()`
raises `SourceUnavailable` while it is still gone. `start()` on a started
source does nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sitbreak.clock import Clock, _boottime
from sitbreak.errors import ConfigError, SitbreakError

#: The activity sources, by the name `[activity] source` gives them.
SOURCES = ("x11", "pynput", "gnome", "freedesktop", "swayidle", "logind")
#: Values of `[activity] source` (the same as sitbreak.config.ACTIVITY_SOURCES).
PREFERENCES = ("auto", *SOURCES)


class SourceUnavailable(SitbreakError):
    """This activity source cannot work here; the message says why."""


class SourceLost(SitbreakError):
    """A working activity source broke (the X server went away); `start()` may reconnect."""


class NoActivitySource(SitbreakError):
    """No activity source works here; the message lists what was tried and what to do."""


class ActivitySource(Protocol):
    name: str

    def start(self) -> None: ...

    def poll(self) -> float | None: ...

    def stop(self) -> None: ...


# --------------------------------------------------------------------------- X11 idle poll


class X11IdleSource:
    """Polls the X server's idle counter (MIT-SCREEN-SAVER): no per-event work at all.

    Input shows as the counter being smaller than it would have grown to. A
    shortfall under TOLERANCE_MS is not reported, so an input less than that
    after the previous reported one (or the X server's start) goes unseen:
    harmless at one poll a second. Whatever resets the counter counts as
    input, including programs that reset the screen saver (video players).
    """

    name = "x11"

    #: A counter shortfall smaller than this is clock granularity, not input:
    #: the counter is whole milliseconds, on CLOCK_MONOTONIC or its coarse
    #: variant (Xorg uses that only where it ticks every millisecond).
    TOLERANCE_MS = 50.0

    def __init__(self, clock: Clock, display: str | None = None) -> None:
        self._clock = clock
        self._display_name = display  # None: python-xlib reads $DISPLAY
        self._display: Any = None  # Xlib.display.Display while connected
        self._root: Any = None
        self._idle_ms = 0
        self._replied_at = 0.0  # time.monotonic() just after the previous reply

    def start(self) -> None:
        if self._display is not None:
            return
        try:
            import Xlib.display
            import Xlib.error
        except ImportError as exc:
            raise SourceUnavailable(f"python-xlib is not installed ({exc})") from None
        where = f"X display {self._display_name or os.environ.get('DISPLAY') or '(unset)'}"
        try:
            display = Xlib.display.Display(self._display_name)
        except (
            Xlib.error.DisplayError,  # no such display, refused, not authorised
            Xlib.error.ConnectionClosedError,
            Xlib.error.XauthError,
            OSError,
        ) as exc:
            raise SourceUnavailable(f"cannot open {where}: {exc}") from None
        if not display.has_extension("MIT-SCREEN-SAVER"):
            _close_quietly(display)
            raise SourceUnavailable(f"{where} lacks the MIT-SCREEN-SAVER extension")
        self._display, self._root = display, display.screen().root
        try:
            self._idle_ms = self._query_idle_ms()
        except SourceLost as exc:
            raise SourceUnavailable(str(exc)) from None
        self._replied_at = time.monotonic()

    def poll(self) -> float | None:
        if self._root is None:
            raise SourceLost("the X11 idle source is not connected (start() reconnects)")
        asked_at = time.monotonic()
        idle_ms = self._query_idle_ms()
        # With no input, the counter grows by at least the time between the
        # previous reply and this request. Both sides count CLOCK_MONOTONIC,
        # which stops during suspend (CLOCK_BOOTTIME would see input after
        # every resume).
        least_growth_ms = (asked_at - self._replied_at) * 1000.0
        active = idle_ms < self._idle_ms + least_growth_ms - self.TOLERANCE_MS
        self._idle_ms, self._replied_at = idle_ms, time.monotonic()
        return self._clock.now() - idle_ms / 1000.0 if active else None

    def stop(self) -> None:
        display, self._display, self._root = self._display, None, None
        if display is not None:
            _close_quietly(display)

    def describe(self) -> str:
        where = self._display_name or os.environ.get("DISPLAY") or "(unset)"
        return f"X display {where} has MIT-SCREEN-SAVER: idle time polled every few seconds"

    def _query_idle_ms(self) -> int:
        """The server's milliseconds since the last input; SourceLost if the server is gone."""
        import Xlib.error

        try:
            return int(self._root.screensaver_query_info().idle)
        except (Xlib.error.ConnectionClosedError, Xlib.error.XError, OSError) as exc:
            self.stop()
            raise SourceLost(f"lost the X display: {exc}") from None


def _close_quietly(display: Any) -> None:
    # Closing flushes, which raises when the server is already gone.
    with contextlib.suppress(Exception):
        display.close()


# --------------------------------------------------------------------------- pynput


class PynputSource:
    """Keyboard and mouse listeners (pynput): X11 without MIT-SCREEN-SAVER, macOS, Windows."""

    name = "pynput"

    #: How long stop() waits for the listener threads; they are daemon threads,
    #: so one that is still blocked cannot keep the process alive.
    JOIN_TIMEOUT_S = 0.5
    READY_TIMEOUT_S = 5.0

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last: float | None = None  # _boottime() of the latest input, set by pynput's threads
        self._reported: float | None = None
        self._listeners: list[Any] = []
        self._display_name: str | None = None

    def _touch(self, *_ignored: object) -> None:
        # Runs on pynput's thread for every event: one assignment and return.
        # The arguments (key, position, button, scroll) are never looked at.
        self._last = _boottime()

    def start(self) -> None:
        if self._listeners:
            return
        try:
            # Imported here: on Linux `import pynput` fails without an X display.
            from pynput import keyboard, mouse
        except ImportError as exc:
            raise SourceUnavailable(f"pynput cannot run here: {_first_line(exc)}") from None
        self._display_name = os.environ.get("DISPLAY")  # what pynput's X connections use
        touch = self._touch
        listeners = [
            _quiet(mouse.Listener)(on_move=touch, on_click=touch, on_scroll=touch),
            _quiet(keyboard.Listener)(on_press=touch),
        ]
        for listener in listeners:
            listener.start()
        try:
            for listener in listeners:
                _wait_ready(listener, self.READY_TIMEOUT_S)
        except SourceUnavailable:
            self._end(listeners)
            raise
        self._last = self._reported = None
        self._listeners = listeners

    def poll(self) -> float | None:
        if not self._listeners:
            raise SourceLost("the pynput source is not listening (start() restarts it)")
        for listener in self._listeners:
            if not listener.is_alive():
                reason = listener.failure or "its thread ended"
                self.stop()
                raise SourceLost(f"pynput stopped listening: {reason}")
        last = self._last  # one read: the listener threads may write it meanwhile
        if last is None or last == self._reported:
            return None
        self._reported = last
        return self._clock.now() - (_boottime() - last)

    def stop(self) -> None:
        listeners, self._listeners = self._listeners, []
        self._end(listeners)

    def describe(self) -> str:
        return "pynput's keyboard and mouse listeners run (about 220 µs of CPU per mouse motion)"

    def _end(self, listeners: list[Any]) -> None:
        for listener in listeners:
            # pynput's stop() waits forever for a listener that never got ready
            # (it died, or is still connecting: then it is left behind).
            if not (listener.is_alive() and getattr(listener, "_ready", True)):
                continue
            # Returns at once, but on X11 the thread waits for one more event.
            # It talks to X, so it raises when the server is gone: nothing to stop then.
            with contextlib.suppress(Exception):
                listener.stop()
        _end_x11_recording(listeners, self._display_name)
        deadline = time.monotonic() + self.JOIN_TIMEOUT_S
        for listener in listeners:
            # Thread.join, not pynput's join, which re-raises callback errors.
            threading.Thread.join(listener, max(0.0, deadline - time.monotonic()))


def _quiet(base: Any) -> Any:
    """`base` (a pynput Listener class) whose thread ends silently when X breaks.

    pynput lets the X error escape its thread, which prints a traceback on the
    daemon's stderr; we keep the exception for poll()'s SourceLost instead.
    """

    class QuietListener(base):  # type: ignore[misc]
        failure: Exception | None = None

        def run(self) -> None:
            try:
                super().run()
            except Exception as exc:
                self.failure = exc

    return QuietListener


def _wait_ready(listener: Any, timeout: float) -> None:
    # pynput's own wait() blocks forever if the thread fails before it is
    # ready (e.g. no RECORD extension), so watch the thread as well.
    deadline = time.monotonic() + timeout
    while not getattr(listener, "_ready", True):
        if not listener.is_alive():
            reason = listener.failure or "its thread ended"
            raise SourceUnavailable(f"pynput could not start listening: {reason}")
        if time.monotonic() > deadline:
            raise SourceUnavailable(f"pynput did not start listening within {timeout:g} s")
        time.sleep(0.01)


def _end_x11_recording(listeners: list[Any], display_name: str | None) -> None:
    """Wake pynput's X11 threads, which otherwise block until the next input event.

    pynput disables its RECORD context on the very connection that is blocked
    waiting for data; disabling it from another connection ends the recording
    at once. Best effort: if it fails the daemon threads are simply left behind.
    """
    contexts = [getattr(listener, "_context", None) for listener in listeners]
    contexts = [context for context in contexts if context is not None]
    if not contexts:
        return  # not the X11 backend, or never got that far
    with contextlib.suppress(Exception):
        import Xlib.display

        display = Xlib.display.Display(display_name)
        try:
            for context in contexts:
                display.record_disable_context(context)
            display.sync()
        finally:
            _close_quietly(display)


def _first_line(exc: BaseException) -> str:
    # pynput's ImportError goes on with a list of generic "resolutions".
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------- choosing one

#: Where a person's input can be seen, by session kind (`session_kind`).
X11, WAYLAND, NO_DISPLAY, MACOS, WINDOWS = "x11", "wayland", "none", "macos", "windows"

#: The order "auto" tries, best first; every other source is refused with a
#: reason (`Plan.refused`). X11: the idle poll is exact and nearly free;
#: GNOME and freedesktop are as good but cost a D-Bus round trip; pynput
#: decodes every event; logind is coarse. Wayland: GNOME's watches, then
#: KDE's (X11-only in practice) idle time, then swayidle (wlroots, KWin),
#: then logind. With no display variables at all (a user service that was
#: not given them), only the session-bus sources can still be right.
AUTO_ORDER: dict[str, tuple[str, ...]] = {
    X11: ("x11", "gnome", "freedesktop", "pynput", "logind"),
    WAYLAND: ("gnome", "freedesktop", "swayidle", "logind"),
    NO_DISPLAY: ("gnome", "freedesktop"),
    MACOS: ("pynput",),
    WINDOWS: ("pynput",),
}

#: What to run when no source works, one command per kind of session.
IMPORT_ENV_FIX = (
    "systemctl --user import-environment DISPLAY XAUTHORITY WAYLAND_DISPLAY XDG_SESSION_TYPE"
    " && systemctl --user restart sitbreak"
)
SWAYIDLE_FIX = "sudo apt install swayidle"


@dataclass(frozen=True, slots=True)
class Plan:
    """Which sources `select_source` tries here, in order, and what it does not try."""

    preference: str
    session: str  # one of X11, WAYLAND, NO_DISPLAY, MACOS, WINDOWS
    order: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]  # (source, why it is not tried here)
    hints: tuple[str, ...]  # what to do if nothing in `order` works
    fix: str  # the one command that most likely fixes it ("" if none)


def session_kind(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str:
    """X11, WAYLAND, NO_DISPLAY (Linux), MACOS or WINDOWS."""
    if platform == "darwin":
        return MACOS
    if platform == "win32":
        return WINDOWS
    declared = env.get("XDG_SESSION_TYPE", "")
    if env.get("WAYLAND_DISPLAY") or declared == "wayland":
        return WAYLAND
    if env.get("DISPLAY") or declared == "x11":
        return X11
    return NO_DISPLAY


def plan_sources(
    preference: str, env: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> Plan:
    """What `select_source(preference, ...)` would try in this environment."""
    if preference not in PREFERENCES:
        raise ConfigError(
            f"[activity] source = {preference!r}: expected one of {', '.join(PREFERENCES)}"
        )
    session = session_kind(env, platform)
    display = env.get("DISPLAY") or None
    if preference != "auto":
        chosen = f'set [activity] source = "auto" to let sitbreak choose (it is "{preference}")'
        refused = tuple(
            (n, f'[activity] source is "{preference}"') for n in SOURCES if n != preference
        )
        return Plan(preference, session, (preference,), refused, (chosen,), "")
    order = AUTO_ORDER[session]
    refused = tuple((n, _why_not(n, session)) for n in SOURCES if n not in order)
    hints, fix = _hints(session, display)
    return Plan(preference, session, order, refused, hints, fix)


def _why_not(name: str, session: str) -> str:
    if session in (MACOS, WINDOWS):
        return "Linux only"
    if name in ("x11", "pynput") and session == WAYLAND:
        return (
            "this is a Wayland session; through XWayland it would see only input to "
            f'X11 windows and take a busy person for away (set [activity] source = "{name}" '
            "to use it anyway)"
        )
    if name in ("x11", "pynput"):
        return "DISPLAY is not set"
    if name == "swayidle":
        return "not a Wayland session" if session == X11 else "WAYLAND_DISPLAY is not set"
    if name == "logind" and session == NO_DISPLAY:
        return "no graphical session here (no DISPLAY or WAYLAND_DISPLAY)"
    return "not used here"


def _hints(session: str, display: str | None) -> tuple[tuple[str, ...], str]:
    if session == MACOS:
        return ("on macOS, allow sitbreak under Privacy & Security > Input Monitoring",), ""
    if session == WINDOWS:
        return ("install pynput (pip install pynput)",), "pip install pynput"
    if session == WAYLAND:
        return (
            "on Wayland sitbreak needs GNOME, a KDE/freedesktop screen saver that measures "
            f"idle time, or swayidle for wlroots compositors and KWin: `{SWAYIDLE_FIX}`",
            'to count input to XWayland windows only, set [activity] source = "x11"',
        ), SWAYIDLE_FIX
    if session == NO_DISPLAY:
        return (
            "run sitbreak inside your graphical session (DISPLAY is not set); as a systemd "
            f"--user service, have the session run `{IMPORT_ENV_FIX}`",
        ), IMPORT_ENV_FIX
    where = display or "(DISPLAY is not set)"
    return (
        f"check that the X display {where} is reachable (xdpyinfo -display {where}); "
        f"as a systemd --user service, have the session run `{IMPORT_ENV_FIX}`",
    ), IMPORT_ENV_FIX


def make_source(name: str, clock: Clock, env: Mapping[str, str] = os.environ) -> ActivitySource:
    """The source called `name`, not started; SourceUnavailable if it cannot even be made."""
    display = env.get("DISPLAY") or None
    if name == "x11":
        return _x11(clock, display)
    if name == "pynput":
        return _pynput(clock, display)
    # Imported here: they pull in jeepney, and most machines need only one of them.
    if name == "swayidle":
        from sitbreak.desktop.swayidle import SwayidleSource

        return SwayidleSource(clock, env)
    from sitbreak.desktop import wayland

    session_bus = env.get("DBUS_SESSION_BUS_ADDRESS")
    if name == "gnome":
        return wayland.GnomeIdleSource(clock, session_bus)
    if name == "freedesktop":
        return wayland.FreedesktopIdleSource(clock, session_bus)
    if name == "logind":
        from sitbreak.desktop.context import DEFAULT_SYSTEM_BUS

        system_bus = env.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
        return wayland.LogindIdleSource(clock, system_bus)
    raise ConfigError(f"[activity] source = {name!r}: expected one of {', '.join(PREFERENCES)}")


def select_source(
    preference: str, clock: Clock, env: Mapping[str, str] = os.environ
) -> ActivitySource:
    """The activity source to use here, already started.

    A named source is used as asked (even x11 or pynput on Wayland). "auto"
    tries `AUTO_ORDER` for this kind of session and takes the first that
    starts; on Wayland it never takes x11 or pynput, because through XWayland
    both see only input to X11 windows and would take a busy person for away.
    Raises NoActivitySource with a message for people, never a raw error.
    """
    plan = plan_sources(preference, env)
    candidates = [(name, _maker(name, clock, env)) for name in plan.order]
    refused = list(plan.refused) if preference == "auto" else []
    return _start_or_explain(candidates, list(plan.hints), refused)


def _maker(name: str, clock: Clock, env: Mapping[str, str]) -> Callable[[], ActivitySource]:
    return lambda: make_source(name, clock, env)


@dataclass(frozen=True, slots=True)
class Probe:
    """Whether one source works here: for `sitbreak doctor`."""

    name: str
    works: bool | None  # None: not tried here (see `detail`)
    detail: str


def probe_sources(plan: Plan, clock: Clock, env: Mapping[str, str] = os.environ) -> list[Probe]:
    """Start and stop every source of `plan.order` (all of them, not just the first
    that works), then list the refused ones. `select_source` would take the
    first one that works."""
    probes = [_probe(name, clock, env) for name in plan.order]
    probes += [Probe(name, None, f"not tried: {why}") for name, why in plan.refused]
    return probes


def _probe(name: str, clock: Clock, env: Mapping[str, str]) -> Probe:
    try:
        source = make_source(name, clock, env)
        source.start()
    except SourceUnavailable as exc:
        return Probe(name, False, str(exc))
    try:
        describe = getattr(source, "describe", None)
        return Probe(name, True, describe() if callable(describe) else "works")
    finally:
        source.stop()


def _x11(clock: Clock, display: str | None) -> ActivitySource:
    if display is None:
        raise SourceUnavailable("DISPLAY is not set")
    return X11IdleSource(clock, display)


def _pynput(clock: Clock, display: str | None) -> ActivitySource:
    # pynput always connects to this process's own $DISPLAY.
    own = os.environ.get("DISPLAY") or None
    if sys.platform not in ("darwin", "win32") and display != own:
        raise SourceUnavailable(f"pynput would use this process's DISPLAY ({own}), not {display}")
    return PynputSource(clock)


def _start_or_explain(
    candidates: list[tuple[str, Callable[[], ActivitySource]]],
    hints: list[str],
    refused: list[tuple[str, str]] | None = None,
) -> ActivitySource:
    """Start the first candidate that works, or raise NoActivitySource listing every failure."""
    failures: list[tuple[str, str]] = []
    for name, make in candidates:
        try:
            source = make()
            source.start()
        except SourceUnavailable as exc:
            failures.append((name, str(exc)))
            continue
        return source
    failures += [(name, f"not tried: {why}") for name, why in refused or []]
    raise NoActivitySource(_explain(failures, hints))


def _explain(failures: list[tuple[str, str]], hints: list[str]) -> str:
    lines = ["sitbreak cannot see keyboard/mouse activity here. Tried:"]
    lines += [f"  - {name}: {why}" for name, why in failures]
    lines += [f"What to do: {hint}." for hint in hints]
    return "\n".join(lines)
