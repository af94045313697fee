"""Which time zone local days are cut in: configured, from $TZ, or the machine's."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sitbreak.errors import ConfigError

_LOCALTIME = Path("/etc/localtime")


def resolve_tz(name: str | None) -> dt.tzinfo:
    """An IANA zone by name; with no name, the machine's own zone (DST-aware).

    `datetime.now().astimezone()` would give a fixed offset, which gets every
    day across a DST change wrong, so read the zone rules instead.
    """
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"unknown time zone {name!r}: expected an IANA name like 'Europe/Berlin'"
            ) from exc
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            return ZoneInfo(env)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a POSIX TZ string or junk: fall through to the machine's zone
    try:
        with _LOCALTIME.open("rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError):
        return dt.UTC
