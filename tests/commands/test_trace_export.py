"""`sitbreak trace export`: the recorded timeline as a trace, of the days asked for."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import stat
from pathlib import Path

import pytest

from office import BERLIN, MIN, Office
from sitbreak.cli import main
from sitbreak.core import Lock, Unlock


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Office:
    o = Office(tmp_path)
    monkeypatch.setenv("SITBREAK_HOME", str(o.home))
    return o


def two_days(office: Office) -> None:
    office.sit(20 * MIN)
    office.send(Lock(office.clock.now()))
    office.away(5 * MIN)
    office.send(Unlock(office.clock.now()))
    office.sit(10 * MIN)
    office.ask("snooze", 10 * MIN)
    office.sit(5 * MIN)
    office.clock.advance(86400)
    office.ask("pause", 30 * MIN)
    office.sit(10 * MIN)
    office.stop()


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_writes_the_days_asked_for_as_a_private_gzip_trace(
    office: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two_days(office)
    out = tmp_path / "monday.jsonl.gz"
    assert (
        main(["trace", "export", "--from", "2026-11-02", "--to", "2026-11-02", "-o", str(out)]) == 0
    )
    assert capsys.readouterr().err == f"wrote {out}: 1 day (2026-11-02, Europe/Berlin)\n"
    both = tmp_path / "both.jsonl"
    assert (
        main(["trace", "export", "--from", "2026-11-02", "--to", "2026-11-03", "-o", str(both)])
        == 0
    )
    assert capsys.readouterr().err == (
        f"wrote {both}: 2 days (2026-11-02 to 2026-11-03, Europe/Berlin)\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    header, *events = lines(gzip.decompress(out.read_bytes()).decode())
    assert header == {"kind": "meta", "version": 1, "tz": "Europe/Berlin"}
    kinds = [e["kind"] for e in events]
    assert kinds.count("lock") == kinds.count("unlock") == 1
    snooze = events[kinds.index("snooze")]
    assert (snooze["kind"], snooze["s"], set(snooze)) == ("snooze", 600.0, {"t", "kind", "s"})
    assert "pause" not in kinds  # Tuesday's
    assert all(a["t"] <= b["t"] for a, b in itertools.pairwise(events))

    assert main(["trace", "export"]) == 0  # every recorded day, to standard output
    everything = lines(capsys.readouterr().out)[1:]
    pause = next(e for e in everything if e["kind"] == "pause")
    assert pause["until"] == pytest.approx(pause["t"] + 30 * MIN)
    assert everything[-1]["kind"] == "stop"


def test_export_says_plainly_when_there_is_nothing_or_the_range_is_wrong(
    office: Office,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two_days(office)
    assert main(["trace", "export", "--from", "2026-11-03", "--to", "2026-11-02"]) == 2
    assert capsys.readouterr().err == (
        "sitbreak: --from 2026-11-03 is after --to 2026-11-02: there are no days to export\n"
    )
    # Without --to the range ends today: said, as the person did not write it.
    assert main(["trace", "export", "--from", "2099-01-01"]) == 2
    today = dt.datetime.now(BERLIN).date().isoformat()  # the office is in Berlin
    assert capsys.readouterr().err == (
        f"sitbreak: --from 2099-01-01 is after today ({today}): there are no days to export\n"
    )
    assert main(["trace", "export", "--to", "2026-11-01"]) == 2
    assert capsys.readouterr().err == (
        "sitbreak: the first recorded day (2026-11-02) is after --to 2026-11-01: "
        "there are no days to export\n"
    )
    assert main(["trace", "export", "--from", "Monday"]) == 2
    assert "bad date 'Monday'" in capsys.readouterr().err
    assert main(["trace", "export", "-o", str(tmp_path / "no" / "such" / "dir.jsonl")]) == 2
    assert "cannot write trace" in capsys.readouterr().err
    monkeypatch.setenv("SITBREAK_HOME", str(tmp_path / "empty"))
    assert main(["trace", "export"]) == 1
    assert "nothing recorded yet: no database at" in capsys.readouterr().err
