"""Which time zone local days are cut in: configured, from $TZ, or the machine's."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sitbreak.errors import ConfigError

# A string, not a Path: `sitbreak status` imports this, and pathlib costs it
# milliseconds at every start (benchmarks/bench_startup.py).
_LOCALTIME = "/etc/localtime"


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
    key = _localtime_key()
    if key is not None:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open(_LOCALTIME, "rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError):
        return dt.timezone.utc


def _localtime_key() -> str | None:
    """ "Europe/Berlin" when /etc/localtime links into a zoneinfo directory, as it
    usually does: the zone's real name, for summaries and to notice a change."""
    try:
        target = os.path.realpath(_LOCALTIME, strict=True)
    except OSError:
        return None
    parts = tuple(p for p in target.split(os.sep) if p)
    if "zoneinfo" not in parts:
        return None
    key = "/".join(parts[len(parts) - parts[::-1].index("zoneinfo") :])
    return key or None
