"""A day recorded by the real daemon, exported and replayed: the same day again.

`sitbreak run` watches a real X server (Xvfb) on a private session bus with
a screen saver that locks, and a private system bus whose logind announces
a suspend and a resume (PrepareForSleep, as a laptop lid does), with
thresholds of seconds. xdotool is the person. Afterwards `sitbreak trace
export` writes the timeline the daemon kept, and `sitbreak replay` of that
file gives the sessions, breaks, prompts and figures the daemon stored; so
does `sitbreak replay --days today`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_faults import Running, sitbreak_run
from test_signals import FD_SAVER, FakeLogind, FakeScreenSavers, serving

from desktop import FAST_DAEMON_CONFIG, Desktop, dbus_bus, desktop
from office import ENGINE_FIELDS
from sitbreak.config import load_config
from sitbreak.storage.store import Store

pytestmark = pytest.mark.desktop

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = '[general]\ntimezone = "Europe/Berlin"\n' + FAST_DAEMON_CONFIG


def work(d: Desktop, seconds: int) -> None:
    for i in range(seconds):
        d.xdotool("mousemove", str(100 + 37 * (i % 20)), str(120 + 23 * (i % 15)))
        time.sleep(1)


def test_a_day_at_a_real_desk_exports_and_replays_to_what_was_stored(tmp_path: Path) -> None:
    with (
        desktop() as d,
        dbus_bus() as system,
        serving(FakeScreenSavers(d.bus.address)) as savers,
        serving(FakeLogind(system.address)) as logind,
    ):
        env = dict(d.env, DBUS_SYSTEM_BUS_ADDRESS=system.address)
        with sitbreak_run(env, tmp_path, CONFIG, "--log-level", "DEBUG") as run:
            run.wait_log("logind: watching PrepareForSleep")
            a_day(run, d, savers, logind)
            assert run.stop() == 0, run.log()
        log = run.log()
        assert "ended: lock" in log and "ended: suspend" in log and "ended: idle" in log

        config = tmp_path / "config.toml"
        trace = tmp_path / "today.jsonl.gz"
        run.cli("trace", "export", "--config", str(config), "-o", str(trace))
        replay = json.loads(run.cli("replay", str(trace), "--config", str(config), "--json").stdout)
        run.env["SITBREAK_CONFIG"] = str(config)  # the person's own config, as recorded
        whatif = json.loads(run.cli("replay", "--days", "today", "--json").stdout)

    db = run.home / "data" / "sitbreak.db"
    settings = load_config(config).engine
    with Store.open(db, recover=False) as store:
        sessions = store.sessions_between(0, 4e9)
        breaks = store.breaks_between(0, 4e9)
        prompts = store.prompts_between(0, 4e9)
        dates = sorted({dt.datetime.fromtimestamp(s.start, BERLIN).date() for s in sessions})
        figures = store.figures_between(dates[0], dates[-1], BERLIN, settings=settings)
    assert len(sessions) == 4 and len(breaks) == 3
    assert {b.cause.value for b in breaks} == {"lock", "suspend", "idle"}
    assert [(s["start"], s["end"], s["cause"]) for s in replay["sessions"]] == [
        (s.start, s.end, s.cause.value) for s in sessions
    ]
    assert [(b["start"], b["end"], b["cause"]) for b in replay["breaks"]] == [
        (b.start, b.end, b.cause.value) for b in breaks
    ]
    assert [(p["t"], p["kind"], p["level"]) for p in replay["prompts"]] == [
        (p.t, p.kind.value, p.level) for p in prompts
    ]
    stored = [{k: v for k, v in f.as_dict().items() if k in ENGINE_FIELDS} for f in figures]
    replayed = [{k: v for k, v in f.items() if k in ENGINE_FIELDS} for f in replay["days"]]
    assert replayed == stored
    assert whatif["replayed"] == whatif["recorded"]
    assert whatif["recorded"]["sessions"] == 4


def a_day(run: Running, d: Desktop, savers: FakeScreenSavers, logind: FakeLogind) -> None:
    work(d, 12)  # a session, with posture and move prompts
    savers.active[FD_SAVER] = True
    savers.active_changed(True)
    run.wait_log("screen locked")
    time.sleep(5)  # longer than break_locked: a break
    savers.active[FD_SAVER] = False
    savers.active_changed(False)
    run.wait_log("screen unlocked")
    work(d, 8)
    logind.prepare_for_sleep(True)
    run.wait_log("going to sleep")
    time.sleep(5)
    logind.prepare_for_sleep(False)
    run.wait_log("woke up")
    work(d, 8)
    time.sleep(9)  # longer than break_idle: a break
    work(d, 6)
    run.ask()  # the loop has seen it all
