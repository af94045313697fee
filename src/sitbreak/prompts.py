"""What a prompt says: the prompt library, rotation and escalation wording.

The engine decides *when* and *which kind*; this module turns that into the
words of a notification. The shipped library is `data/prompts.toml`; a user's
`prompts.toml` beside their config adds prompts, replaces one by `id`, or
switches one off. Within a kind prompts rotate without repeats until the
pool is used up, so the same line does not come back every half hour.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

from sitbreak.core import PromptDue, PromptKind
from sitbreak.errors import ConfigError
from sitbreak.text import duration

KINDS = ("posture", "move", "stretch", "hydrate", "breathe", "eyes")
CAUSES = ("posture", "sitting", "stiffness", "dehydration", "stress", "eyes")
_FIELDS = {"id", "kind", "cause", "title", "body", "caution", "enabled"}
_MAX_TEXT = 300
#: Shown under every stretch, including a user's own that forgot to say it.
STRETCH_CAUTION = "Move gently; stop if it hurts."


class Urgency(enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    kind: str
    cause: str
    title: str
    body: str
    caution: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A notification, ready to send."""

    kind: str
    level: int
    title: str
    body: str
    urgency: Urgency
    expire_s: float  # how long it stays on screen; 0 means until dismissed
    prompt_id: str
    #: The engine's PromptDue.t: what the store keys the prompt's outcome by.
    due_t: float | None = None

    def as_text(self) -> str:
        return f"{self.title}: {' '.join(self.body.splitlines())}"


def shipped_library_text() -> str:
    return (resources.files("sitbreak") / "data" / "prompts.toml").read_text(encoding="utf-8")


def parse_library(text: str, source: str) -> dict[str, Prompt | None]:
    """Prompts by id from a library file; None marks an id switched off."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        from sitbreak.config import toml_error

        raise ConfigError(toml_error(text, source, str(exc))) from None
    unknown = set(data) - {"prompt"}
    if unknown:
        raise ConfigError(
            f"{source}: unknown table {sorted(unknown)[0]!r}: expected only [[prompt]] entries"
        )
    entries = data.get("prompt", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: expected [[prompt]] entries, found a single [prompt] table")
    out: dict[str, Prompt | None] = {}
    # The line of each [[prompt]] header, to name in messages (when the file is
    # laid out that way, as the shipped one is; else the file alone).
    headers = [n for n, line in enumerate(text.splitlines(), 1) if _ENTRY_RE.match(line)]
    for n, entry in enumerate(entries, 1):
        at = f"{source}:{headers[n - 1]}" if len(headers) == len(entries) else source
        where = f"{at}: prompt #{n}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a [[prompt]] table, found {entry!r}")
        prompt_id = entry.get("id")
        if not isinstance(prompt_id, str) or not prompt_id:
            raise ConfigError(f"{where}: expected a non-empty string id, found {prompt_id!r}")
        where = f"{at}: prompt {prompt_id!r}"
        if prompt_id in out:
            # Within one file a second entry would silently win; across files
            # replacing by id is the point, so only this is an error.
            raise ConfigError(f"{where}: the id is used twice in this file (#{n} repeats it)")
        extra = set(entry) - _FIELDS
        if extra:
            raise ConfigError(
                f"{where}: unknown key {sorted(extra)[0]!r}; keys are {', '.join(sorted(_FIELDS))}"
            )
        if entry.get("enabled", True) is False:
            out[prompt_id] = None
            continue
        out[prompt_id] = _prompt(entry, where)
    return out


_ENTRY_RE = re.compile(r"\s*\[\[\s*prompt\s*\]\]\s*(?:#.*)?$")


def _prompt(entry: Mapping[str, object], where: str) -> Prompt:
    for key, allowed in (("kind", KINDS), ("cause", CAUSES)):
        value = entry.get(key)
        if value not in allowed:
            # A key left out read "found None".
            found = f"found {value!r}" if key in entry else "but it is missing"
            raise ConfigError(f"{where}: {key} must be one of {', '.join(allowed)}, {found}")
    kind, cause = entry["kind"], entry["cause"]
    texts: dict[str, str | None] = {}
    for key in ("title", "body", "caution"):
        value = entry.get(key)
        if value is None and key == "caution":
            texts[key] = None
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
            raise ConfigError(
                f"{where}: {key} must be a non-empty string of at most {_MAX_TEXT} characters"
            )
        texts[key] = value.strip()
    if kind == "stretch" and texts["caution"] is None:
        texts["caution"] = STRETCH_CAUTION
    return Prompt(
        str(entry["id"]),
        str(kind),
        str(cause),
        str(texts["title"]),
        str(texts["body"]),
        texts["caution"],
    )


SHIPPED_SOURCE = "shipped prompts.toml"


def read_user_library(user_file: Path | None) -> dict[str, Prompt | None]:
    """A user's prompts by id (None: a shipped one switched off); {} without a file."""
    if user_file is None or not user_file.exists():
        return {}
    try:
        text = user_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{user_file}: cannot read: {exc}") from None
    return parse_library(text, str(user_file))


