"""The `sitbreak` command line: argument parsing and exit codes, nothing else.

Each subcommand hands off to the module that does the work; every deliberate
error (`SitbreakError`) becomes a one-line message and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sitbreak import __version__
from sitbreak.errors import ConfigError, SitbreakError

#: Exit status for bad input (config, trace, arguments), distinct from crashes.
EXIT_USAGE = 2


def _cmd_replay(args: argparse.Namespace) -> int:
    from sitbreak import replay

    return replay.run_cli(
        trace=args.trace,
        sample=args.sample,
        config_path=args.config,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
    )


def _cmd_config_check(args: argparse.Namespace) -> int:
    from sitbreak import config

    return config.cli_check(args.file, out=sys.stdout)


def _cmd_config_show(args: argparse.Namespace) -> int:
    from sitbreak import config

    return config.cli_show(args.config, out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitbreak",
        description="A webcam-free sitting-time and posture-break monitor.",
    )
    parser.add_argument("--version", action="version", version=f"sitbreak {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "replay",
        help="run the engine over a recorded activity trace and report what it inferred",
        description="Run the sitting-session engine over an activity trace (JSON Lines, "
        "optionally .gz) and report sessions, breaks, prompts and daily figures.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("trace", nargs="?", type=Path, help="the trace file (.jsonl or .jsonl.gz)")
    src.add_argument(
        "--sample", action="store_true", help="replay the sample trace shipped with sitbreak"
    )
    p.add_argument("--config", type=Path, help="config file to use instead of your own")
    p.add_argument("--json", action="store_true", help="print the replay report as JSON")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser("config", help="check or show the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    c = csub.add_parser("check", help="validate a config file (default: your own)")
    c.add_argument("file", nargs="?", type=Path)
    c.set_defaults(func=_cmd_config_check)
    c = csub.add_parser("show", help="print the effective config and where each value came from")
    c.add_argument("--config", type=Path, help="config file to use instead of your own")
    c.set_defaults(func=_cmd_config_show)
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
