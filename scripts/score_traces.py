#!/usr/bin/env python3
"""Score `sitbreak replay` on the shared sample weeks against their ground truth.

    python scripts/score_traces.py [--traces DIR] [--config FILE] [--markdown]

For every NAME.jsonl.gz with a NAME.truth.json in DIR (default:
../shared/traces beside the project), runs `sitbreak replay --json` and
../shared/tools/score.py, and prints project vs the naive baseline (a 3-minute
input-only idle timeout) side by side, with the averages the issue sets
targets for: session-time error <= 3 %, break F1 >= 0.90, movement prompts
to an empty chair <= 5 %, no long session without a prompt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside a checkout; beside the worktrees' parent for a git worktree.
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
    ROOT.parent / "shared",
)
FIGURES = [
    ("time_err", "session-time error", "{:.1%}"),
    ("agree", "agreement", "{:.1%}"),
    ("break_f1", "break F1", "{:.3f}"),
    ("break_precision", "break precision", "{:.3f}"),
    ("break_recall", "break recall", "{:.3f}"),
    ("empty_chair", "move prompts to empty chair", "{:.1%}"),
    ("missed", "long sessions without prompt", "{}"),
    ("nag", "move prompts within 10 min of a return", "{:.1%}"),
]


def score(trace: Path, truth: Path, config: Path | None, scorer: Path) -> dict[str, dict]:
    cmd = [sys.executable, "-m", "sitbreak", "replay", str(trace), "--json"]
    if config:
        cmd += ["--config", str(config)]
    report = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(report)
    try:
        out = subprocess.run(
            [sys.executable, str(scorer), str(truth), f.name, "--trace", str(trace), "--json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(f.name)
    return json.loads(out)


def fmt(spec: str, v: object) -> str:
    return "n/a" if v is None else spec.format(v)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--traces", type=Path, default=SHARED / "traces")
    ap.add_argument("--scorer", type=Path, default=SHARED / "tools" / "score.py")
    ap.add_argument("--config", type=Path)
    args = ap.parse_args()
    traces = sorted(args.traces.glob("*.jsonl.gz"))
    rows = {}
    for trace in traces:
        name = trace.name.removesuffix(".jsonl.gz")
        truth = trace.with_name(f"{name}.truth.json")
        if truth.exists():
            rows[name] = score(trace, truth, args.config, args.scorer)
    if not rows:
        print(f"no traces with ground truth in {args.traces}", file=sys.stderr)
        return 1
    names = list(rows)
    print("| figure | " + " | ".join(names) + " | average |")
    print("|---|" + "---|" * (len(names) + 1))
    for key, label, spec in FIGURES:
        for who in ("project", "baseline"):
            vals = [rows[n][who][key] for n in names]
            present = [v for v in vals if v is not None]
            avg = (
                (sum(present) if key == "missed" else sum(present) / len(present))
                if present
                else None
            )
            cells = " | ".join(fmt(spec, v) for v in vals)
            tag = "sitbreak" if who == "project" else "baseline"
            total = " total" if key == "missed" else ""
            print(f"| {label} ({tag}) | {cells} | {fmt(spec, avg)}{total} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
