"""What `sitbreak status --format waybar|i3blocks|i3status-rs|polybar` prints.

Each bar reads a different shape (docs/status-bars.md has each bar's
config): waybar one JSON object per line with text, tooltip, class and
percentage; i3blocks up to three lines (full text, short text, colour);
i3status-rust's custom block one JSON object with text, short_text and
state; polybar one line, with its own colour tags. All are made from the
status document (`sitbreak status --json`), or from None when sitbreak is
not running, which is shown, not an error: a bar must keep a module.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from collections.abc import Mapping

from sitbreak.text import duration

TYPE_CHECKING = False  # not typing's: `sitbreak status --format` does not import typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

FORMATS: Final = ("waybar", "i3blocks", "i3status-rs", "polybar")

#: What a prompt asks for, in the few words a tooltip has room for.
_SHORT_PROMPTS: Final = {
    "move": "stand up",
    "posture": "check your posture",
    "stretch": "stretch",
    "hydrate": "drink some water",
    "breathe": "breathe slowly",
    "eyes": "rest your eyes",
}
_STATES: Final = {
    "sitting": "Sitting",
    "idle": "Idle",
    "away": "Away",
    "locked": "Locked",
    "suspended": "Asleep",
}
#: Colours for the bars that take one (i3blocks, polybar): over the sitting limit, paused.
_OVER_COLOUR: Final = "#E06C75"
_QUIET_COLOUR: Final = "#888888"


class BarView(
    collections.namedtuple("BarView", ("text", "short", "tooltip", "css_class", "percentage"))
):
    """The status as a bar shows it, whatever the bar.

    A plain named tuple rather than typing's: bars run `sitbreak status` every
    few seconds, and typing costs each start milliseconds.
    """

    __slots__ = ()
    text: str
    short: str
    tooltip: str
    #: sitting, idle, away, locked, suspended, paused, over-limit or not-running.
    css_class: str
    #: How far into the sitting limit the open session is, 0-100 (100 once over it).
    percentage: int


def _seated(seconds: float) -> str:
    """Whole minutes ("34 min", "1 h 05"): a bar shows it for a minute at a time."""
    if seconds < 60:
        return "under a minute"
    return duration(60 * (seconds // 60))


# ------------------------------------------------ today, as status's first line counts it


def daemon_zone(status: Mapping[str, Any]) -> dt.tzinfo:
    """The zone the running monitor cuts days and tells times in (its status's `tz`:
    [general] timezone, else the machine's); the machine's for a status without one."""
    from sitbreak.errors import SitbreakError
    from sitbreak.timezones import resolve_tz

    zone = status.get("tz")
    if isinstance(zone, str) and zone:
        try:
            return resolve_tz(zone)
        except SitbreakError:  # a zone this machine does not know: its own, then
            pass
    return resolve_tz(None)


def zone_name(tz: dt.tzinfo) -> str:
    """As the daemon names a zone (storage.store.tz_label, without importing the store)."""
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else str(tz)


def counted_today(status: Mapping[str, Any], tz: dt.tzinfo) -> tuple[float, float]:
    """Today's sitting and longest session, with the open session counted as
    the "Sitting for" line counts it: up to now.

    The day's figures count the open session up to the last input, where a
    break would cut it (what a report adds for it); read under "Sitting for
    35 s", "Today: 6 s sitting" would contradict it while one sits still.
    """
    today = status.get("today")
    if not isinstance(today, Mapping):
        return 0.0, 0.0
    sitting = float(today.get("sitting_s", 0.0))
    longest = float(today.get("longest_session_s", 0.0))
    session = status.get("session")
    if not isinstance(session, Mapping):
        return sitting, longest
    start, seated, seen = (session.get(k) for k in ("start", "seated_s", "last_seen"))
    if not (
        isinstance(start, int | float)
        and isinstance(seated, int | float)
        and isinstance(seen, int | float)
    ):
        return sitting, longest
    now = start + seated  # the daemon's now, when it answered
    day = dt.datetime.fromtimestamp(now, tz).date()
    midnight = dt.datetime.combine(day, dt.time(0), tz).timestamp()
    still = now - max(seen, start, midnight)
    if still <= 0:
        return sitting, longest
    return sitting + still, max(longest, now - max(start, midnight))


def on_a_break(status: Mapping[str, Any]) -> bool:
    """Whether a break is going on now: a session ended and none has begun.

    The day's figures count a break once it is over (its length is known
    then): while it lasts, "0 breaks" beside "got up after 2 of 2 movement
    reminders" would read as a contradiction."""
    return (
        status.get("state") in ("away", "locked", "suspended")
        and status.get("session") is None
        and status.get("since") is not None
    )


