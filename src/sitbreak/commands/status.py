"""`sitbreak status|pause|resume|snooze`: ask the running monitor, or tell it.

They talk to `sitbreak run` over its control socket (`sitbreak.daemon.control`).
"""

from __future__ import annotations

import argparse
import sys

from sitbreak.errors import ConfigError


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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
