"""The `sitbreak` command line: argument parsing and exit codes, nothing else.

Each subcommand is a module in `sitbreak.commands`, which registers its
parser and hands off to the module that does the work; every deliberate
error (`SitbreakError`) becomes a one-line message and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, cast

from sitbreak import __version__
from sitbreak.commands import register_all
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    """argparse, reading "-5m" as a (bad) value rather than an unknown option.

    argparse takes only "-5" or "-.5" for a negative number; "-5m" would be
    an unknown option, reported with the top-level usage ("unrecognized
    arguments") instead of the command's own message about its duration.
    No sitbreak option starts with a digit, so none is shadowed. Subcommand
    parsers are made of the same class.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sitbreak",
        description="A webcam-free sitting-time and posture-break monitor.",
    )
    parser.add_argument("--version", action="version", version=f"sitbreak {__version__}")
    # The subcommands' parsers are _Parsers too; the commands need only ArgumentParser.
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND"),
    )
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
