"""`sitbreak import activitywatch`: months of ActivityWatch AFK history as sitbreak sessions.

Reads the `aw-watcher-afk_HOST` buckets from a running server (`--server`),
an export file or a server's database file, runs sitbreak's own engine over
their "not-afk" spans and stores sessions, breaks and prompts as source
`activitywatch:HOST`, for `sitbreak report --source activitywatch:HOST`.
Running it again reads only what is new, and changes nothing when nothing is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sitbreak.storage.activitywatch import AfkBucket, ImportSummary

    Reader = Callable[[Mapping[str, float]], list[AfkBucket]]

DEFAULT_SERVER = "http://localhost:5600"

_EPILOG = """\
Give one of: --server (a running aw-server or aw-server-rust), an export file
(Settings > Export all buckets as JSON in ActivityWatch's web UI, or GET
/api/0/export), or the server's database file (read-only; for example
~/.local/share/activitywatch/aw-server-rust/sqlite.db or
~/.local/share/activitywatch/aw-server/peewee-sqlite.v2.db).

Sessions and breaks are decided by sitbreak's own rules ([session] in your
config), not by ActivityWatch's 3-minute AFK timeout, and days are cut in
your config's time zone.

examples:
  sitbreak import activitywatch --server
  sitbreak import activitywatch aw-buckets-export.json
  sitbreak report --week --source activitywatch:HOST
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "import",
        help="import history from another tool (ActivityWatch)",
        description="Import activity history from another tool into sitbreak's database.",
    )
    isub = p.add_subparsers(dest="import_from", metavar="TOOL")
    isub.required = True
    a = isub.add_parser(
        "activitywatch",
        help="ActivityWatch's AFK watcher history, from its server, an export or its database",
        description="Import ActivityWatch's AFK history (aw-watcher-afk_HOST buckets) as\n"
        "sessions, breaks and prompts under source activitywatch:HOST.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="an export file (JSON) or a server database file (SQLite)",
    )
    where.add_argument(
        "--server",
        nargs="?",
        const=DEFAULT_SERVER,
        metavar="URL",
        help=f"a running server's address (default {DEFAULT_SERVER})",
    )
    a.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="HOST",
        help="import only this machine's bucket (may be given more than once)",
    )
    a.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up on a server that has not answered a request in this time (default 10)",
    )
    a.add_argument(
        "--full",
        action="store_true",
        help="read and replay everything again, replacing the earlier import (after changing "
        "[session] or [prompts] settings)",
    )
    a.add_argument("--config", type=Path, help="config file to use instead of your own")
    a.set_defaults(func=_cmd_activitywatch)


def _cmd_activitywatch(args: argparse.Namespace) -> int:
    return run_activitywatch(
        file=args.file,
        server=args.server,
        hosts=args.host,
        timeout_s=args.timeout,
        config_path=args.config,
        out=sys.stdout,
        full=args.full,
    )


def _reader(file: Path | None, server: str | None, timeout_s: float) -> Reader:
    """How to read the buckets: from the server, a database file or an export file."""
    from sitbreak.storage import activitywatch as aw

    if server is not None:
        return lambda since: aw.read_server(server, since, timeout_s)
    assert file is not None
    try:
        with file.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise aw.ActivityWatchError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    if head.startswith(b"SQLite format 3\0"):
        return lambda since: aw.read_database(file, since)

    def read_file(since: Mapping[str, float]) -> list[AfkBucket]:
        return aw.read_export(file)

    return read_file


def run_activitywatch(
    *,
    file: Path | None,
    server: str | None,
    hosts: list[str],
    timeout_s: float,
    config_path: Path | None,
    out: TextIO,
    full: bool = False,
) -> int:
    from sitbreak.config import load_config
    from sitbreak.errors import SitbreakError
    from sitbreak.storage import activitywatch as aw
    from sitbreak.storage.store import Store
    from sitbreak.timezones import resolve_tz

    if not timeout_s > 0:
        raise SitbreakError(f"--timeout {timeout_s:g}: expected a number of seconds above 0")
    config = load_config(config_path)
    tz = resolve_tz(config.timezone)
    read = _reader(file, server, timeout_s)
    # recover=False: a daemon may be running with its session open.
    with Store.open(recover=False) as store:
        summaries = aw.import_buckets(store, read, config.engine, tz, hosts=hosts, full=full)
        path = store.path
    origin = server if server is not None else str(file)
    if not summaries:
        wanted = f" for {', '.join(hosts)}" if hosts else ""
        raise aw.ActivityWatchError(
            f"{origin}: no AFK buckets{wanted} (expected aw-watcher-afk_HOST buckets of type "
            f"{aw.AFK_TYPE}: is aw-watcher-afk running?)"
        )
    for s in summaries:
        out.write(describe(s, tz) + "\n")
    out.write(f"stored in {path}\n")
    return 0


def describe(s: ImportSummary, tz: dt.tzinfo) -> str:
    """What an import did for one bucket, in words."""
    from sitbreak.text import count, duration

    read = f"{s.bucket}: read {count(s.events, 'event')}"
    fixes = []
    if s.duplicates:
        fixes.append(f"{count(s.duplicates, 'exact duplicate')} dropped")
    if s.merged:
        fixes.append(f"{count(s.merged, 'overlapping event')} merged")
    if fixes:
        read += " (" + ", ".join(fixes) + ")"
    if not s.changed:
        read += "; nothing new since the last import, nothing changed"
    else:
        read += f"; {count(s.new, 'new event')} since the last import"
    lines = [read]
    if s.sessions and s.first is not None and s.last is not None:
        d0 = dt.datetime.fromtimestamp(s.first, tz).date()
        d1 = dt.datetime.fromtimestamp(s.last, tz).date()
        lines.append(
            f"  {s.source}: {count(s.sessions, 'session')}, {count(s.breaks, 'break')}, "
            f"{count(s.prompts, 'prompt')}; {duration(s.sitting_s)} sitting from {d0} to {d1}"
        )
        lines.append(f"  see it with: sitbreak report --source {s.source} --week {d1}")
    else:
        lines.append(f"  {s.source}: no sitting found (no not-afk spans)")
    return "\n".join(lines)
