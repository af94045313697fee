"""Subcommands that register themselves with the `sitbreak` parser.

Each module here defines `register(sub)`, adding its subparser and a handler
`func(args) -> int`. Modules keep their heavy imports inside the handler so
`sitbreak --help` and `sitbreak status` start fast. To add a command, add a
module and list it in MODULES (and its command names in COMMANDS).

A command may also read its own plain runs without argparse (`quick_args`):
`status` does, so that a bar's `sitbreak status --format waybar` does not
import argparse at all. Anything it does not recognise goes to the parser.

Building the whole parser imports every module; a run of one known command
builds only that command's parser (`register_for`), because some modules
need the config's names to list their choices, and status bars run
`sitbreak status` every few seconds (benchmarks/bench_startup.py).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import ModuleType, SimpleNamespace

#: Modules under sitbreak.commands, in the order their commands are listed.
MODULES: list[str] = [
    "run",
    "status",
    "report",
    "replay",
    "import_",
    "export",
    "trace",
    "tune",
    "prompts",
    "config",
    "doctor",
    "service",
]


#: Each command name and the module that registers it (a test keeps this true).
COMMANDS: dict[str, str] = {
    "run": "run",
    "status": "status",
    "pause": "status",
    "resume": "status",
    "snooze": "status",
    "report": "report",
    "replay": "replay",
    "import": "import_",
    "export": "export",
    "trace": "trace",
    "tune": "tune",
    "prompts": "prompts",
    "config": "config",
    "doctor": "doctor",
    "service": "service",
}


def _module(name: str) -> ModuleType:
    """sitbreak.commands.`name`, imported. By __import__ rather than importlib,
    whose import (with warnings) `sitbreak status` would pay at every start."""
    full = f"sitbreak.commands.{name}"
    __import__(full)
    return sys.modules[full]


def register_all(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in MODULES:
        _module(name).register(sub)


def register_for(sub: argparse._SubParsersAction[argparse.ArgumentParser], argv: list[str]) -> None:
    """Register only the module of the command `argv` names, or every module when
    it names none we know (--help, --version, a typo: argparse then lists them all)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    module = COMMANDS.get(command) if command else None
    if module is None or argv.index(command or "") > 0:  # options before it: --help, --version
        register_all(sub)
    else:
        _module(module).register(sub)


def quick_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments of a run its command reads without argparse (its module's
    `quick_args`: what argparse would have made of them), or None: build the parser."""
    module = COMMANDS.get(argv[0]) if argv else None
    if module is None:
        return None
    quick = getattr(_module(module), "quick_args", None)
    return None if quick is None else quick(list(argv))
