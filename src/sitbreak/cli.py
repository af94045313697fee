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
from sitbreak.config import ACTIVITY_SOURCES, NOTIFY_BACKENDS
from sitbreak.errors import ConfigError, SitbreakError
from sitbreak.exits import EXIT_USAGE


def _cmd_replay(args: argparse.Namespace) -> int:
    from sitbreak.commands import replay

    return replay.run_cli(
        trace=args.trace,
        sample=args.sample,
        record=args.record,
        config_path=args.config,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from sitbreak.daemon import startup as service

    return service.run(
        args.config, log_level=args.log_level, source_pref=args.source, notify=args.notify
    )


def _cmd_control(args: argparse.Namespace) -> int:
    import json

    from sitbreak.daemon import control

    seconds = getattr(args, "duration", None)
    response = control.request(args.command, seconds=seconds)
    if not response.get("ok"):
        print(f"sitbreak: {response.get('error', 'the daemon refused')}", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(response))
    else:
        print(control.format_status(response))
    return 0


def _duration(text: str) -> float:
    """A command-line duration ("30m", "1h", "90s", "45"), checked like config values."""
    from sitbreak.config import parse_duration

    try:
        seconds = parse_duration(text, "duration")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("duration: expected more than 0 seconds")
    return seconds


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
    p.add_argument(
        "--record",
        action="store_true",
        help="also store the results in sitbreak's database (for reports), replacing an earlier "
        "recording of the same trace",
    )
    p.set_defaults(func=_cmd_replay)

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
        help='where activity comes from (default: [activity] source in the config, "auto")',
    )
    p.add_argument(
        "--notify",
        choices=list(NOTIFY_BACKENDS),
        help='how prompts are shown (default: [notify] backend in the config, "auto")',
    )
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("status", help="today so far, the current session and the next prompt")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser("pause", help="no prompts for a while (sitting is still measured)")
    p.add_argument(
        "duration",
        nargs="?",
        type=_duration,
        help='how long, e.g. "30m" or "2h" (default: until resume)',
    )
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser("resume", help="prompts again after a pause")
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser("snooze", help="put off the next prompts (default 10 minutes)")
    p.add_argument(
        "duration", nargs="?", type=_duration, default=600.0, help='e.g. "10m" (default)'
    )
    p.set_defaults(func=_cmd_control)

    p = sub.add_parser("config", help="check or show the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    c = csub.add_parser("check", help="validate a config file (default: your own)")
    c.add_argument("file", nargs="?", type=Path)
    c.set_defaults(func=_cmd_config_check)
    c = csub.add_parser("show", help="print the effective config and where each value came from")
    c.add_argument("--config", type=Path, help="config file to use instead of your own")
    c.set_defaults(func=_cmd_config_show)

    from sitbreak.commands import register_all

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
