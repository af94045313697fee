"""The sync link in words: what `sitbreak status` and `doctor` say of it.

Apart from `sitbreak.storage.sync` so that `sitbreak status`, which status
bars run every few seconds, can say it without importing the sync machinery
(and the config and engine it needs): it imports nothing but `sitbreak.text`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sitbreak.text import count

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    from typing import Any

#: A host's times this far in our future: its clock is off (seconds of skew
#: are normal and tolerated).
SKEW_TOLERANCE_S = 5.0


def _ago(seconds: float) -> str:
    if seconds < 90:
        return count(round(seconds), "second") + " ago"
    if seconds < 90 * 60:
        return count(round(seconds / 60), "minute") + " ago"
    if seconds < 36 * 3600:
        return count(round(seconds / 3600), "hour") + " ago"
    return count(round(seconds / 86400), "day") + " ago"


def _skew(seconds: float) -> str:
    if seconds < 120:
        return count(round(seconds), "second")
    return count(round(seconds / 60), "minute")


def peer_sentence(peer: Mapping[str, Any]) -> str:
    """One other computer, in words: its name, how fresh, what is wrong."""
    age = peer.get("age_s")
    text = f"{peer.get('name')}: " + (
        "nothing heard yet" if not isinstance(age, int | float) else f"heard from {_ago(age)}"
    )
    skew = peer.get("skew_s")
    if isinstance(skew, int | float) and skew > SKEW_TOLERANCE_S:
        text += f"; its clock is {_skew(skew)} ahead (its times are taken as now)"
    bad = peer.get("bad_lines")
    if isinstance(bad, int) and bad:
        text += f"; {count(bad, 'bad line')} skipped"
    return text


def sync_sentence(status: Mapping[str, Any]) -> str:
    """The sync link in one line, for `sitbreak status`."""
    folder = status.get("folder")
    problem = status.get("problem")
    pending = status.get("pending")
    if problem:
        waiting = f"; {pending} records wait to be written" if pending else ""
        return f"Sync: trouble with {folder}: {problem}{waiting}."
    peers = [p for p in status.get("peers") or () if isinstance(p, Mapping)]
    if not peers:
        return f"Sync: through {folder}; no other computer has written there yet."
    listed = "; ".join(peer_sentence(p) for p in peers)
    extra = ""
    conflicts = status.get("conflicts")
    if isinstance(conflicts, int) and conflicts:
        extra = (
            f" ({count(conflicts, 'Syncthing conflict copy', 'Syncthing conflict copies')} ignored)"
        )
    return f"Sync: {count(len(peers), 'other computer')} through {folder} ({listed}){extra}."
