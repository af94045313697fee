"""Two computers' records in one synced folder, written as their daemons write them.

The person's Monday: the desk from 09:00, over to the laptop at 09:20 (20 s
to move), where a move prompt comes at 09:30, on until 09:50; after a real
break, the desk again 14:00-14:10. Used by the merged-report tests
(report/test_merged.py) and the session rows of the CSV and the command.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sitbreak.storage.sync import SyncWriter

BERLIN = ZoneInfo("Europe/Berlin")
MIN = 60.0
MONDAY = dt.date(2026, 11, 2)
DESK_ID = "d" * 16
LAPTOP_ID = "e" * 16


def at(hh: int, mm: int = 0) -> float:
    return dt.datetime.combine(MONDAY, dt.time(hh, mm), BERLIN).timestamp()


def typing(w: SyncWriter, start: float, end: float) -> None:
    """Input every 5 s from start to end, as the daemon polls it."""
    t = start
    while t <= end:
        w.activity(t)
        w.tick(t)
        t += 5
    w.tick(end + 60)


def desk(folder: Path) -> SyncWriter:
    return SyncWriter(folder, DESK_ID, "desk")


def laptop(folder: Path) -> SyncWriter:
    return SyncWriter(folder, LAPTOP_ID, "laptop")


def two_computers(folder: Path) -> Path:
    """The Monday above, written into `folder` (made here)."""
    folder.mkdir()
    at_desk, on_laptop = desk(folder), laptop(folder)
    typing(at_desk, at(9), at(9, 20))
    typing(on_laptop, at(9, 20) + 20, at(9, 50))  # moved over in 20 seconds
    on_laptop.record("p", t=at(9, 30), p="move", l=1.0)
    on_laptop.tick(at(9, 30))
    typing(at_desk, at(14), at(14, 10))  # the afternoon, after a real break
    return folder


def config_for(path: Path, folder: Path, name: str = "desk") -> Path:
    """This computer's config: Berlin's days, the folder, this computer's name."""
    path.write_text(
        f'[general]\ntimezone = "Europe/Berlin"\n[sync]\nfolder = "{folder}"\nname = "{name}"\n'
    )
    return path
