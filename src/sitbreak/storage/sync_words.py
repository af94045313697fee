"""The sync link in words: what `sitbreak status`, `doctor` and the reports say of it.

Apart from `sitbreak.storage.sync` so that `sitbreak status`, which status
bars run every few seconds, can say it without importing the sync machinery
(and the config and engine it needs): it imports nothing but `sitbreak.text`.
`sitbreak.storage.sync` has these names too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sitbreak.text import count

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

#: A host's times this far in our future: its clock is off (seconds of skew
#: are normal and tolerated).
SKEW_TOLERANCE_S = 5.0


def _ago(seconds: float) -> str:
    if seconds < 10:
        return "just now"
    if seconds < 90:
        return count(round(seconds), "second") + " ago"
    if seconds < 90 * 60:
        return count(round(seconds / 60), "minute") + " ago"
    if seconds < 36 * 3600:
        return count(round(seconds / 3600), "hour") + " ago"
    return count(round(seconds / 86400), "day") + " ago"


def _days_words(seconds: float) -> str:
    return count(round(seconds / 86400), "day")


def _skew(seconds: float) -> str:
    if seconds < 120:
        return count(round(seconds), "second")
    return count(round(seconds / 60), "minute")


def _when(t: float, now: float, tz: dt.tzinfo) -> str:
    """'14:02 CET' today, 'Sat 28 Nov 14:02 CET' before: a time with its zone."""
    when = dt.datetime.fromtimestamp(t, tz)
    zone = when.tzname() or "UTC"
    if when.date() == dt.datetime.fromtimestamp(now, tz).date():
        return f"{when:%H:%M} {zone}"
    return f"{when:%a} {when.day} {when:%b} {when:%H:%M} {zone}"


def peer_state(peer: Mapping[str, Any], now: float, tz: dt.tzinfo) -> str:
    """How another computer is, without its name: how fresh, what is wrong."""
    age = peer.get("age_s")
    if not isinstance(age, int | float):
        parts = ["nothing written yet"]
    else:
        parts = [f"last record {_ago(age)}"]
        if age >= 3600:  # long enough ago for the time itself to matter
            parts[0] += f" ({_when(now - age, now, tz)})"
    skew = peer.get("skew_s")
    if isinstance(skew, int | float) and skew > SKEW_TOLERANCE_S:
        parts.append(f"its clock is {_skew(skew)} ahead (its times are taken as now)")
    bad = peer.get("bad_lines")
    if isinstance(bad, int) and bad:
        parts.append(f"{count(bad, 'bad line')} skipped")
    return ", ".join(parts)


def peer_sentence(peer: Mapping[str, Any], now: float, tz: dt.tzinfo) -> str:
    """One other computer, in words: its name, how fresh, what is wrong."""
    return f"{peer.get('name')}, {peer_state(peer, now, tz)}"


def computers_named(names: Sequence[str]) -> str:
    """'2 computers (desk, laptop)'."""
    return f"{count(len(names), 'computer')} ({', '.join(names)})"


def across(names: Sequence[str]) -> str:
    """', across 2 computers (desk, laptop)' for a day's summary; '' for one computer."""
    return f", across {computers_named(names)}" if len(names) > 1 else ""


def sync_sentence(status: Mapping[str, Any], now: float, tz: dt.tzinfo) -> str:
    """The sync link in one line, for `sitbreak status`."""
    folder = status.get("folder")
    problem = status.get("problem")
    pending = status.get("pending")
    if problem:
        waiting = ""
        if isinstance(pending, int) and pending:
            waiting = f"; {count(pending, 'record waits', 'records wait')} to be written"
        return f"Sync: trouble with {folder}: {problem}{waiting}."
    peers = [p for p in status.get("peers") or () if isinstance(p, Mapping)]
    if not peers:
        return f"Sync: through {folder}; no other computer has written there yet."
    peers.sort(key=lambda p: str(p.get("name")))
    listed = "; ".join(peer_sentence(p, now, tz) for p in peers)
    extra = ""
    conflicts = status.get("conflicts")
    if isinstance(conflicts, int) and conflicts:
        copies = count(conflicts, "Syncthing conflict copy", "Syncthing conflict copies")
        extra = f" {copies} ignored."
    return f"Sync: {count(len(peers), 'other computer')} through {folder}: {listed}.{extra}"
