"""The `sitbreak` command line: argument parsing and exit codes, nothing else.

Each subcommand is a module in `sitbreak.commands`, which registers its
parser and hands off to the module that does the work; every deliberate
error (`SitbreakError`) becomes a one-line message and exit status 2, never a
traceback.

Status bars run `sitbreak status` every few seconds, so its start-up is paid
all day (under 35 ms: benchmarks/bench_startup.py, BENCHMARKS.md). A plain
run of it (`status [--json] [--format F] [--follow]`) is read by the command
itself (`sitbreak.commands.quick_args`) without building argparse's parser;
anything else (help, a typo, a bad value) goes to argparse, which says what
is wrong in its usual words.
"""

from __future__ import annotations

import sys

from sitbreak import __version__
from sitbreak.commands import quick_args, register_all, register_for
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_USAGE

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import SimpleNamespace


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given `argv`, only as much of it as `argv` needs (start-up time)."""
    from typing import cast

    from sitbreak.argparsing import Parser

    parser = Parser(
        prog="sitbreak",
        description="A webcam-free sitting-time and posture-break monitor.",
    )
    parser.add_argument("--version", action="version", version=f"sitbreak {__version__}")
    # The subcommands' parsers are Parsers too; the commands need only ArgumentParser.
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
    args: argparse.Namespace | SimpleNamespace | None = quick_args(argv)
    if args is None:
        args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"sitbreak: config error: {exc}", file=sys.stderr)
        if getattr(args, "command", None) != "config":
            print(
                "sitbreak: fix what is named above and run the command again"
                " (`sitbreak config check FILE` lists every problem in a config file)",
                file=sys.stderr,
            )
        return EXIT_USAGE
    except SitbreakError as exc:
        print(f"sitbreak: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `sitbreak replay ... | head` closed the pipe: not an error worth a traceback.
        return 0
