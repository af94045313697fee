"""The person's day across their computers: the synced folder's activity of
every host, replayed by sitbreak's own engine (issue 18).

Each host wrote its input as activity spans (storage/sync.py), and its
locks and sleeps. The union of the input, with the locks and sleeps of the
computer in use, is the person's day; the engine replays it as it would one computer's, so
sessions, breaks and prompts are decided by the same rules as everywhere
else. Beside the merged figures: each computer's own share (its input time
and the prompts it showed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sitbreak.core import Activity, EngineSettings, Event, Lock, Resume, Suspend, Tick, Unlock
from sitbreak.core.run import ReplayResult, replay_events
from sitbreak.report.figures import Computers, Day, Share
from sitbreak.storage.sync import SPAN_GAP, HostHistory
from sitbreak.storage.sync_words import computers_named


def events_of(hosts: Sequence[HostHistory]) -> list[Event]:
    """Every host's input as engine events, a point every SPAN_GAP seconds
    through each span (as it was typed: no false pauses), with the locks and
    sleeps of the host in use at the time (the one with the latest input).

    As in the daemon, a lock on the computer left is lifted by input on
    another one: the person moved, they did not leave.
    """
    # (time, order at that time, host, what): input before context at one time.
    items: list[tuple[float, int, str, str]] = []
    for h in hosts:
        for a, b in h.spans:
            t = a
            while t < b:
                items.append((t, 0, h.id, "a"))
                t += SPAN_GAP
            items.append((b, 0, h.id, "a"))
        items += [(float(c["t"]), 1, h.id, str(c["k"])) for c in h.context]
    items.sort()
    events: list[Event] = []
    in_use: str | None = None
    locked_by: str | None = None
    asleep: str | None = None
    for t, _order, host, what in items:
        if what == "a":
            if locked_by is not None and host != locked_by:
                events.append(Unlock(t))
                locked_by = None
            events.append(Activity(t))
            in_use = host
        elif what == "lk" and in_use in (None, host) and locked_by is None:
            events.append(Lock(t))
            locked_by = host
        elif what == "ul" and locked_by == host:
            events.append(Unlock(t))
            locked_by = None
        elif what == "sp" and in_use in (None, host) and asleep is None:
            events.append(Suspend(t))
            asleep = host
        elif what == "rs" and asleep == host:
            events.append(Resume(t))
            asleep = None
    return events


def replay_hosts(
    hosts: Sequence[HostHistory], settings: EngineSettings, tz: dt.tzinfo, now: float
) -> ReplayResult:
    """The replay, run on to `now`: a session whose break has come since
    (a lock, the idle threshold) ends as the daemon ended it, not at the
    last record as if sitbreak had stopped there."""
    events = events_of(hosts)
    if events and now > events[-1].t:
        events.append(Tick(now))
    return replay_events(events, settings, tz)


def source_label(hosts: Sequence[HostHistory]) -> str:
    """How the report's header names what it covers: how many computers, which."""
    return computers_named([h.name for h in hosts])


def shares(
    hosts: Sequence[HostHistory], first: float, last: float, names: Sequence[str] | None = None
) -> tuple[Share, ...]:
    """Each host's input time and prompts shown in [first, last), under `names`
    (default: the hosts' own)."""
    out = []
    for i, h in enumerate(hosts):
        spent = sum(max(0.0, min(b, last) - max(a, first)) for a, b in h.spans)
        shown = sum(1 for p in h.prompts if first <= float(p["t"]) < last)
        out.append(Share(h.name if names is None else names[i], h.id, spent, shown))
    return tuple(out)


def told_apart(h: HostHistory) -> str:
    """How reports name a computer that shares its name with another: 'desk (3f9a1c)'."""
    return f"{h.name} ({h.id[:6]})"


def breakdown(
    hosts: Sequence[HostHistory], days: Sequence[Day], now: float, keep_s: float, tz: dt.tzinfo
) -> Computers:
    """Each computer's part of each day and of the whole period (its days added
    up), and from which day the folder still holds everything ([sync] keep).
    Two computers of one name are told apart by their ids."""
    names = [h.name for h in hosts]
    names = [told_apart(h) if names.count(h.name) > 1 else h.name for h in hosts]
    by_day = {d.date: shares(hosts, d.start, d.end, names) for d in days}
    period = tuple(
        Share(
            names[i],
            h.id,
            sum(by_day[d.date][i].input_s for d in days),
            sum(by_day[d.date][i].prompts for d in days),
        )
        for i, h in enumerate(hosts)
    )
    kept_from = dt.datetime.fromtimestamp(now - keep_s, tz).date() + dt.timedelta(days=1)
    spans = {names[i]: tuple(h.spans) for i, h in enumerate(hosts)}
    return Computers(period, by_day, round(keep_s / 86400), kept_from, spans)
