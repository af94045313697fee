"""`sitbreak config check|show`: validate a config file, or show the effective values.

Every problem is listed with the file, the key, what was expected and what
was found (`sitbreak.config` does the reading; this only prints).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO


def cli_check(file: Path | None, out: TextIO) -> int:
    from sitbreak import paths
    from sitbreak.config import load_config

    """`sitbreak config check [FILE]`: 0 if valid; a ConfigError otherwise (cli.py reports it)."""
    config = load_config(file)
    if config.path is None:
        print(
            f"No config file at {paths.user_config_path()}: the defaults are in use.",
            file=out,
        )
    else:
        print(f"OK: {config.path} is valid", file=out)
    for warning in config.warnings:
        print(warning, file=out)
    return 0


def cli_show(config_path: Path | None, out: TextIO) -> int:
    from sitbreak.config import load_config, render_config

    """`sitbreak config show`: every effective value and where it came from."""
    out.write(render_config(load_config(config_path)))
    return 0


def _cmd_config_check(args: argparse.Namespace) -> int:
    return cli_check(args.file, out=sys.stdout)


def _cmd_config_show(args: argparse.Namespace) -> int:
    return cli_show(args.config, out=sys.stdout)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("config", help="check or show the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    c = csub.add_parser("check", help="validate a config file (default: your own)")
    c.add_argument("file", nargs="?", type=Path)
    c.set_defaults(func=_cmd_config_check)
    c = csub.add_parser("show", help="print the effective config and where each value came from")
    c.add_argument("--config", type=Path, help="config file to use instead of your own")
    c.set_defaults(func=_cmd_config_show)
