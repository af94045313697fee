"""What user-facing text must never say: shared by the text checks and the report properties.

`problems(text)` lists each wrong form found: a plural after 1 ("1 minutes"),
a singular after any other number ("2 session"), the config file's duration
syntax in prose ("over 30m"), the old rounded-away "under a minute".
"""

from __future__ import annotations

import re

NOUNS = (
    "minute",
    "hour",
    "second",
    "session",
    "break",
    "prompt",
    "day",
    "event",
    "time",
    "reminder",
    "week",
)
_NOUN = "|".join(NOUNS)

_CHECKS = (
    # "1 minutes", and "1 movement reminders" (a word between).
    (re.compile(rf"(?<![\d.,:/-])\b1 (?:[a-z]+ )?({_NOUN})s\b"), "a plural after 1"),
    (
        re.compile(rf"(?<![\d.,:/-])\b(?:0|[2-9]|\d\d+) ({_NOUN})\b(?![-s])"),
        "a singular after n ≠ 1",
    ),
    (
        re.compile(r"(?<![\w\".'])\d+(?:\.\d+)?[hms](?:\d+[hms])*\b(?![\"'])"),
        "config syntax (30m) in prose",
    ),
    (re.compile(r"\bunder a minute\b"), "a duration rounded away"),
)


def problems(text: str) -> list[str]:
    """Each wrong form in `text`, as 'why: «the words»'."""
    found = []
    for pattern, why in _CHECKS:
        for m in pattern.finditer(text):
            a, b = max(0, m.start() - 30), m.end() + 30
            found.append(f"{why}: «{text[a:b]}»")
    return found


def visible_text(html: str) -> str:
    """What a reader of an HTML page sees (and hears: titles and labels), without markup or CSS."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    said = " ".join(re.findall(r'(?:aria-label|title)="([^"]*)"', html))
    html = re.sub(r"<title>(.*?)</title>", r" \1 ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html) + " " + said
