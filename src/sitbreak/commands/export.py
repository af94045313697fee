"""`sitbreak export activitywatch -o FILE`: sessions and breaks as an ActivityWatch import file.

The file is what ActivityWatch's own export writes (`{"buckets": {ID: {...,
"events": [...]}}}`), with one bucket, `sitbreak_HOST` of type
`sitbreak.sitting`: the same events the daemon posts with `[activitywatch]
server`. Import it in ActivityWatch's web UI (Settings > Import) or with
`curl -F file=@FILE http://localhost:5600/api/0/import`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="write sitbreak's sessions and breaks for another tool (ActivityWatch)",
        description="Write what sitbreak stored in a form another tool imports.",
    )
    esub = p.add_subparsers(dest="export_to", metavar="TOOL")
    esub.required = True
    a = esub.add_parser(
        "activitywatch",
        help="an import file for ActivityWatch: a bucket sitbreak_HOST of sessions and breaks",
        description="Write sitbreak's sessions and breaks as a file ActivityWatch's import "
        "accepts (its web UI: Settings > Import; or POST /api/0/import).",
    )
    a.add_argument(
        "--output", "-o", type=Path, required=True, metavar="FILE", help="the file to write"
    )
    a.add_argument(
        "--source",
        default="daemon",
        metavar="SOURCE",
        help="what to export: 'daemon' (the default), 'replay:NAME' or 'activitywatch:HOST'",
    )
    a.add_argument(
        "--host",
        metavar="HOST",
        help="the host name in the bucket's name (default: this machine's)",
    )
    a.set_defaults(func=_cmd_activitywatch)


def _cmd_activitywatch(args: argparse.Namespace) -> int:
    import json
    import os
    import socket

    from sitbreak.errors import SitbreakError
    from sitbreak.storage.activitywatch import export_document
    from sitbreak.storage.store import Store, default_db_path
    from sitbreak.text import count

    path = default_db_path()
    if not path.exists():
        print(f"sitbreak: nothing to export yet: no database at {path}", file=sys.stderr)
        return 1
    host = args.host or socket.gethostname()
    # recover=False: the daemon may be running with its session open.
    with Store.open(path, recover=False) as store:
        sessions = store.sessions_between(0.0, float("inf"), args.source)
        breaks = store.breaks_between(0.0, float("inf"), args.source)
        others = [s for s in store.replay_sources() if s != args.source]
    if not sessions:
        # Name what there is to export instead (a new user's first replay --record).
        listed = f"; stored: {', '.join(others)} (--source NAME)" if others else ""
        print(f"sitbreak: no sessions stored under source {args.source!r}{listed}", file=sys.stderr)
        return 1
    doc = export_document(host, sessions, breaks, created=sessions[0].start)
    try:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.write("\n")
    except OSError as exc:
        raise SitbreakError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    print(
        f"wrote {args.output}: {count(len(sessions), 'session')} and {count(len(breaks), 'break')} "
        f"as bucket sitbreak_{host}",
        file=sys.stderr,
    )
    return 0
