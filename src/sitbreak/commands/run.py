"""`sitbreak run`: the monitor itself, in the foreground (what the user service runs).

The work is in `sitbreak.daemon.startup`, imported by the handler only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sitbreak.config import ACTIVITY_SOURCES, NOTIFY_BACKENDS


def _cmd_run(args: argparse.Namespace) -> int:
    from sitbreak.daemon import startup

    return startup.run(
        args.config, log_level=args.log_level, source_pref=args.source, notify=args.notify
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run the monitor in the foreground (what the user service runs)",
        description="Watch keyboard/mouse activity, screen lock, suspend and calls; infer "
        "sitting sessions and breaks; send prompts; store daily summaries.",
    )
    p.add_argument("--config", type=Path, help="config file to use instead of your own")
    p.add_argument(
        "--source",
        choices=list(ACTIVITY_SOURCES),
        metavar="SOURCE",
        help=f"where activity comes from: {', '.join(ACTIVITY_SOURCES)} (default: [activity] "
        'source in the config, "auto"; `sitbreak doctor` shows which work here)',
    )
    p.add_argument(
        "--notify",
        choices=list(NOTIFY_BACKENDS),
        metavar="BACKEND",
        help=f"how prompts are shown: {', '.join(NOTIFY_BACKENDS)} (default: [notify] backend "
        'in the config, "auto")',
    )
    p.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        metavar="LEVEL",
        help="the least a log line must be to be written: DEBUG, INFO (the default), WARNING "
        "or ERROR",
    )
    p.set_defaults(func=_cmd_run)
