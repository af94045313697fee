"""The person's day across their computers: the synced folder's activity of
every host, replayed by sitbreak's own engine (issue 18).

Each host wrote its input as activity spans (storage/sync.py). Their union
is the person's input; the engine replays it as it would one computer's, so
sessions, breaks and prompts are decided by the same rules as everywhere
else. Beside the merged figures: each computer's own share (its input time
and the prompts it showed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sitbreak.core import Activity, EngineSettings, Event
from sitbreak.core.run import ReplayResult, replay_events
from sitbreak.storage.sync import SPAN_GAP, HostHistory, merge_spans
from sitbreak.text import count, duration


def events_of(hosts: Sequence[HostHistory]) -> list[Event]:
    """The union of every host's input as engine events, a point every
    SPAN_GAP seconds through each span (as it was typed: no false pauses)."""
    events: list[Event] = []
    for a, b in merge_spans(s for h in hosts for s in h.spans):
        t = a
        while t < b:
            events.append(Activity(t))
            t += SPAN_GAP
        events.append(Activity(b))
    return events


def replay_hosts(
    hosts: Sequence[HostHistory], settings: EngineSettings, tz: dt.tzinfo
) -> ReplayResult:
    return replay_events(events_of(hosts), settings, tz)


def source_label(hosts: Sequence[HostHistory]) -> str:
    """How the report's header names what it covers: how many computers, which."""
    names = ", ".join(h.name for h in hosts)
    return f"{count(len(hosts), 'computer')} ({names})"


@dataclass(frozen=True)
class Share:
    """One computer's part of a period."""

    name: str
    id: str
    input_s: float
    prompts: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "id": self.id, "input_s": self.input_s, "prompts": self.prompts}


def shares(hosts: Sequence[HostHistory], first: float, last: float) -> list[Share]:
    """Each host's input time and prompts shown in [first, last)."""
    out = []
    for h in hosts:
        spent = sum(max(0.0, min(b, last) - max(a, first)) for a, b in h.spans)
        shown = sum(1 for p in h.prompts if first <= float(p["t"]) < last)
        out.append(Share(h.name, h.id, spent, shown))
    return out


def share_lines(parts: Sequence[Share]) -> list[str]:
    """The per-computer breakdown, for the text and Markdown reports."""
    lines = ["  by computer"]
    width = max((len(p.name) for p in parts), default=0)
    for p in parts:
        prompts = count(p.prompts, "prompt") + " shown"
        lines.append(f"    {p.name:<{width}}  {duration(p.input_s)} with input, {prompts}")
    return lines
