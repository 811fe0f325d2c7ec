"""`archsearch search --task classifier` as a new user runs it (issue 32's goal: at most 5 minutes on 2
cores including the final model, Fashion-MNIST test accuracy at least 92.0%).

Runs the command in a fresh run directory per seed (a subprocess: imports, data loading, worker start-up
and the final model's scoring all count) and reads `evaluations.csv` and `best/metrics.json`.

    python benchmarks/classifier_search.py [--seeds 1] [--keep DIR] [-- extra search arguments]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from archsearch.analysis.tables import markdown_table


def run_once(seed: int, extra: list[str], directory: Path) -> dict:
    run_dir = directory / f"seed{seed}"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "archsearch", "search", "--task", "classifier", "--seed", str(seed),
                           "--out", str(run_dir), *extra], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"seed {seed} failed:\n{done.stderr[-2000:]}")
    frame = pd.read_csv(run_dir / "evaluations.csv")
    metrics = json.loads((run_dir / "best" / "metrics.json").read_text())
    first = frame.iloc[0]
    top = frame["budget"].max()
    return {"seed": seed, "wall s": round(wall, 1), "test accuracy": round(metrics["test_accuracy"], 4),
            "val accuracy": round(metrics["val_accuracy"], 4), "evaluations": len(frame),
            "candidates": frame["candidate"].nunique(), "at top rung": int((frame["budget"] == top).sum()),
            "winner is the default": metrics["genome_key"] == first["genome_key"], "params": metrics["params"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the run directories here")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    from machine import describe  # noqa: E402  (benchmarks/ is the script's folder)

    print(describe(), flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        rows = []
        for seed in range(args.seeds):
            rows.append(run_once(seed, extra, directory))
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    print(markdown_table(frame))
    print(f"median: {frame['wall s'].median():.0f} s wall, test accuracy {frame['test accuracy'].median():.4f}")


if __name__ == "__main__":
    main()
