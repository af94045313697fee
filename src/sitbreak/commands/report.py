"""`sitbreak report`: a day's, week's or month's figures, for people or programs.

Exit status: 0 with a report; 1 when there is nothing to report from (no
database yet, or nothing stored under the chosen source), with a message on
stderr and nothing on stdout; 2 for bad input (a bad date, an unknown source),
as for every command.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from sitbreak.config import Config
    from sitbreak.core import SessionEnded
    from sitbreak.storage.store import Store
    from sitbreak.storage.sync import HostHistory

#: Exit status when there is no data to report from.
EXIT_NO_DATA = 1
#: How long a report waits for the running daemon's open session before going without.
LIVE_TIMEOUT_S = 1.0

_EPILOG = """\
WHEN is 'today' (the default), 'yesterday' or a date YYYY-MM-DD, in the time
zone of your config ([general] timezone) or the machine's. A replay recorded
with `sitbreak replay TRACE --record` is reported with --source replay:NAME,
in the time zone it was replayed in.

examples:
  sitbreak report                      today so far
  sitbreak report yesterday --sessions
  sitbreak report --week               this week, a row a day, vs last week
  sitbreak report --month 2026-10-01   October 2026 (any date in it will do)
  sitbreak report --from 2026-01-01 --to 2026-12-31 --format csv -o 2026.csv
  sitbreak report --format html -o today.html
  sitbreak report --host laptop        the computer named laptop alone ([sync])

