"""argparse as the `sitbreak` command line uses it (`sitbreak.cli` builds the parser).

A module of its own so that `sitbreak status`, which status bars run every
few seconds, can start without importing argparse (and the re and gettext it
brings): `sitbreak.cli` imports this only when it builds a parser.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any


class Parser(argparse.ArgumentParser):
    """argparse, reading "-5m" as a (bad) value rather than an unknown option.

    argparse takes only "-5" or "-.5" for a negative number; "-5m" would be
    an unknown option, reported with the top-level usage ("unrecognized
    arguments") instead of the command's own message about its duration.
    No sitbreak option starts with a digit, so none is shadowed. Subcommand
    parsers are made of the same class.

    It also measures the terminal itself: argparse asks shutil, whose import
    loads bz2 and lzma, milliseconds of every `sitbreak --help`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def _get_formatter(self) -> argparse.HelpFormatter:
        make: Any = self.formatter_class  # every HelpFormatter takes `width`
        formatter: argparse.HelpFormatter = make(prog=self.prog, width=terminal_width() - 2)
        return formatter


def terminal_width() -> int:
    """What shutil.get_terminal_size() gives: $COLUMNS, the terminal, or 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80
