"""Subcommands that register themselves with the `sitbreak` parser.

Each module here defines `register(sub)`, adding its subparser and a handler
`func(args) -> int`. Modules keep their heavy imports inside the handler so
`sitbreak --help` and `sitbreak status` start fast. To add a command, add a
module and list it in MODULES.
"""

from __future__ import annotations

import argparse
import importlib

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


def register_all(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in MODULES:
        importlib.import_module(f"sitbreak.commands.{name}").register(sub)
