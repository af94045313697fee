"""`sitbreak prompts`: what the reminders say, and how one looks on this desktop.

`sitbreak prompts [--kind KIND]` lists the prompt library (the shipped
prompts with the person's own `prompts.toml` laid over them); `sitbreak
prompts --test KIND` sends one prompt now through the configured notifier.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from sitbreak.config import NOTIFY_BACKENDS
from sitbreak.prompts import KINDS

#: Exit status when the test prompt could not be shown.
EXIT_NOT_SHOWN = 1

DISCLAIMER = (
    "General wellbeing reminders, not medical advice. For back pain that is severe or "
    "not getting better after a few weeks, see a GP or physiotherapist."
)
_WIDTH = 88


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "prompts",
        help="list what the prompts say, or show one now to see how it looks",
        description="List the prompt library: the shipped prompts and your own from "
        "prompts.toml beside your config. With --test KIND, send one prompt of that kind "
        "now through your notifier.",
    )
    p.add_argument("--kind", choices=KINDS, help="list only prompts of this kind")
    p.add_argument(
        "--test",
        metavar="KIND",
        choices=KINDS,
        help=f"send one prompt of this kind now ({', '.join(KINDS)})",
    )
    p.add_argument(
        "--level",
        type=_level,
        help="with --test move: which repeat to show (1, 2, ...), to see the escalation",
    )
    p.add_argument(
        "--notify",
        choices=list(NOTIFY_BACKENDS),
        help='with --test: how to show it (default: [notify] backend in the config, "auto")',
    )
    p.add_argument("--config", type=Path, help="config file to use instead of your own")
    p.set_defaults(func=_run)


def _level(text: str) -> int:
    try:
        level = int(text)
    except ValueError:
        level = 0
    if level < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 up, found {text!r}")
    return level


def _run(args: argparse.Namespace) -> int:
    from sitbreak import paths

    _check_test_options(args.test, args.level, args.notify)
    user_file = paths.config_dir() / "prompts.toml"
    if args.test:
        return send_test(
            args.test,
            level=args.level or 1,
            backend=args.notify,
            config_path=args.config,
            user_file=user_file,
            out=sys.stdout,
        )
    return list_prompts(args.kind, user_file, sys.stdout)


def _check_test_options(test: str | None, level: int | None, notify: str | None) -> None:
    """--level and --notify are for --test: refused without it, not silently ignored."""
    from sitbreak.errors import SitbreakError

    if level is not None and test != "move":
        raise SitbreakError(
            "--level goes with --test move: only the movement reminder comes in repeats"
            + ("" if test is None else f", a {test} prompt has one level")
        )
    if notify is not None and test is None:
        raise SitbreakError(
            f"--notify {notify} goes with --test KIND: it says how to show the test prompt"
        )


# ------------------------------------------------------------------- list


def list_prompts(kind: str | None, user_file: Path, out: TextIO) -> int:
    from sitbreak.prompts import (
        SHIPPED_SOURCE,
        parse_library,
        read_user_library,
        shipped_library_text,
    )

    shipped = parse_library(shipped_library_text(), SHIPPED_SOURCE)
    own = read_user_library(user_file)
    merged = {**shipped, **own}
    print(_overrides_line(user_file, own), file=out)
    switched_off = sorted(pid for pid, p in own.items() if p is None)
    for k in KINDS if kind is None else (kind,):
        prompts = [p for p in merged.values() if p is not None and p.kind == k]
        note = " (sitbreak writes the headline from how long you have sat)" if k == "move" else ""
        print(f"\n{k}: {len(prompts)} prompt{'s' if len(prompts) != 1 else ''}{note}", file=out)
        for p in prompts:
            mark = ""
            if p.id in own:
                mark = ", yours, replacing the shipped one" if p.id in shipped else ", yours"
            print(f"  {p.id}  [cause: {p.cause}{mark}]", file=out)
            for text in (p.title, p.body, p.caution):
                if text:
                    print(_wrap(text), file=out)
    if switched_off:
        print(f"\nSwitched off in your file: {', '.join(switched_off)}", file=out)
    print("\n" + textwrap.fill(DISCLAIMER, _WIDTH), file=out)
    return 0


def _overrides_line(user_file: Path, own: Mapping[str, object]) -> str:
    if not user_file.exists():
        # A TOML line is kept on one line, to copy: wrapped as one word, then spaced again.
        toml = "enabled = false".replace(" ", "\0")
        return textwrap.fill(
            f"Your own prompts go in {user_file} (there is none yet): [[prompt]] entries as in "
            f"the shipped library; one with a shipped id replaces it, {toml} drops it.",
            _WIDTH,
            break_long_words=False,  # keep the path whole, to copy and paste
            break_on_hyphens=False,
        ).replace("\0", " ")
    return f"Your own prompts: {user_file} ({len(own)} entr{'y' if len(own) == 1 else 'ies'})"


def _wrap(text: str) -> str:
    return textwrap.fill(
        " ".join(text.split()), _WIDTH, initial_indent="    ", subsequent_indent="    "
    )


# ------------------------------------------------------------------- test


def send_test(
    kind: str,
    *,
    level: int,
    backend: str | None,
    config_path: Path | None,
    user_file: Path,
    out: TextIO,
) -> int:
    """Show one prompt of `kind` now, as the daemon would; 1 if it could not be shown."""
    from sitbreak.config import load_config
    from sitbreak.core import PromptDue, PromptKind
    from sitbreak.desktop import notify
    from sitbreak.prompts import PromptWriter, load_library

    config = load_config(config_path)
    showing = _real_prompt_on_screen()
    if showing is not None:
        print(
            f"sitbreak: a real {showing} prompt is on screen now, and a test would cover it "
            "(and leave it unanswered): answer or dismiss it first, then try again",
            file=sys.stderr,
        )
        return EXIT_NOT_SHOWN
    prompt_kind = PromptKind(kind)
    level = level if prompt_kind is PromptKind.MOVE else 1
    s = config.engine
    seated = {
        PromptKind.MOVE: s.move_after + (level - 1) * s.move_repeat,
        PromptKind.POSTURE: s.posture_after,
    }.get(prompt_kind, s.extra_every)
    message = PromptWriter(load_library(user_file)).write(
        PromptDue(time.time(), prompt_kind, level, seated)
    )
    # The buttons are shown as the daemon shows them; pressing them here does
    # nothing, since this command is gone by then.
    notifier = notify.make_notifier(backend or config.notify_backend, on_response=_preview)
    try:
        notifier.send(message)
    except notify.NotifyError as exc:
        print(f"sitbreak: could not show the prompt with {notifier.name}: {exc}", file=sys.stderr)
        return EXIT_NOT_SHOWN
    finally:
        notifier.close()
    print(f"Sent a {kind} prompt ({message.prompt_id}) through {notifier.name}:", file=out)
    print(_wrap(message.title), file=out)
    for line in message.body.splitlines():
        print(_wrap(line), file=out)
    if prompt_kind not in s.enabled:
        print(f"Note: {kind} prompts are switched off in your config.", file=out)
    return 0


def _real_prompt_on_screen() -> str | None:
    """The kind of the running sitbreak's prompt still on screen, if any."""
    from sitbreak.daemon import control
    from sitbreak.errors import SitbreakError

    try:
        status = control.request("status", timeout=2.0)
    except SitbreakError:
        return None  # no daemon (or none answering): nothing of ours to cover
    showing = status.get("prompt_on_screen") if status.get("ok") else None
    if not isinstance(showing, dict):
        return None
    return str(showing.get("kind") or "sitbreak")


def _preview(_response: object) -> None:
    """A response to a test prompt: nothing to do."""