def view(status: Mapping[str, Any] | None, *, now: float, tz: dt.tzinfo) -> BarView:
    """The bar's view of `status` (None: sitbreak is not running)."""
    if status is None:
        return BarView(
            "sitbreak off", "off", "sitbreak is not running (sitbreak run)", "not-running", 0
        )
    state = str(status.get("state", "unknown"))
    session = status.get("session") if isinstance(status.get("session"), Mapping) else None
    seated = float(session.get("seated_s", 0.0)) if session else 0.0
    limit = float(status.get("sitting_limit_s") or 0.0)
    percentage = 0 if not limit or not session else min(100, int(100 * seated / limit))
    word = _STATES.get(state, state.capitalize())
    if session and state in ("sitting", "idle"):
        minutes = _seated(seated)
        text = f"{word} {minutes}"
        short = minutes
    else:
        text = short = word
    css_class = state
    if session and limit and seated >= limit and state == "sitting":
        css_class = "over-limit"
    first = f"{word} {_seated(seated)}" if session else word
    parts = [first]
    paused = _paused(status, now, tz)
    if paused:
        text, short, css_class = f"{text} · {paused}", paused, "paused"
        parts.append(paused.lower())
    upcoming = status.get("next_prompt")
    if isinstance(upcoming, Mapping) and upcoming.get("kind"):
        what = _SHORT_PROMPTS.get(str(upcoming["kind"]), str(upcoming["kind"]))
        at = upcoming.get("at")
        parts.append(f"next: {what}" + ("" if at is None else f" at {_at(at, now, tz)}"))
    tooltip = " · ".join(parts)
    today = status.get("today")
    if isinstance(today, Mapping) and today.get("sessions"):
        breaks = int(today.get("breaks", 0)) + on_a_break(status)
        tooltip += (
            f"\nToday: {_seated(counted_today(status, tz)[0])} sitting, "
            f"{breaks} break{'' if breaks == 1 else 's'}"
        )
    return BarView(text, short, tooltip, css_class, percentage)


def _paused(status: Mapping[str, Any], now: float, tz: dt.tzinfo) -> str:
    if not status.get("paused"):
        return ""
    until = status.get("paused_until")
    return "Paused" if until is None else f"Paused until {_at(until, now, tz)}"


def _at(t: float, now: float, tz: dt.tzinfo) -> str:
    when = dt.datetime.fromtimestamp(t, tz)
    today = dt.datetime.fromtimestamp(now, tz).date()
    hhmm = f"{when:%H:%M}"
    return hhmm if when.date() == today else f"{when:%a} {hhmm}"


# ------------------------------------------------------------ one renderer per bar


def waybar(v: BarView) -> str:
    return json.dumps(
        {"text": v.text, "tooltip": v.tooltip, "class": v.css_class, "percentage": v.percentage},
        ensure_ascii=False,
    )


def i3blocks(v: BarView) -> str:
    """Three lines for i3blocks' interval mode (`--follow` prints the first: persist mode)."""
    colour = _colour(v)
    return "\n".join([v.text, v.short, *([colour] if colour else [])])


_I3RS_STATES: Final = {"over-limit": "Warning", "paused": "Idle", "not-running": "Idle"}


def i3status_rs(v: BarView) -> str:
    state = _I3RS_STATES.get(v.css_class, "Info" if v.css_class == "sitting" else "Idle")
    return json.dumps({"text": v.text, "short_text": v.short, "state": state}, ensure_ascii=False)


def polybar(v: BarView) -> str:
    colour = _colour(v)
    # "%" starts polybar's formatting tags: a literal one is "%%".
    text = v.text.replace("%", "%%")
    return f"%{{F{colour}}}{text}%{{F-}}" if colour else text


def _colour(v: BarView) -> str:
    if v.css_class == "over-limit":
        return _OVER_COLOUR
    if v.css_class in ("paused", "not-running"):
        return _QUIET_COLOUR
    return ""


RENDERERS: Final[dict[str, Callable[[BarView], str]]] = {
    "waybar": waybar,
    "i3blocks": i3blocks,
    "i3status-rs": i3status_rs,
    "polybar": polybar,
}


def render(
    fmt: str,
    status: Mapping[str, Any] | None,
    *,
    now: float,
    tz: dt.tzinfo,
    one_line: bool = False,
) -> str:
    """What `fmt`'s bar reads; `one_line` for `--follow`, where every line is an update."""
    text = RENDERERS[fmt](view(status, now=now, tz=tz))
    return text.split("\n", 1)[0] if one_line else text


def tray_view(status: Mapping[str, Any] | None, now: float, tz: dt.tzinfo) -> Any:
    """The tray icon's view of `status`: the bars' own, so the tooltip reads as theirs."""
    from sitbreak.desktop.tray import TrayView

    v = view(status, now=now, tz=tz)
    paused = bool(status and status.get("paused"))
    snoozed = bool(status and status.get("snoozed_until") is not None)
    # The drawn icon moves in steps of 5 %: a change a minute or so, not every turn.
    return TrayView(v.css_class, 5 * (v.percentage // 5), v.tooltip, paused, snoozed)
