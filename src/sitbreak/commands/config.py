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
    """`sitbreak config check [FILE]`: 0 if valid; a ConfigError otherwise (cli.py reports it).

    Without FILE it checks the person's prompts.toml too, as `sitbreak run` reads
    both (a broken one stops it); a FILE named prompts.toml is read as a prompt
    library, not as a config."""
    from sitbreak import paths
    from sitbreak.config import load_config
    from sitbreak.prompts import read_user_library

    if file is not None and file.name == PROMPTS_FILE:
        if not file.exists():
            from sitbreak.errors import ConfigError

            raise ConfigError(f"{file}: no such prompt library")
        read_user_library(file)
        print(f"OK: {file} is valid", file=out)
        return 0
    config = load_config(file)
    if config.path is None:
        print(
            f"No config file at {paths.user_config_path()}: the defaults are in use.\n"
            f"To change a value, write only that key there; {_where_keys_are()}.",
            file=out,
        )
    else:
        print(f"OK: {config.path} is valid", file=out)
    for warning in config.warnings:
        print(warning, file=out)
    prompts = paths.config_dir() / PROMPTS_FILE
    if file is None and prompts.exists():
        read_user_library(prompts)
        print(f"OK: {prompts} is valid", file=out)
    return 0


#: The person's own prompts, beside their config (sitbreak.prompts reads it).
PROMPTS_FILE = "prompts.toml"


def cli_show(config_path: Path | None, out: TextIO) -> int:
    """`sitbreak config show`: every effective value and where it came from."""
    from sitbreak import paths
    from sitbreak.config import load_config, render_config

    config = load_config(config_path)
    out.write(render_config(config))
    if config.path is None:
        out.write(
            f"\n# To change a value, write only that key in {paths.user_config_path()};\n"
            f"# {_where_keys_are()}.\n"
        )
    return 0


def _where_keys_are() -> str:
    """Where a person reads what each key does: the shipped file, comments and all."""
    from sitbreak.config import default_config_path

    return f"every key, its default and why is described in {default_config_path()}"


def _cmd_config_check(args: argparse.Namespace) -> int:
    return cli_check(args.file, out=sys.stdout)


def _cmd_config_show(args: argparse.Namespace) -> int:
    return cli_show(args.config, out=sys.stdout)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "config",
        help="check or show the configuration",
        description="Your config is ~/.config/sitbreak/config.toml ($XDG_CONFIG_HOME moves "
        "it): only the keys you change. `check` validates it, `show` prints every value in "
        "effect; after editing, `systemctl --user reload sitbreak` (or kill -HUP) applies it "
        "without a restart.",
    )
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    c = csub.add_parser(
        "check",
        help="validate a config file (default: your own)",
        description="Read a config file as `sitbreak run` would and list every problem, "
        "each with the file and line, the key, what was expected and what was found. Exits 0 when "
        "it is valid, 2 when it is not.",
    )
    c.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="the file to check (default: your own config file)",
    )
    c.set_defaults(func=_cmd_config_check)
    c = csub.add_parser(
        "show",
        help="print the effective config and where each value came from",
        description="Print every key as sitbreak uses it, as TOML, each marked with where "
        "its value came from: the default, or your file.",
    )
    c.add_argument("--config", type=Path, help="config file to use instead of your own")
    c.set_defaults(func=_cmd_config_show)