def load_library(user_file: Path | None = None) -> list[Prompt]:
    """The shipped prompts, with a user's file laid over them (by id)."""
    merged = parse_library(shipped_library_text(), SHIPPED_SOURCE)
    merged.update(read_user_library(user_file))
    return [p for p in merged.values() if p is not None]


class PromptWriter:
    """Picks and words prompts: rotation without repeats, escalation for `move`."""

    def __init__(self, library: Iterable[Prompt]) -> None:
        self._pools: dict[str, list[Prompt]] = {}
        for p in library:
            self._pools.setdefault(p.kind, []).append(p)
        self._used: dict[str, set[str]] = {}

    def kinds(self) -> list[str]:
        return sorted(self._pools)

    def pick(self, kind: str) -> Prompt | None:
        pool = self._pools.get(kind)
        if not pool:
            return None
        used = self._used.setdefault(kind, set())
        if len(used) >= len(pool):
            used.clear()  # the pool is used up: start another round
        for p in pool:
            if p.id not in used:
                used.add(p.id)
                return p
        return None  # pragma: no cover - unreachable: the pool is not empty

    def write(self, due: PromptDue) -> Message:
        kind = due.kind.value
        prompt = self.pick(kind)
        body = prompt.body if prompt else _FALLBACK[kind]
        if prompt and prompt.caution:
            body += "\n" + prompt.caution
        if due.kind is PromptKind.MOVE:
            title = move_headline(due.level, due.seated_s)
        else:
            title = prompt.title if prompt else kind.capitalize()
        return Message(
            kind=kind,
            level=due.level,
            title=title,
            body=body,
            urgency=urgency_for(due),
            expire_s=_EXPIRE[kind],
            prompt_id=prompt.id if prompt else f"builtin-{kind}",
            due_t=due.t,
        )


def move_headline(level: int, seated_s: float) -> str:
    """Rising insistence, always with the plain fact of how long it has been."""
    if round(seated_s) < 3600:
        sat = f"{duration(seated_s, words=True)} seated"
    elif round(seated_s) < 65 * 60:  # "an hour", as people say it, up to 64 minutes
        sat = "An hour without a break"
    else:
        sat = f"{duration(seated_s, words=True)} without a break"
    if level <= 1:
        return f"{sat} — time to stand up and move"
    if level == 2:
        return f"{sat} — still sitting, time to move"
    return f"{sat} — please get up now"


def urgency_for(due: PromptDue) -> Urgency:
    # Critical only after several ignored movement prompts: notification
    # servers keep critical ones on screen, which must be earned.
    if due.kind is PromptKind.MOVE:
        return Urgency.CRITICAL if due.level >= 4 else Urgency.NORMAL
    return Urgency.LOW


_EXPIRE = {
    "posture": 20.0,
    "move": 60.0,
    "stretch": 45.0,
    "hydrate": 30.0,
    "breathe": 45.0,
    "eyes": 30.0,
}

# Used only if a user switches off every prompt of a kind but not the kind.
_FALLBACK = {
    "posture": "Sit back, feet flat, shoulders relaxed.",
    "move": "Stand up and walk for 2–3 minutes.",
    "stretch": "Stand and stretch gently.\n" + STRETCH_CAUTION,
    "hydrate": "Have a glass of water.",
    "breathe": "A minute of slow breathing: in through the nose, out through the mouth.",
    "eyes": "Look at something far away for 20 seconds.",
}
