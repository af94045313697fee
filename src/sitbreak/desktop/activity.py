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
  `sitbreak.desktop.gnome`, `.freedesktop`, `.logind` and `.swayidle`.

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
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sitbreak.clock import Clock
from sitbreak.desktop.source import (
    PREFERENCES,
    SOURCES,
    ActivitySource,
    NoActivitySource,
    SourceLost,
    SourceUnavailable,
)
from sitbreak.desktop.x11 import PynputSource, X11IdleSource
from sitbreak.errors import ConfigError

log = logging.getLogger(__name__)

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


#: Where a source preference came from, as `plan_sources(origin=...)` names it.
FROM_CONFIG = "config"
FROM_COMMAND_LINE = "command line"


def plan_sources(
    preference: str,
    env: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
    *,
    origin: str = FROM_CONFIG,
) -> Plan:
    """What `select_source(preference, ...)` would try in this environment.

    `origin` says where the preference was set, so that the advice names
    what the person actually wrote: `run --source gnome` is not the config.
    """
    if preference not in PREFERENCES:
        raise ConfigError(
            f"[activity] source = {preference!r}: expected one of {', '.join(PREFERENCES)}"
        )
    session = session_kind(env, platform)
    display = env.get("DISPLAY") or None
    if preference != "auto":
        if origin == FROM_COMMAND_LINE:
            chosen = (
                f"run without --source {preference} (or with --source auto) to let sitbreak choose"
            )
            setting = f"--source is {preference!r}"
        else:
            chosen = f'set [activity] source = "auto" to let sitbreak choose (it is "{preference}")'
            setting = f'[activity] source is "{preference}"'
        refused = tuple((n, setting) for n in SOURCES if n != preference)
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
    session_bus = env.get("DBUS_SESSION_BUS_ADDRESS")
    if name == "gnome":
        from sitbreak.desktop.gnome import GnomeIdleSource

        return GnomeIdleSource(clock, session_bus)
    if name == "freedesktop":
        from sitbreak.desktop.freedesktop import FreedesktopIdleSource

        return FreedesktopIdleSource(clock, session_bus)
    if name == "logind":
        from sitbreak.desktop.dbus import DEFAULT_SYSTEM_BUS
        from sitbreak.desktop.logind import LogindIdleSource

        system_bus = env.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
        return LogindIdleSource(clock, system_bus)
    raise ConfigError(f"[activity] source = {name!r}: expected one of {', '.join(PREFERENCES)}")


def select_source(
    preference: str,
    clock: Clock,
    env: Mapping[str, str] = os.environ,
    *,
    origin: str = FROM_CONFIG,
) -> ActivitySource:
    """The activity source to use here, already started.

    A named source is used as asked (even x11 or pynput on Wayland). "auto"
    tries `AUTO_ORDER` for this kind of session and takes the first that
    starts; on Wayland it never takes x11 or pynput, because through XWayland
    both see only input to X11 windows and would take a busy person for away.
    Raises NoActivitySource with a message for people, never a raw error.
    """
    plan = plan_sources(preference, env, origin=origin)
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


# --------------------------------------------------------------------------- staying right

#: The activity source each desktop provides itself (XDG_CURRENT_DESKTOP), where
#: one of ours speaks to it directly.
DESKTOP_OWN: dict[str, str] = {"GNOME": "gnome", "UNITY": "gnome", "PANTHEON": "gnome"}


def desktop_own(env: Mapping[str, str] = os.environ) -> str | None:
    """The source of the desktop we run on (GNOME: "gnome"), if it has one of its own."""
    for desktop in env.get("XDG_CURRENT_DESKTOP", "").upper().split(":"):
        own = DESKTOP_OWN.get(desktop.strip())
        if own is not None:
            return own
    return None


