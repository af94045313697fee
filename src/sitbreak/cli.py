"""The `sitbreak` command line: argument parsing and exit codes, nothing else.

Each subcommand is a module in `sitbreak.commands`, which registers its
parser and hands off to the module that does the work; every deliberate
error (`SitbreakError`) becomes a one-line message and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, cast

from sitbreak import __version__
from sitbreak.commands import register_all, register_for
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    """argparse, reading "-5m" as a (bad) value rather than an unknown option.

    argparse takes only "-5" or "-.5" for a negative number; "-5m" would be
    an unknown option, reported with the top-level usage ("unrecognized
    arguments") instead of the command's own message about its duration.
    No sitbreak option starts with a digit, so none is shadowed. Subcommand
    parsers are made of the same class.

    It also measures the terminal itself: argparse asks shutil, whose import
    loads bz2 and lzma, milliseconds of every `sitbreak status` that a status
    bar runs every few seconds (benchmarks/bench_startup.py).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def _get_formatter(self) -> argparse.HelpFormatter:
        make: Any = self.formatter_class  # every HelpFormatter takes `width`
        formatter: argparse.HelpFormatter = make(prog=self.prog, width=_terminal_width() - 2)
        return formatter


def _terminal_width() -> int:
    """What shutil.get_terminal_size() gives: $COLUMNS, the terminal, or 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given `argv`, only as much of it as `argv` needs (start-up time)."""
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
    if argv is None:
        register_all(sub)
    else:
        register_for(sub, list(argv))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
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
