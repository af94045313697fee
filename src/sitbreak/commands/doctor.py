"""`sitbreak doctor [--json]`: what sitbreak can and cannot see here, and how to fix it.

The work is in `sitbreak.daemon.diagnose`, imported by the handler only, so that
`sitbreak --help` does not pay for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_doctor(args: argparse.Namespace) -> int:
    from sitbreak.daemon import diagnose as doctor

    return doctor.run_cli(args.config, as_json=args.json, out=sys.stdout)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "doctor",
        help="check what sitbreak can see on this desktop, and how to fix what it cannot",
        description="For this machine and session: the session type, every activity source "
        "(works or not, and why), which one `sitbreak run` would use, the lock, suspend, "
        "call and video signals, the notification server, the config file, where the data "
        "lives and the user service, each problem with the command that fixes it. Exits 0 "
        "when `sitbreak run` could work here, 2 if the config is invalid, 3 if no activity "
        "source works.",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--config", type=Path, help="config file to use instead of your own")
    p.set_defaults(func=_cmd_doctor)
