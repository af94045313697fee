"""`sitbreak tune`: thresholds proposed from your own recorded weeks, with what-if figures.

Proposes `break_idle`, `move_after` (within the sitting guidance) and
`hold_after_idle` from the activity timeline (report/tune.py explains how),
each replayed against what happened. With `--write` it sets them in your
config file, keeping its comments and everything else, and tells the
running sitbreak to reload it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Exit status when nothing is recorded to tune from.
EXIT_NO_DATA = 1

_EPILOG = """\
examples:
  sitbreak tune             the last 4 weeks: proposals, and what each changes
  sitbreak tune --days 90   the last 90 days
  sitbreak tune --write     set the proposals in your config and reload sitbreak
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tune",
        help="propose break_idle, move_after and hold_after_idle from your recorded days",
        description="Read your recorded days and propose values for the thresholds that\n"
        "matter, each with what it would have changed, beside what happened.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--days",
        type=_days,
        default=28,
        metavar="N",
        help="how many days back to read, up to today (default 28)",
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="set the proposed values in your config file (comments kept) and reload sitbreak",
    )
    p.add_argument(
        "--config",
        type=Path,
        help="the config file to start from and write (default: your own)",
    )
    p.add_argument("--json", action="store_true", help="print the proposals as JSON")
    p.set_defaults(func=_run)


def _days(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, found {text!r}") from None
    if not 1 <= n <= 3650:
        raise argparse.ArgumentTypeError(f"expected 1 to 3650 days, found {n}")
    return n


def _run(args: argparse.Namespace) -> int:
    import datetime as dt
    import json
    import time

    from sitbreak import paths
    from sitbreak.config import format_duration, load_config, write_durations
    from sitbreak.report.tune import tune
    from sitbreak.storage.store import Store, default_db_path
    from sitbreak.storage.timeline import no_activity_on, nothing_recorded
    from sitbreak.timezones import resolve_tz

    config = load_config(args.config)
    tz = resolve_tz(config.timezone)
    today = dt.datetime.fromtimestamp(time.time(), tz).date()
    first = today - dt.timedelta(days=args.days - 1)
    db = default_db_path()
    if not db.exists():
        print(f"sitbreak: {nothing_recorded(db)}", file=sys.stderr)
        return EXIT_NO_DATA
    with Store.open(db, recover=False) as store:
        result = tune(store, first=first, last=today, tz=tz, settings=config.engine)
    if result.days_recorded == 0:
        print(f"sitbreak: {no_activity_on(first, today)}", file=sys.stderr)
        return EXIT_NO_DATA
    target = args.config or config.path or paths.user_config_path()
    changes = {
        (p.section, p.key): p.proposed
        for p in result.proposals
        if p.proposed != p.today and not p.learned
    }
    if args.json:
        print(json.dumps(_as_dict(result, target)))
    else:
        print(_format(result, target, written=args.write))
    if not args.write:
        return 0
    if not changes:
        print("nothing to write: every value stays as it is", file=sys.stderr)
        return 0
    write_durations(target, changes)
    shown = ", ".join(f'{key} = "{format_duration(v)}"' for (_s, key), v in changes.items())
    print(f"wrote {shown} into {target}", file=sys.stderr)
    from sitbreak.daemon.startup import reload_running_daemon

    pid = reload_running_daemon()
    if pid is None:
        print("sitbreak is not running: the values apply when it next starts", file=sys.stderr)
    else:
        print(f"told the running sitbreak (pid {pid}) to reload its config", file=sys.stderr)
    return 0


def _as_dict(result: object, target: Path) -> dict[str, object]:
    from sitbreak.report.tune import Tuning

    assert isinstance(result, Tuning)
    return {
        "first": result.first.isoformat(),
        "last": result.last.isoformat(),
        "days_recorded": result.days_recorded,
        "config": str(target),
        "recorded": result.recorded.total.as_dict(),
        "proposals": [
            {
                "key": f"{p.section}.{p.key}",
                "today_s": p.today,
                "proposed_s": p.proposed,
                "why": p.why,
                "whatif": None if p.whatif is None else p.whatif.total.as_dict(),
                "learned": p.learned,
            }
            for p in result.proposals
        ],
    }


def _format(result: object, target: Path, *, written: bool) -> str:
    from sitbreak.config import format_duration
    from sitbreak.report.tune import TOO_FEW_TO_JUDGE, Tuning
    from sitbreak.report.whatif import table

    assert isinstance(result, Tuning)
    zone = getattr(result.tz, "key", str(result.tz))
    days = result.days_recorded
    lines = [
        f"From your recorded days, {result.first} to {result.last} ({zone}): "
        f"{days} {'day' if days == 1 else 'days'} with activity",
    ]
    for p in result.proposals:
        lines.append("")
        today, proposed = format_duration(p.today), format_duration(p.proposed)
        if p.whatif is None:
            # "keep it" is advice; with too little recorded there is none to give yet.
            verdict = "too little recorded yet" if p.why.endswith(TOO_FEW_TO_JUDGE) else "keep it"
            lines.append(f'[{p.section}] {p.key} = "{today}": {verdict}')
            lines.append(f"  {p.why}")
            continue
        if p.learned:
            lines.append(f'[{p.section}] {p.key}: learned, now "{today}"; fixed, "{proposed}"')
        else:
            lines.append(f'[{p.section}] {p.key} = "{proposed}" (today "{today}")')
        lines.append(f"  {p.why}")
        lines += ["  " + line for line in table(result.recorded.total, p.whatif.total, proposed)]
    if any(p.whatif is not None for p in result.proposals) and not written:
        lines.append("")
        lines.append(f"`sitbreak tune --write` sets these in {target} and reloads sitbreak.")
    return "\n".join(lines)
