"""The summaries log: each day's figures as one JSON line beside the database."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from sitbreak import paths
from sitbreak.core import DayFigures
from sitbreak.errors import StorageError

log = logging.getLogger("sitbreak.store")

SUMMARIES_NAME = "summaries.jsonl"


def summaries_log_path() -> Path:
    return paths.data_dir() / SUMMARIES_NAME


def append_summary(
    figures: DayFigures,
    tz_name: str,
    path: Path | None = None,
    *,
    computers: Sequence[str] | None = None,
) -> bool:
    """Append one day's figures as a JSON line to the summaries log (0600).

    A plain-text record beside the database that any tool can read. Failing to
    write it is logged, never raised: it must not take the daemon down.
    `computers`: with a sync folder, the names of the computers whose input
    made the figures (a "computers" field; none without one).
    """
    target = path if path is not None else summaries_log_path()
    doc: dict[str, object] = {"date": figures.date.isoformat(), "tz": tz_name, **figures.as_dict()}
    if computers is not None:
        doc["computers"] = list(computers)
    line = json.dumps(doc)
    try:
        paths.ensure_private_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except (OSError, StorageError) as exc:
        log.error("%s: cannot append the daily summary: %s", target, exc)
        return False
    return True