class Reselecting:
    """The daemon's activity source: the one `select_source` picks, picked again when it fails.

    At start the desktop may not be ready: a GNOME Shell slow to answer makes
    "auto" fall through to swayidle, which waits on the stuck compositor and
    looks as if it works, then ends for good once the shell answers ("Display
    doesn't support idle protocol"). So:

    - when the source in use is lost (`SourceLost`) it is not merely restarted:
      the choice is made again, in the same order, and the first that starts
      is used (the same source, when it can be restarted);
    - while the desktop's own source (`desktop_own`) is in the order but not
      the one in use, it is tried again every OWN_RETRY_S and taken as soon
      as it starts.

    A named `[activity] source` is only ever restarted. `problem` says, for
    `sitbreak status`, why no activity can be seen (None while it can).
    """

    #: How often the desktop's own source is tried again while another is in use.
    OWN_RETRY_S = 30.0

    def __init__(
        self,
        preference: str,
        clock: Clock,
        env: Mapping[str, str] = os.environ,
        select: Callable[[str, Clock, Mapping[str, str]], ActivitySource] | None = None,
        make: Callable[[str, Clock, Mapping[str, str]], ActivitySource] | None = None,
        *,
        origin: str = FROM_CONFIG,
    ) -> None:
        self._preference = preference
        self._clock = clock
        self._env = env
        self._select = select or (
            lambda pref, clk, environ: select_source(pref, clk, environ, origin=origin)
        )
        self._make = make or make_source
        plan = plan_sources(preference, env, origin=origin)  # ConfigError for a bad preference
        own = desktop_own(env)
        self._own = own if preference == "auto" and own in plan.order else None
        self._current: ActivitySource | None = None
        self._last_name = plan.order[0] if plan.order else "none"
        self._own_at = 0.0
        self._chosen_once = False
        self.problem: str | None = None
        self.switches = 0  # how often another source was taken (for tests and the log)

    @property
    def name(self) -> str:
        return self._current.name if self._current is not None else self._last_name

    @property
    def current(self) -> ActivitySource | None:
        return self._current

    def start(self) -> None:
        """Select (again); NoActivitySource when none works."""
        if self._current is not None:
            return
        try:
            source = self._select(self._preference, self._clock, self._env)
        except NoActivitySource:
            # After a loss, what broke says more than "nothing works".
            self.problem = self.problem or "no activity source works here (see `sitbreak doctor`)"
            raise
        self._use(source)

    def poll(self) -> float | None:
        source = self._current
        if source is None:
            raise SourceLost(self.problem or "no activity source is running (start() selects one)")
        self._maybe_take_own()
        source = self._current
        assert source is not None
        try:
            return source.poll()
        except SourceLost as exc:
            return self._lost(source, str(exc))

    def stop(self) -> None:
        source, self._current = self._current, None
        if source is not None:
            source.stop()

    def describe(self) -> str:
        describe = getattr(self._current, "describe", None)
        text = describe() if callable(describe) else self.name
        if self._own is not None and self.name != self._own:
            text += f" (until the desktop's own source, {self._own}, answers)"
        return text

    # ---- what happens when it breaks

    def _use(self, source: ActivitySource) -> None:
        if self._current is not None and self._current is not source:
            with contextlib.suppress(Exception):
                self._current.stop()
        if self._chosen_once and source.name != self._last_name:
            self.switches += 1
        self._chosen_once = True
        self._current, self._last_name, self.problem = source, source.name, None
        self._own_at = self._clock.now() + self.OWN_RETRY_S

    def _lost(self, source: ActivitySource, why: str) -> float | None:
        """`source` broke: choose again now; SourceLost if nothing works."""
        with contextlib.suppress(Exception):
            source.stop()
        self._current = None
        if self._preference != "auto":
            self.problem = f"{source.name}: {why}"
            raise SourceLost(why)
        try:
            chosen = self._select(self._preference, self._clock, self._env)
        except NoActivitySource as exc:
            self.problem = f"{source.name} failed ({why}) and no other source works"
            log.info("%s", exc)  # every source tried, and why each failed
            raise SourceLost(f"{why}; no other source works") from None
        log.warning(
            "the activity source %s failed (%s); now watching activity with %s",
            source.name,
            why,
            chosen.name,
        )
        self._use(chosen)
        return None

    def _maybe_take_own(self) -> None:
        own, current = self._own, self._current
        if own is None or current is None or current.name == own:
            return
        now = self._clock.now()
        if now < self._own_at:
            return
        self._own_at = now + self.OWN_RETRY_S
        try:
            candidate = self._make(own, self._clock, self._env)
            candidate.start()
        except SourceUnavailable as exc:
            log.debug("the desktop's own activity source %s still does not work: %s", own, exc)
            return
        log.warning(
            "the desktop's own activity source %s works now; using it instead of %s",
            own,
            current.name,
        )
        self._use(candidate)
