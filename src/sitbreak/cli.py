"""The `sitbreak` command line: argument parsing and exit codes, nothing else.

Each subcommand is a module in `sitbreak.commands`, which registers its
parser and hands off to the module that does the work; every deliberate
error (`SitbreakError`) becomes a one-line message and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sitbreak import __version__
from sitbreak.commands import register_all
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitbreak",
        description="A webcam-free sitting-time and posture-break monitor.",
    )
    parser.add_argument("--version", action="version", version=f"sitbreak {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register_all(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"sitbreak: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SitbreakError as exc:
        print(f"sitbreak: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `sitbreak replay ... | head` closed the pipe: not an error worth a traceback.
        return 0