With a [sync] folder, the report is the person's day across every computer
writing there (--host all, the default), replayed from their input by the
same engine, with each computer's input time and prompts; --host NAME is one
of them (this computer's name: its own database, as without sync).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="daily, weekly or monthly summaries: sitting, sessions, breaks, prompts",
        description="Summarise a day (default today), a week, a month or any range of days\n"
        "from what sitbreak stored: time sitting, sessions, the longest one, breaks,\n"
        "prompts, a timeline, the trend and a tip.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("when", nargs="?", metavar="WHEN", help="today, yesterday or YYYY-MM-DD")
    span = p.add_mutually_exclusive_group()
    span.add_argument(
        "--week", nargs="?", const="", metavar="DATE", help="the week (Mon-Sun) of DATE"
    )
    span.add_argument(
        "--month", nargs="?", const="", metavar="DATE", help="the calendar month of DATE"
    )
    span.add_argument("--from", dest="first", metavar="DATE", help="first day of a range")
    p.add_argument("--to", dest="last", metavar="DATE", help="last day of a range (default today)")
    p.add_argument(
        "--format",
        "-f",
        default="text",
        choices=["text", "markdown", "json", "csv", "html"],
        help="output format (default text)",
    )
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE, not stdout")
    p.add_argument(
        "--source",
        default="daemon",
        metavar="SOURCE",
        help="'daemon' (the default: what the monitor saw), 'replay:NAME' (a recorded replay) "
        "or 'activitywatch:HOST' (from `sitbreak import activitywatch`)",
    )
    p.add_argument(
        "--sessions", action="store_true", help="list sessions too (CSV: one row per session)"
    )
    p.add_argument(
        "--host",
        metavar="NAME",
        help="with a [sync] folder: 'all' (the default: every computer) or one computer's name",
    )
    p.add_argument("--config", type=Path, help="config file to use instead of your own")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sitbreak.config import load_config
    from sitbreak.errors import SitbreakError
    from sitbreak.storage.store import DAEMON, Store, default_db_path

    if args.when is not None and args.first is not None:
        raise SitbreakError("give either WHEN or --from/--to, not both")
    if args.source != DAEMON and not args.source.startswith(("replay:", _aw_prefix())):
        raise SitbreakError(
            f"unknown source {args.source!r}: expected 'daemon', 'replay:NAME' "
            f"(for example replay:sample) or '{_aw_prefix()}HOST' (an import)"
        )
    config = load_config(args.config)
    _check_dates(args, config)
    merged = _merged(args, config)
    if merged is not None:
        return merged
    path = default_db_path()
    if not path.exists():
        # Store.open would create an empty database: a report must leave no trace.
        print(
            f"sitbreak: nothing to report yet: no database at {path}. Start the monitor with "
            "`sitbreak run` (or record a replay with `sitbreak replay --sample --record`).",
            file=sys.stderr,
        )
        return EXIT_NO_DATA
    # recover=False: the daemon may be running with its session open.
    with Store.open(path, recover=False) as store:
        return _report(args, config, store)


def _merged(args: argparse.Namespace, config: Config) -> int | None:
    """The report from the synced folder; None when it is this computer's own."""
    import tempfile

    from sitbreak.errors import SitbreakError
    from sitbreak.report import merged
    from sitbreak.storage import sync
    from sitbreak.storage.store import DAEMON, Store
    from sitbreak.timezones import resolve_tz

    folder = sync.folder_of(config)
    if folder is None:
        if args.host not in (None, "all"):
            raise SitbreakError(
                f"--host {args.host}: no [sync] folder is set, so there is only this computer"
            )
        return None
    me = config.sync_name.strip() or sync.default_name()
    if args.host == me or args.source != DAEMON:
        return None
    everyone = sync.read_folder(folder)
    hosts = everyone
    if args.host not in (None, "all"):
        # The name, the id, or the name as reports tell two of one name apart.
        hosts = [h for h in everyone if args.host in (h.name, h.id, merged.told_apart(h))]
        if not hosts:
            names = ", ".join(h.name for h in everyone) or "none yet"
            raise SitbreakError(
                f"--host {args.host!r}: no such computer in {folder} (the computers there: "
                f"{names}; this one is {me!r}, or 'all' for every one)"
            )
    if not hosts:
        print(
            f"sitbreak: nothing to report yet: no computer has written to {folder}. "
            "Start the monitor with `sitbreak run`, or report this one with "
            f"--host {me}.",
            file=sys.stderr,
        )
        return EXIT_NO_DATA
    tz = resolve_tz(config.timezone)
    result = merged.replay_hosts(hosts, config.engine, tz, time.time())
    with (
        tempfile.TemporaryDirectory(prefix="sitbreak-report-") as tmp,
        Store.open(Path(tmp) / "merged.db") as store,
    ):
        label = merged.source_label(hosts)
        store.record_replay(result, label)
        args.source = label
        return _report(args, config, store, tz=tz, hosts=hosts)


def _check_dates(args: argparse.Namespace, config: Config) -> None:
    """A bad date is bad input (exit 2) with or without a database to report from."""
    import datetime as dt

    from sitbreak.report import figures as report
    from sitbreak.timezones import resolve_tz

    today = dt.datetime.now(resolve_tz(config.timezone)).date()
    report.choose_period(
        args.when, week=args.week, month=args.month, first=args.first, last=args.last, today=today
    )


def _live_session() -> SessionEnded | None:
    """The running daemon's open session, up to its latest input, as `status` counts it.

    The store has it only up to the last checkpoint (a minute behind at most),
    so a report of today would lag behind `sitbreak status`. None when no
    daemon answers quickly: the report is then what is stored.
    """
    from sitbreak.core import Cause, SessionEnded
    from sitbreak.daemon import control
    from sitbreak.errors import SitbreakError

    try:
        answer = control.request("status", timeout=LIVE_TIMEOUT_S)
    except SitbreakError:
        return None
    session = answer.get("session") if answer.get("ok") else None
    if not isinstance(session, dict):
        return None
    start, seen = session.get("start"), session.get("last_seen")
    if not isinstance(start, int | float) or not isinstance(seen, int | float):
        return None
    # Cause: what an open session reads as when stored (see storage/queries.py, stored_cause).
    return SessionEnded(float(seen), float(start), max(float(start), float(seen)), Cause.SHUTDOWN)


def _report(
    args: argparse.Namespace,
    config: Config,
    store: Store,
    *,
    tz: dt.tzinfo | None = None,
    hosts: list[HostHistory] | None = None,
) -> int:
    import datetime as dt

    from sitbreak.report import figures as report
    from sitbreak.report import merged, render
    from sitbreak.storage.store import DAEMON

    tz = tz or _time_zone(config, store, args.source)
    if tz is None:
        from sitbreak.errors import SitbreakError

        known = store.replay_sources()
        listed = (
            "recorded replays: " + ", ".join(known)
            if known
            else "no replay is recorded yet; record one with `sitbreak replay TRACE --record`, "
            "or import ActivityWatch's history with `sitbreak import activitywatch`"
        )
        raise SitbreakError(
            f"unknown source {args.source!r}: it is 'daemon', a recorded replay (named "
            "'replay:' and the trace's name without .jsonl.gz) or an import "
            f"('activitywatch:HOST'); {listed}"
        )
    now = time.time()
    today = dt.datetime.fromtimestamp(now, tz).date()
    period = report.choose_period(
        args.when, week=args.week, month=args.month, first=args.first, last=args.last, today=today
    )
    # Timelines are drawn for a day (text, any format) and in HTML; a year's CSV needs none.
    detail = args.sessions or args.format == "html" or period.kind == "day"
    rep = report.gather(
        store,
        period,
        source=args.source,
        tz=tz,
        settings=config.engine,
        now=now,
        detail=detail,
        previous=args.format != "csv",
        week=args.format == "html",
        live=_live_session() if args.source == DAEMON else None,
    )
    out = sys.stdout if args.output is None else None
    color = out is not None and render.wants_color(out, dict(os.environ))
    if hosts is not None:
        rep.computers = merged.breakdown(hosts, rep.days, now, config.sync_keep, tz)
    else:
        rep.computer = _computer(config, args.source)
    text = render.render(rep, args.format, color=color, sessions=args.sessions)
    if out is not None:
        out.write(text)
        out.flush()
    else:
        _write_private(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    if args.source != DAEMON and not rep.totals().sessions:
        _say_which_days_it_has(store, args.source, tz)
    return 0


def _say_which_days_it_has(store: Store, source: str, tz: dt.tzinfo) -> None:
    """A replay or an import reported on a period it has nothing in ("Nothing
    recorded: sitbreak was not recording on this day", of a trace from last
    month): say on stderr which days it does have, and how to see one."""
    import datetime as dt

    first, last = store.source_totals(source)[4:]
    if first is None or last is None:
        return
    a = dt.datetime.fromtimestamp(first, tz).date()
    b = dt.datetime.fromtimestamp(last, tz).date()
    days = f"are on {a}" if a == b else f"run from {a} to {b}"
    print(
        f"sitbreak: {source} has nothing in this period; its sessions {days} "
        f"(`sitbreak report {a} --source {source}`)",
        file=sys.stderr,
    )


def _computer(config: Config, source: str) -> str:
    """Whose history a one-computer report is: this computer's, by the name it
    has in a [sync] folder (set or not, so its rows read the same either way),
    or an import's host; none for a replay, which is a trace, not a computer."""
    from sitbreak.storage.store import DAEMON
    from sitbreak.storage.sync import default_name

    if source == DAEMON:
        return config.sync_name.strip() or default_name()
    prefix = _aw_prefix()
    return source.removeprefix(prefix) if source.startswith(prefix) else ""


def _aw_prefix() -> str:
    """The source prefix of an ActivityWatch import, 'activitywatch:' (imported only
    when a report is not the daemon's own, to keep the usual report quick to start)."""
    from sitbreak.storage.activitywatch import SOURCE_PREFIX

    return SOURCE_PREFIX


def _write_private(path: Path, text: str) -> None:
    """A report is about the person: readable by them alone, like the rest of sitbreak."""
    from sitbreak.errors import SitbreakError

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise SitbreakError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc


def _time_zone(config: Config, store: Store, source: str) -> dt.tzinfo | None:
    """The daemon's days are cut in the configured zone; a replay's in the zone it was replayed in.

    None when `source` is a replay that was never recorded.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from sitbreak.storage.store import DAEMON
    from sitbreak.timezones import resolve_tz

    if source == DAEMON:
        return resolve_tz(config.timezone)
    saved = store.saved_days(source)
    if not saved:
        return None
    name = str(saved[0]["tz"])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return resolve_tz(config.timezone)  # "UTC+01:00" or "localtime": best effort
