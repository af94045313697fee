"""The benchmarks run from a checkout as BENCHMARKS.md says, or say clearly why not."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench_engine() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_engine", ROOT / "benchmarks" / "bench_engine.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(script: str, argument: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), str(argument)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_bench_engine_without_the_shared_traces_uses_the_shipped_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh clone has no ../shared: `python benchmarks/bench_engine.py` ended in a
    TraceError traceback about /tmp/shared/traces/coder.jsonl.gz."""
    bench = _bench_engine()
    monkeypatch.setattr(bench, "DEFAULT_TRACE", tmp_path / "shared" / "traces" / "coder.jsonl.gz")
    monkeypatch.setattr(sys, "argv", ["bench_engine.py"])
    assert bench.main() == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"note: {tmp_path / 'shared'}")
    assert "sample trace shipped with sitbreak" in err
    assert out.startswith(f"trace: {bench.sample_trace_path()} (17399 events")
    assert "replay end to end:" in out


def test_bench_engine_names_a_trace_it_cannot_read_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl.gz"
    done = _run("bench_engine.py", missing)
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        done.stderr == f"bench_engine.py: {missing}: cannot open trace: No such file or directory\n"
    )


def test_bench_timeline_without_traces_says_where_it_looked(tmp_path: Path) -> None:
    """Run from a clone with no ../shared it died in statistics.mean of no data."""
    done = _run("bench_timeline.py", tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"bench_timeline.py: no traces (*.jsonl.gz) in {tmp_path}; ")
