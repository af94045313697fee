"""The documents people read say what the code does, and link only to what they have."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sitbreak.cli import main
from sitbreak.daemon.loop import POLL_S
from sitbreak.storage.trace import ARG_KINDS, EVENT_CLASSES

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_is_to_a_file_people_have(doc: Path) -> None:
    for target in _LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path = (doc.parent / target).resolve()
        assert ROOT in path.parents, f"{doc.name} links outside the project: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_readme_has_no_relative_link_as_it_is_the_package_index_page_too() -> None:
    """README.md is the long description on the package index, where a link to
    docs/desktops.md (or the picture docs/report.png) leads nowhere: it names
    such files as paths of the source instead, and each of them exists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    relative = [t for t in _LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    assert relative == []
    named = re.findall(r"`((?:docs|config|systemd|src|scripts)/[^`\s]+\.\w+|[A-Z]+\.md)`", text)
    assert "docs/desktops.md" in named
    for path in named:
        assert (ROOT / path).exists(), f"README.md names a missing file: {path}"


def test_the_trace_format_lists_every_event_kind() -> None:
    text = (ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)?) \|", text, flags=re.M)
    listed = {k for row in rows for k in re.findall(r"`([a-z_]+)`", row)}
    # "kind" heads the tables; one's own days add kinds with fields (pause, snooze, ...)
    assert listed - {"kind"} == set(EVENT_CLASSES) | ARG_KINDS


def test_the_trace_format_names_every_field_of_the_replay_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["replay", "--sample", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    text = (ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")
    for key in doc:
        assert f"**{key}**" in text
    for part in ("sessions", "breaks", "prompts"):
        for field in doc[part][0]:
            assert f'"{field}"' in text, (part, field)


def test_desktops_md_gives_the_heartbeat_the_daemon_has() -> None:
    text = (ROOT / "docs" / "desktops.md").read_text(encoding="utf-8")
    assert f"every {POLL_S:g} seconds" in text
    assert "once a second" not in text
    for n in re.findall(r"(?:polls?|polled|heartbeat)\D{0,40}?every (\d+) seconds", text):
        assert float(n) == POLL_S


def test_the_report_format_shows_the_csv_headers_the_report_writes() -> None:
    from sitbreak.report.json import DAY_COLUMNS, SESSION_COLUMNS

    text = (ROOT / "docs" / "report-format.md").read_text(encoding="utf-8")
    headers = set(re.findall(r"^date,[a-z_,]+$", text, flags=re.M))
    assert headers == {",".join(DAY_COLUMNS), ",".join(SESSION_COLUMNS)}


def test_the_optional_sway_lock_lines_in_the_docs_are_the_ones_the_real_sway_test_runs() -> None:
    from sitbreak.desktop.sway_lock import LOCK_KEY_LINE, SWAYIDLE_LINES

    text = (ROOT / "docs" / "desktops.md").read_text(encoding="utf-8")
    block = "    " + SWAYIDLE_LINES.replace("\n", "\n    ") + "\n    " + LOCK_KEY_LINE + "\n"
    assert block in text
    assert "~/.config/sway/config" in text


@pytest.mark.parametrize("doc", ["README.md", "docs/desktops.md"])
def test_the_docs_name_every_screen_locker_watched_and_how_often(doc: str) -> None:
    from sitbreak.desktop.lockers import KNOWN_LOCKERS, LOCKER_POLL_S

    text = " ".join((ROOT / doc).read_text(encoding="utf-8").split())
    *rest, last = KNOWN_LOCKERS
    assert f"{', '.join(rest)} or {last} runs" in text
    assert f"every {LOCKER_POLL_S:g} s" in text or f"every {LOCKER_POLL_S:g} seconds" in text
