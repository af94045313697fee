"""`sitbreak status|pause|resume|snooze`: ask the running monitor, or tell it.

They talk to `sitbreak run` over the session bus where it is there, and its
control socket otherwise (`sitbreak.daemon.client`). `status --format` prints
what a status bar reads; `--follow` prints a line on every change, driven by
the D-Bus API's signals (`sitbreak.desktop.dbus_api.follow`).

Kept cheap to import: `sitbreak status`, run by bars every few seconds,
imports nothing it does not use (benchmarks/bench_startup.py), and reads its
plain runs itself (`quick_args`) rather than through argparse.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    import argparse
    from typing import Any

#: Mirrors sitbreak.daemon.statusbar.FORMATS (a test keeps them equal), so that
#: building the parser imports nothing.
BAR_FORMATS = ("waybar", "i3blocks", "i3status-rs", "polybar")


#: `status`'s options that take no value, and the attribute each sets.
_STATUS_FLAGS = {"--json": "json", "--follow": "follow"}


def quick_args(argv: list[str]) -> SimpleNamespace | None:
    """`status`'s arguments as argparse would read them (`register`), for the runs a
    status bar makes: only the options spelt out in full, each value one of the
    choices. None for anything else (help, an abbreviation, a bad or missing
    value, another command), which argparse then reads and answers as always."""
    if argv[:1] != ["status"]:
        return None
    args = SimpleNamespace(command="status", json=False, format="text", follow=False)
    rest = iter(argv[1:])
    for arg in rest:
        name, is_pair, value = arg.partition("=")
        if arg in _STATUS_FLAGS:
            setattr(args, _STATUS_FLAGS[arg], True)
        elif name == "--format":
            chosen = value if is_pair else next(rest, None)
            if chosen not in ("text", *BAR_FORMATS):
                return None
            args.format = chosen
        else:
            return None
    args.func = _cmd_control
    return args


def _cmd_control(args: argparse.Namespace | SimpleNamespace) -> int:
    import json

    from sitbreak.daemon import client
    from sitbreak.errors import SitbreakError
    from sitbreak.exits import EXIT_USAGE

    fmt = getattr(args, "format", None) or "text"
    as_json = getattr(args, "json", False)
    if getattr(args, "follow", False):
        return _follow(fmt, bool(as_json))
    seconds = getattr(args, "duration", None)
    before: dict[str, Any] | None = None
    try:
        if args.command == "resume":  # to say what it ended: the pause, the snooze, or nothing
            before = client.ask("status")
        response: dict[str, Any] | None = client.ask(args.command, seconds=seconds)
    except SitbreakError as exc:
        # The control module raised it, so importing it here costs nothing; a
        # bar's answer over the bus does without it.
        from sitbreak.daemon.control import DaemonNotRunning

        off = isinstance(exc, DaemonNotRunning)
        if not as_json and (fmt == "text" or not off):
            raise
        if as_json:  # a program asked for JSON: give it JSON it can read
            print(json.dumps({"ok": False, "running": not off, "error": str(exc)}))
            return EXIT_USAGE
        response = None  # a bar shows "not running" rather than losing its module
    if response is not None and not response.get("ok"):
        if as_json:
            print(json.dumps(response))
        print(f"sitbreak: {response.get('error', 'the daemon refused')}", file=sys.stderr)
        return 1
    if fmt != "text":
        print(_bar(fmt, response))
    elif as_json:
        print(json.dumps(response))
    else:
        from sitbreak.daemon.control import format_status, resumed_sentence

        assert response is not None
        if before is not None and before.get("ok"):
            print(resumed_sentence(before))
        print(format_status(response))
    return 0


def _bar(fmt: str, status: dict[str, Any] | None, one_line: bool = False) -> str:
    import time

    from sitbreak.daemon import statusbar
    from sitbreak.daemon.statusbar import daemon_zone
    from sitbreak.timezones import resolve_tz

    # The bar tells times as the monitor does ([general] timezone), not the machine's.
    tz = resolve_tz(None) if status is None else daemon_zone(status)
    return statusbar.render(fmt, status, now=time.time(), tz=tz, one_line=one_line)


def _follow(fmt: str, as_json: bool) -> int:
    import json

    from sitbreak.daemon import control
    from sitbreak.desktop.dbus_client import NotOnBus, follow
    from sitbreak.errors import SitbreakError

    try:
        changes = follow()
        last = None
        for status in changes:
            if fmt != "text":
                line = _bar(fmt, status, one_line=True)
            elif as_json:
                line = json.dumps(status if status is not None else {"ok": False, "running": False})
            elif status is None:
                line = "sitbreak is not running."
            else:
                line = control.format_status(status).replace("\n", " ")
            if line != last:
                print(line, flush=True)
                last = line
    except NotOnBus as exc:
        raise SitbreakError(f"status --follow listens on the session bus: {exc}") from None
    except (OSError, EOFError) as exc:
        raise SitbreakError(f"status --follow lost the session bus ({exc})") from None
    except KeyboardInterrupt:
        return 0
    return 0


def _duration(text: str) -> float:
    """A command-line duration ("30m", "1h", "90s"), checked like config values.

    Checked here, in the words of the command line, so that the daemon's
    protocol ('seconds' must be ...) never reaches the person. A bare number
    is refused: `sitbreak pause 1` meant an hour or a minute, never a second.
    """
    import argparse

    from sitbreak.config import parse_duration
    from sitbreak.daemon.control import MAX_SECONDS
    from sitbreak.errors import ConfigError

    days = round(MAX_SECONDS / 86400)
    expected = f'a duration over 0 and at most {days} days, such as "30m" or "2h"'
    bare = text.strip()
    if bare.replace(".", "", 1).isdigit():
        # Suggest only the units that make an allowed duration: "0m" or "500h" would
        # be refused in turn.
        units = [
            f'"{bare}{unit}" for {word}'
            for unit, word, size in (
                ("m", "minutes", 60),
                ("h", "hours", 3600),
                ("s", "seconds", 1),
            )
            if 0 < float(bare) * size <= MAX_SECONDS
        ]
        if units:
            choices = units[0] if len(units) == 1 else ", ".join(units[:-1]) + " or " + units[-1]
            raise argparse.ArgumentTypeError(f"{text!r} has no unit: write {choices}")
    try:
        seconds = parse_duration(text, "")
    except ConfigError:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
    if seconds <= 0 or seconds > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}")
    return seconds


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "status",
        help="today so far, the current session and the next prompt",
        description="What the running monitor sees: the session in progress, the next "
        "prompt and why, and today so far (time sitting, sessions, breaks, prompts). "
        'Exits 2 when the monitor is not running; a status bar --format then shows "off".',
    )
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.add_argument(
        "--format",
        choices=("text", *BAR_FORMATS),
        default="text",
        help="print what a status bar reads (docs/status-bars.md in the source)",
    )
    p.add_argument(
        "--follow",
        action="store_true",
        help="print a line on every change (needs the session bus)",
    )
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser(
        "pause",
        help="no prompts for a while (sitting is still measured)",
        description="Hold every prompt until DURATION has passed, or until `sitbreak resume`."
        " Sitting, breaks and today's figures are still recorded.",
    )
    p.add_argument(
        "duration",
        nargs="?",
        type=_duration,
        metavar="DURATION",
        help='how long, e.g. "30m" or "2h" (default: until resume)',
    )
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser(
        "resume",
        help="prompts again after a pause or a snooze",
        description="End a pause, a snooze, or both: prompts come again when they fall due,"
        " and one they held comes now. Says which it ended, or that there was nothing to end.",
    )
    p.set_defaults(func=_cmd_control)
    p = sub.add_parser(
        "snooze",
        help="no prompts for a while in this session (default 10 minutes); "
        "a new snooze replaces the last",
        description="Hold the prompts of this sitting for DURATION (10 minutes if left out)."
        " A new snooze replaces the last; a break ends it.",
    )
    p.add_argument(
        "duration",
        nargs="?",
        type=_duration,
        default=600.0,
        metavar="DURATION",
        help='how long, e.g. "10m" (the default) or "1h"',
    )
    p.set_defaults(func=_cmd_control)
