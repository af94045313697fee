"""`sitbreak trace export`: your own recorded days as an activity trace.

The timeline the daemon keeps (storage/timeline.py), written in the trace
format (docs/trace-format.md) that `sitbreak replay TRACE` and any tool that
reads traces take as it is: times and kinds of events only, never a key, a
position, a window or a word typed. Gzip-compressed when the file name ends
in ``.gz``; to standard output without ``-o``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Exit status when nothing is recorded to export.
EXIT_NO_DATA = 1

_EPILOG = """\
DATE is 'today', 'yesterday' or YYYY-MM-DD, in the time zone of your config
([general] timezone) or the machine's. Without --from, the export starts at
the first recorded day; without --to it ends today.

examples:
  sitbreak trace export --from yesterday --to yesterday -o yesterday.jsonl.gz
  sitbreak trace export -o everything.jsonl.gz
  sitbreak replay yesterday.jsonl.gz --config try.toml
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "trace",
        help="export your recorded days as an activity trace (times and kinds of events only)",
        description="Work with the activity timeline sitbreak keeps of your days.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    e = actions.add_parser(
        "export",
        help="write the recorded days as a trace (.jsonl, or .jsonl.gz)",
        description="Write the recorded timeline of your days as an activity trace that\n"
        "`sitbreak replay` reads: when input came, locks, suspends, calls, videos,\n"
        "pauses and snoozes; times and kinds only.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("--from", dest="first", metavar="DATE", help="first day (default: the first)")
    e.add_argument("--to", dest="last", metavar="DATE", help="last day (default: today)")
    e.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE, not stdout")
    e.add_argument("--config", type=Path, help="config file to use instead of your own")
    e.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    import datetime as dt
    import time

    from sitbreak.config import load_config
    from sitbreak.errors import SitbreakError, StorageError
    from sitbreak.report.figures import parse_date
    from sitbreak.storage.store import Store, default_db_path, tz_label
    from sitbreak.storage.timeline import (
        day_bounds_ms,
        events_from_rows,
        nothing_recorded,
        replay_step_ms,
    )
    from sitbreak.storage.trace import trace_lines, write_trace
    from sitbreak.timezones import resolve_tz

    config = load_config(args.config)
    tz = resolve_tz(config.timezone)
    path = default_db_path()
    if not path.exists():
        print(f"sitbreak: {nothing_recorded(path)}", file=sys.stderr)
        return EXIT_NO_DATA
    today = dt.datetime.fromtimestamp(time.time(), tz).date()
    with Store.open(path, recover=False) as store:
        extent = store.timeline_extent()
        if extent is None:
            print("sitbreak: no activity timeline recorded yet", file=sys.stderr)
            return EXIT_NO_DATA
        first_recorded = dt.datetime.fromtimestamp(extent[0] / 1000, tz).date()
        first = parse_date(args.first, today) if args.first else first_recorded
        last = parse_date(args.last, today) if args.last else today
        if last < first:
            start = f"--from {first}" if args.first else f"the first recorded day ({first})"
            end = f"--to {last}" if args.last else f"today ({last})"
            raise SitbreakError(f"{start} is after {end}: there are no days to export")
        lo, hi = day_bounds_ms(first, last, tz)
        rows = store.timeline_rows(lo, hi)
    events = events_from_rows(rows, replay_step_ms(config.engine))
    zone = _iana(tz_label(tz))
    if args.output is None:
        sys.stdout.writelines(trace_lines(events, zone))
        return 0
    try:
        write_trace(args.output, events, zone)
    except StorageError as exc:
        raise SitbreakError(str(exc)) from exc
    days = (last - first).days + 1
    span = f"{first}" if days == 1 else f"{first} to {last}"
    print(
        f"wrote {args.output}: {days} {'day' if days == 1 else 'days'} "
        f"({span}, {zone or 'the local time zone'})",
        file=sys.stderr,
    )
    return 0


def _iana(name: str) -> str | None:
    """`name` if a trace header may carry it (an IANA zone), else None: the reader's local zone."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None
    return name
