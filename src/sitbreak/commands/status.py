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
    from sitbreak.errors import SitbreakError
    from sitbreak.exits import EXIT_USAGE

    seconds = getattr(args, "duration", None)
    as_json = getattr(args, "json", False)
    try:
        response = control.request(args.command, seconds=seconds)
    except SitbreakError as exc:
        if not as_json:
            raise
        # A program asked for JSON: give it JSON it can read, whatever happened.
        running = not isinstance(exc, control.DaemonNotRunning)
        print(json.dumps({"ok": False, "running": running, "error": str(exc)}))
        return EXIT_USAGE
    if not response.get("ok"):
        if as_json:
            print(json.dumps(response))
        print(f"sitbreak: {response.get('error', 'the daemon refused')}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(response))
    else:
        print(control.format_status(response))
    return 0


def _duration(text: str) -> float:
    """A command-line duration ("30m", "1h", "90s", "45"), checked like config values.

    Checked here, in the words of the command line, so that the daemon's
    protocol ('seconds' must be ...) never reaches the person.
    """
    from sitbreak.config import parse_duration
    from sitbreak.daemon.control import MAX_SECONDS

    days = round(MAX_SECONDS / 86400)
    expected = f'a duration over 0 and at most {days} days, such as "30m" or "2h"'
    try:
        seconds = parse_duration(text, "")
    except ConfigError:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
    if seconds <= 0 or seconds > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}")
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
        metavar="DURATION",
        help='how long, e.g. "30m" or "2h" (default: until resume)',
    )
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser("resume", help="prompts again after a pause")
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser("snooze", help="put off the next prompts (default 10 minutes)")
    p.add_argument(
        "duration",
        nargs="?",
        type=_duration,
        default=600.0,
        metavar="DURATION",
        help='e.g. "10m" (default)',
    )
    p.set_defaults(func=_cmd_control)
