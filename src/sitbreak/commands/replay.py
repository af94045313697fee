"""`sitbreak replay`: run the daemon's engine over a recorded activity trace.

The same `Engine` the daemon drives, fed from a file instead of a desk, so
inference can be tested, benchmarked and judged without a display or a person.
With `--days` or `--week` it replays the person's own recorded days (the
activity timeline) under another config, beside what really happened.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from importlib import resources
from pathlib import Path
from typing import TextIO

from sitbreak.core.model import Cause, PromptKind
from sitbreak.core.pauses import break_rule
from sitbreak.core.run import ReplayResult, replay_events
from sitbreak.errors import StorageError, TraceError
from sitbreak.text import breaks_sentence, count, duration


def report_dict(result: ReplayResult) -> dict[str, object]:
    """The replay report, as docs/trace-format.md describes it (extra fields allowed)."""
    return {
        "sessions": [
            {"start": s.start, "end": s.end, "cause": s.cause.value}
            for s in result.sessions
            if s.end > s.start
        ],
        "breaks": [{"start": b.start, "end": b.end, "cause": b.cause.value} for b in result.breaks],
        "prompts": [
            {"t": p.t, "kind": p.kind.value, "level": p.level, "seated_s": round(p.seated_s, 1)}
            for p in result.prompts
        ],
        "days": [d.as_dict() for d in result.days],
        "events": result.events,
        # Extra: the break threshold at the end of the trace, and where it came from.
        "breaks_after": break_rule(result.pauses, result.break_idle),
    }


def format_table(result: ReplayResult, limit_s: float, heeded_within_s: float = 600.0) -> str:
    """The replay for people; `limit_s` is the move_after the sessions were judged by,
    `heeded_within_s` how soon after a move prompt getting up counts as heeding it."""
    over = f"over {duration(limit_s)}"
    w = max(8, len(over))
    lines = [
        f"{'day':<14} {'sitting':>11} {'sessions':>8} {'longest':>11} {over:>{w}} "
        f"{'breaks':>6} {'prompts':>7} {'heeded':>6}",
    ]
    for d in result.days:
        lines.append(
            f"{d.date.strftime('%a %Y-%m-%d'):<14} {duration(d.sitting_s):>11} {d.sessions:>8} "
            f"{duration(d.longest_session_s):>11} {d.sessions_over_limit:>{w}} {d.breaks:>6} "
            f"{d.prompts:>7} {d.prompts_heeded:>6}"
        )
    if not result.days:
        lines.append("(no sitting found in this trace)")
    else:  # "heeded" is of the movement reminders alone, not of every prompt: say so
        moves = sum(d.prompts_by_kind.get("move", 0) for d in result.days)
        lines.append(
            f"heeded: got up within {duration(heeded_within_s)} of a movement reminder; "
            f"{moves} of the {count(len(result.prompts), 'prompt')} were movement reminders"
        )
    tz = result.tz
    lines.append("")
    lines.append(
        f"{count(result.events, 'event')}, {count(len(result.sessions), 'session')}, "
        f"{count(len(result.breaks), 'break')}, {count(len(result.prompts), 'prompt')}"
    )
    lines.append(breaks_sentence(break_rule(result.pauses, result.break_idle)))
    if result.sessions:
        lines.append("")
        lines.append(f"sessions ({zone_name(tz)} time):")
        day = None
        last = result.sessions[-1]
        carried = False
        for s in result.sessions:
            start = dt.datetime.fromtimestamp(s.start, tz)
            end = dt.datetime.fromtimestamp(s.end, tz)
            if start.date() != day:
                day = start.date()
                lines.append(f"  {day.strftime('%a %Y-%m-%d')}")
            kinds = [p for p in result.prompts if s.start <= p.t <= s.end + 60]
            # A movement prompt well before move_after: the engine was not sure the
            # break before was one, so the movement clock ran on (engine: carry).
            early = [p.kind is PromptKind.MOVE and p.seated_s < limit_s - 60 for p in kinds]
            carried = carried or any(early)
            marks = " ".join(
                f"{p.kind.value}@{duration(p.seated_s)}{'*' if e else ''}"
                for p, e in zip(kinds, early, strict=True)
            )
            length = duration(s.end - s.start)
            # The engine ends what is open when the events do: a stop, or just the trace's end.
            ended = (
                "ended with the trace"
                if s is last and s.cause is Cause.SHUTDOWN
                else f"ended by {s.cause.value}"
            )
            lines.append(
                f"    {start:%H:%M}-{end:%H:%M}  {length:>11}  {ended:<20} {marks}".rstrip()
            )
        if carried:
            lines.append(
                f"  * sooner than {duration(limit_s)} into the session: the break before it "
                "was too short to be sure of, so the movement clock ran on from the session "
                "before"
            )
    return "\n".join(lines)


def zone_name(tz: dt.tzinfo) -> str:
    """The zone the replay's days are cut and its times shown in: 'Europe/Berlin'."""
    from sitbreak.storage.store import tz_label

    return tz_label(tz)


