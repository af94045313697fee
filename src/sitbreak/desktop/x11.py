"""Activity on X11: the X server's idle counter, or pynput's listeners where it is missing.

- `X11IdleSource` does not even see input events: it asks the X server how
  many milliseconds have passed since the last input (the MIT-SCREEN-SAVER
  extension), a 40 µs query.
- `PynputSource` receives every event, because that is how pynput works;
  pynput decodes each event in its own thread before calling us, and our
  callbacks ignore all their arguments and only store the current time.
  It costs some 220 µs of CPU per mouse motion, so it is the fallback.
  It is the only source on macOS and Windows. On Linux sitbreak does not
  install pynput (its package requires evdev, which needs a compiler, for a
  backend sitbreak never uses): `PYNPUT_INSTALL` adds it without one."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Any

from sitbreak.clock import Clock, _boottime
from sitbreak.desktop.source import SourceLost, SourceUnavailable, first_line

#: Adds pynput to this installation without evdev: its X11 backend needs only python-xlib.
PYNPUT_INSTALL = f"{sys.executable} -m pip install --no-deps 'pynput>=1.7' six"

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
        except ModuleNotFoundError as exc:
            if exc.name != "pynput":
                raise SourceUnavailable(f"pynput cannot run here: {first_line(exc)}") from None
            raise SourceUnavailable(f"pynput is not installed: `{PYNPUT_INSTALL}`") from None
        except ImportError as exc:
            raise SourceUnavailable(f"pynput cannot run here: {first_line(exc)}") from None
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
