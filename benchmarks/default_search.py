"""The default search as a new user runs it: wall time, the final model against PCA, and where the
core-seconds went (issue 14's goals: at most 5 minutes on 2 cores, test MSE at most 0.52x PCA's at the
same latent size, under 5% of core-seconds not spent training, fixed cost kept from dominating the
cheapest rung).

Runs `archsearch search [ARGS]` in a fresh run directory per seed (a subprocess: imports, data loading,
worker start-up and the final model's scoring all count) and reads its `evaluations.csv` and
`best/metrics.json`:
- wall: the whole command;
- training share (wall clock): the sum of every evaluation's `model.fit` time over (search span x
  workers), where the span runs from the first evaluation's start to the last one's end; the rest is
  building, checkpoints, validation, worker start-up, transfers and idle workers;
- idle share (predicted clock, the default): the worker-seconds spent idle waiting for the result
  predicted to finish first (`idle_seconds`, an upper bound) over those and the evaluations' measured
  seconds;
- fixed cost per rung: the median `first_step_seconds` (graph tracing plus one batch) against the
  median training time of that rung's evaluations.

- history: a digest of the evaluations (index, genome, budget, status, fitness), equal for two runs with
  the same history: on the predicted clock, the same with `--loaded` (a CPU-bound process runs beside
  the search, as on a slower or busy machine) as without.

    python benchmarks/default_search.py [--seeds 1] [--keep DIR] [--loaded] [-- extra search arguments]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from archsearch.analysis.tables import markdown_table


def run_once(seed: int, extra: list[str], directory: Path, loaded: bool = False) -> tuple[dict, pd.DataFrame]:
    run_dir = directory / f"seed{seed}"
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if loaded else None
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "archsearch", "search", "--seed", str(seed), "--out",
                               str(run_dir), *extra], capture_output=True, text=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"seed {seed} failed:\n{done.stderr[-3000:]}")
    frame = pd.read_csv(run_dir / "evaluations.csv")
    metrics = json.loads((run_dir / "best" / "metrics.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    workers = config["workers"] or 2
    trained = frame[frame["cached_from"].isna()]
    started = (trained["finished_at"] - trained["seconds"]).min()
    span = trained["finished_at"].max() - started  # on the predicted clock, in predicted seconds
    predicted = "measured_seconds" in trained
    if predicted:  # the real seconds, and those other workers idled waiting for each result (an upper bound)
        trained = trained.assign(seconds=trained["measured_seconds"], idle=trained["idle_seconds"],
                                 train_seconds=float("nan"))
    history = frame[["index", "genome_key", "budget", "status", "fitness"]].to_csv(index=False)
    row = {
        "seed": seed, "loaded": loaded, "wall s": round(wall, 1), "search span s": round(span, 1),
        "candidates": int((frame["continued_from"].isna()).sum()) if "continued_from" in frame else len(frame),
        "evaluations": len(frame), "latent": metrics["latent_size"],
        "test MSE": round(metrics["test_mse"], 5), "PCA": round(metrics["pca_test_mse"], 5),
        "ratio": round(metrics["test_mse"] / metrics["pca_test_mse"], 3),
        # on the predicted clock: the share of the workers' real seconds spent waiting in predicted order
        "idle share": round(trained["idle"].sum() / (trained["seconds"].sum() + trained["idle"].sum()), 3)
        if predicted else None,
        "training share": None if predicted else round(trained["train_seconds"].sum() / (span * workers), 3),
        "history": hashlib.sha256(history.encode()).hexdigest()[:10],
        "architecture": (run_dir / "best" / "summary.txt").read_text().splitlines()[0].removeprefix("architecture: "),
    }
    return row, trained.assign(seed=seed)


def fixed_costs(trained: pd.DataFrame) -> pd.DataFrame:
    """Per budget: evaluations, median seconds in all, in `fit`, and in the first step (tracing)."""
    if "first_step_seconds" not in trained:
        return pd.DataFrame()
    grouped = trained.groupby("budget")
    table = pd.DataFrame({
        "evaluations": grouped.size(),
        "median s": grouped["seconds"].median().round(2),
        "median fit s": grouped["train_seconds"].median().round(2),
        "median first step s": grouped["first_step_seconds"].median().round(2),
    })
    table["first step / evaluation"] = (table["median first step s"] / table["median s"]).round(2)
    return table.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the run directories here (default: a temporary folder)")
    parser.add_argument("--loaded", action="store_true", help="a CPU-bound process runs beside each search")
    parser.add_argument("extra", nargs="*", help="more `archsearch search` arguments (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        results = [run_once(seed, args.extra, args.keep or Path(directory), args.loaded) for seed in range(args.seeds)]
    rows = pd.DataFrame([row for row, _ in results])
    print(markdown_table(rows, digits=5))
    costs = fixed_costs(pd.concat([trained for _, trained in results]))
    if not costs.empty:
        print("\nfixed cost per rung (all seeds):")
        print(markdown_table(costs))


if __name__ == "__main__":
    main()