def source_name(path: Path) -> str:
    """The report source a recorded trace goes under: 'replay:' and the trace's stem.

    `day1.jsonl.gz` is 'replay:day1', as `sitbreak report --source replay:day1`
    expects; the shipped sample is 'replay:sample'.
    """
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return f"replay:{name}"


def sample_trace_path() -> Path:
    return Path(str(resources.files("sitbreak") / "data" / "sample.jsonl.gz"))


def run_cli(
    *,
    trace: Path | None,
    sample: bool,
    record: bool = False,
    config_path: Path | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    from sitbreak.config import load_config
    from sitbreak.storage.trace import open_trace
    from sitbreak.timezones import resolve_tz

    config = load_config(config_path)
    path = sample_trace_path() if sample else trace
    if path is None:  # argparse makes one of the two required
        raise TraceError("give a trace file or --sample")

    def warn(message: str) -> None:
        print(f"sitbreak: warning: {message}", file=err)

    with open_trace(path, warn=warn) as tr:
        tz = resolve_tz(tr.header.tz or config.timezone)
        result = replay_events(tr, config.engine, tz)
    if not result.events:  # an empty file, or a header alone: most likely not what was meant
        warn(f"{path}: the trace has no events (input, lock, sleep, ...) to replay")
    if record:
        from sitbreak.storage.store import Store

        # recover=False: a daemon may be running with its session open; a
        # replay must not close that session as crashed.
        store = Store.open(recover=False)
        try:
            source = source_name(path)
            store.record_replay(result, source)
            if not store.flush():
                raise StorageError(f"could not record the replay in {store.path}")
        finally:
            store.close()
        print(
            f"recorded {count(len(result.sessions), 'session')} as {source!r} in {store.path}",
            file=err,
        )
    if as_json:
        json.dump(report_dict(result), out)
        out.write("\n")
    else:
        engine = config.engine
        out.write(format_table(result, engine.move_after, engine.heeded_within) + "\n")
    return 0


#: Exit status when there are no recorded days to replay.
EXIT_NO_DATA = 1


def _cmd_replay(args: argparse.Namespace) -> int:
    if args.days is not None or args.week is not None:
        if args.record:
            from sitbreak.errors import SitbreakError

            raise SitbreakError("--record is for a trace file; your recorded days are stored")
        return run_days(
            days=args.days,
            week=args.week,
            config_path=args.config,
            as_json=args.json,
            out=sys.stdout,
            err=sys.stderr,
        )
    return run_cli(
        trace=args.trace,
        sample=args.sample,
        record=args.record,
        config_path=args.config,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="run the engine over a recorded activity trace and report what it inferred",
        description="Run the sitting-session engine over an activity trace (JSON Lines, "
        "optionally .gz) and report sessions, breaks, prompts and daily figures; or over "
        "your own recorded days (--days, --week), under another config (--config), beside "
        "what really happened.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "trace", nargs="?", type=Path, metavar="TRACE", help="the trace file (.jsonl or .jsonl.gz)"
    )
    src.add_argument(
        "--sample", action="store_true", help="replay the sample trace shipped with sitbreak"
    )
    src.add_argument(
        "--days",
        metavar="WHEN",
        help="your own recorded day(s): 'yesterday', 'today', YYYY-MM-DD or FIRST..LAST; "
        "with --config, what that config would have done, beside what happened",
    )
    src.add_argument(
        "--week",
        nargs="?",
        const="",
        metavar="DATE",
        help="your own recorded week (Mon-Sun) of DATE (default: the last 7 days)",
    )
    p.add_argument(
        "--config",
        type=Path,
        help="config file to use instead of your own (with --days/--week: the one to try)",
    )
    p.add_argument("--json", action="store_true", help="print the replay report as JSON")
    p.add_argument(
        "--record",
        action="store_true",
        help="also store the results in sitbreak's database (for reports), replacing an earlier "
        "recording of the same trace",
    )
    p.set_defaults(func=_cmd_replay)


def _period(days: str | None, week: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    from sitbreak.errors import SitbreakError
    from sitbreak.report.figures import parse_date

    if week is not None:
        if week == "":
            return today - dt.timedelta(days=6), today
        day = parse_date(week, today)
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    assert days is not None
    if ".." in days:
        a, b = days.split("..", 1)
        first, last = parse_date(a, today), parse_date(b, today)
        if last < first:
            raise SitbreakError(f"bad range {days!r}: {last} is before {first}")
        return first, last
    day = parse_date(days, today)
    return day, day


def run_days(
    *,
    days: str | None,
    week: str | None,
    config_path: Path | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Replay the person's own recorded days under `config_path` (default: their own)."""
    import time

    from sitbreak.config import load_config
    from sitbreak.report import whatif
    from sitbreak.storage.store import Store, default_db_path
    from sitbreak.storage.timeline import no_activity_on, nothing_recorded
    from sitbreak.timezones import resolve_tz

    current = load_config(None)
    trial = load_config(config_path) if config_path is not None else current
    tz = resolve_tz(current.timezone)
    first, last = _period(days, week, dt.datetime.fromtimestamp(time.time(), tz).date())
    path = default_db_path()
    if not path.exists():
        print(f"sitbreak: {nothing_recorded(path)}", file=err)
        return EXIT_NO_DATA
    with Store.open(path, recover=False) as store:
        comparison = whatif.compare(
            store, first=first, last=last, tz=tz, current=current.engine, trial=trial.engine
        )
    if comparison.recorded_days == 0:
        print(f"sitbreak: {no_activity_on(first, last)}", file=err)
        return EXIT_NO_DATA
    label = str(config_path) if config_path is not None else "your config"
    if as_json:
        out.write(json.dumps(comparison_dict(comparison, label)) + "\n")
    else:
        out.write(format_comparison(comparison, label) + "\n")
    return 0


def comparison_dict(c: object, label: str) -> dict[str, object]:
    from sitbreak.report.whatif import Comparison

    assert isinstance(c, Comparison)
    return {
        "first": c.first.isoformat(),
        "last": c.last.isoformat(),
        "tz": getattr(c.tz, "key", str(c.tz)),
        "config": label,
        "recorded": {
            **c.recorded.total.as_dict(),
            "days": [{"date": d.isoformat(), **f.as_dict()} for d, f in c.recorded.days.items()],
        },
        "replayed": {
            **c.replayed.total.as_dict(),
            "days": [{"date": d.isoformat(), **f.as_dict()} for d, f in c.replayed.days.items()],
        },
        "config_reloads": c.reloads,
    }


def format_comparison(c: object, label: str) -> str:
    from sitbreak.report.whatif import Comparison, table

    assert isinstance(c, Comparison)
    span = c.first.isoformat() if c.first == c.last else f"{c.first} to {c.last}"
    zone = getattr(c.tz, "key", str(c.tz))
    lines = [f"Your days {span} ({zone}): what happened, and under {label}", ""]
    name = label if len(label) <= 12 else "replayed"
    lines += table(c.recorded.total, c.replayed.total, name)
    for t in c.reloads:
        when = dt.datetime.fromtimestamp(t, c.tz)
        lines.append("")
        lines.append(
            f"The config was reloaded on {when:%a %Y-%m-%d at %H:%M} ({zone}): that day's "
            "figures as they happened mix the config before and after."
        )
    return "\n".join(lines)
