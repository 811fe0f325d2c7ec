"""Search strategies at equal wall time on Fashion-MNIST, with Keras Tuner's Hyperband beside them
(issue 14's comparison): which strategy should be the default, and does it beat its peers?

1. `archsearch compare --seconds S --seeds N --strategies CELLS` (a subprocess, resumable): every cell
   searches S seconds on each seed with the same data split, training seeds and 2 workers;
2. `benchmarks/keras_tuner_hyperband.py` for every seed, on the same split, budgets and seconds;
3. one table: each method's median test MSE of its best model (the best by validation loss, scored on
   the same 2,000 test images), against PCA at latent 16 on the same split; paired one-sided Wilcoxon
   tests of `--default` against every other method (seeds are the pairs); and the plot of best
   validation MSE so far against seconds (median over seeds).

    python benchmarks/equal_time.py --seconds 270 --seeds 5 --out results/equal_time_270

`--reuse DIR` (repeatable) joins the cells of an earlier run of this script instead of running them
again: for cells whose code did not change (a later DIR wins for a cell measured in both, the cells
run now win over all). Keras Tuner's runs are taken from the first DIR that has them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from archsearch.analysis.baselines import pca_test_mse
from archsearch.analysis.tables import markdown_table
from archsearch.autoencoder.config import SearchConfig
from archsearch.comparison.plots import save_best_so_far_plots
from archsearch.core.data import load_dataset, split

CELLS = "ga,tournament,dehb,ga:full,random,optuna-hyperband"
KERAS_TUNER = "keras-tuner-hyperband"


def run_comparison(out: Path, seconds: float, seeds: int, cells: str) -> None:
    command = [sys.executable, "-m", "archsearch", "compare", "--seconds", str(seconds), "--seeds", str(seeds),
               "--strategies", cells, "--out", str(out / "compare")]
    if (out / "compare" / "compare.json").is_file():
        command.append("--resume")
    with (out / "compare.log").open("a") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=True)


def run_keras_tuner(out: Path, seconds: float, seeds: int, reuse: list[Path]) -> list[dict]:
    results = []
    for seed in range(seeds):
        name = Path("keras_tuner") / f"seed{seed}.json"
        path = next((d / name for d in reuse if (d / name).is_file()), out / name)
        if not path.is_file():
            path.parent.mkdir(exist_ok=True)
            with (out / "keras_tuner.log").open("a") as log:
                subprocess.run([sys.executable, str(Path(__file__).with_name("keras_tuner_hyperband.py")),
                                "--compare", str(out / "compare"), "--seed", str(seed), "--seconds", str(seconds),
                                "--out", str(path)], stdout=log, stderr=subprocess.STDOUT, check=True)
        results.append(json.loads(path.read_text()))
    return results


def joined_cells(directories: list[Path], name: str) -> pd.DataFrame:
    """`compare/NAME` of each directory, a cell's rows taken from the last directory that has the cell."""
    frames = [pd.read_csv(d / "compare" / name).rename(columns=FITNESS_AS_MSE)
              for d in directories if (d / "compare" / name).is_file()]
    kept = []
    for i, frame in enumerate(frames):
        later = set().union(*(set(f["strategy"]) for f in frames[i + 1:]))
        kept.append(frame[~frame["strategy"].isin(later)])
    return pd.concat(kept, ignore_index=True)


# `compare` names its columns for any task's fitness; here the fitness is the autoencoder's MSE
FITNESS_AS_MSE = {"best_fitness": "best_val_mse", "test_fitness": "test_mse"}


def keras_tuner_rows(results: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keras Tuner's runs in the comparison's shapes: one results row per seed, one evaluation per trial."""
    runs = pd.DataFrame([{"strategy": KERAS_TUNER, "seed": r["seed"], "best_val_mse": r["best_val_mse"],
                          "test_mse": r["test_mse"], "latent_size": r["latent_size"],
                          "architecture": r["architecture"], "evaluations": len(r["trials"]),
                          "wall_seconds": r["wall_seconds"]} for r in results])
    trials = pd.DataFrame([{"strategy": KERAS_TUNER, "seed": r["seed"], "index": i, "wall_seconds": t["wall_seconds"],
                            "fitness": t["val_mse"] if t["val_mse"] is not None else np.inf,
                            "status": "ok" if t["val_mse"] is not None else "failed"}
                           for r in results for i, t in enumerate(r["trials"])])
    return runs, trials


def pca_by_seed(out: Path, seeds: int, latent: int = 16) -> dict[int, float]:
    base = SearchConfig.from_dict(json.loads((out / "compare" / "compare.json").read_text())["base"])
    dataset = load_dataset(base.data_dir, base.data_file)
    splits = [split(dataset, base.train_size, base.val_size, seed, base.test_size) for seed in range(seeds)]
    return {seed: pca_test_mse(s.x_train, s.x_test, latent) for seed, s in enumerate(splits)}


def one_sided(default: pd.Series, other: pd.Series) -> str:
    """Wins of `default` (lower test MSE) over `other` on the same seeds, and the one-sided p."""
    differences = (default - other).dropna().to_numpy()
    wins = int((differences < 0).sum())
    if not np.any(differences):
        return f"{wins}/{len(differences)}, p = 1"
    p = float(stats.wilcoxon(differences, alternative="less").pvalue)
    return f"{wins}/{len(differences)}, p = {p:.3f}"


def summary(results: pd.DataFrame, pca: dict[int, float], default: str) -> pd.DataFrame:
    results = results.assign(ratio=results["test_mse"] / results["seed"].map(pca))
    pivot = results.pivot(index="seed", columns="strategy", values="test_mse")
    ranks = pivot.rank(axis=1).mean()
    rows = []
    for strategy, group in results.groupby("strategy"):
        rows.append({"method": strategy, "median test MSE": round(group["test_mse"].median(), 5),
                     "median / PCA-16": round(group["ratio"].median(), 3),
                     "min - max": f"{group['test_mse'].min():.5f} - {group['test_mse'].max():.5f}",
                     "mean rank": round(ranks[strategy], 2), "median evaluations": group["evaluations"].median(),
                     "median wall s": round(group["wall_seconds"].median(), 1),
                     f"{default} lower (seeds, p)": "" if strategy == default
                     else one_sided(pivot[default], pivot[strategy])})
    return pd.DataFrame(rows).sort_values("median test MSE").reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=270,
                        help="wall time per run (default: 270, the default run's search time)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--strategies", default=CELLS, help=f"cells to run now (default: {CELLS}; \"\": none)")
    parser.add_argument("--default", default="ga", help="the cell the paired tests are about (default: ga)")
    parser.add_argument("--no-keras-tuner", action="store_true", help="leave Keras Tuner out")
    parser.add_argument("--reuse", type=Path, action="append", default=[],
                        help="an earlier --out whose cells join the table without running again (repeatable)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.strategies:
        run_comparison(args.out, args.seconds, args.seeds, args.strategies)
    directories = [*args.reuse, args.out]
    results, evaluations = joined_cells(directories, "results.csv"), joined_cells(directories, "evaluations.csv")
    if not args.no_keras_tuner:
        runs, trials = keras_tuner_rows(run_keras_tuner(args.out, args.seconds, args.seeds, args.reuse))
        results = pd.concat([results, runs], ignore_index=True)
        evaluations = pd.concat([evaluations, trials], ignore_index=True)
    table = summary(results, pca_by_seed(next(d for d in directories if (d / "compare").is_dir()), args.seeds),
                    args.default)
    text = markdown_table(table, digits=5)
    save_best_so_far_plots(evaluations, args.out)
    results.to_csv(args.out / "results.csv", index=False)
    (args.out / "summary.md").write_text(
        f"# Equal wall time: {args.seconds:g} s per run, {args.seeds} seeds\n\n{text}\n\n"
        f"Test MSE of each run's best model on 2,000 test images; PCA-16 on the same split. Paired one-sided "
        f"Wilcoxon tests: is `{args.default}` lower than each method on the same seeds?\n\n"
        "![best so far against seconds](best_vs_seconds.png)\n")
    print(text)


if __name__ == "__main__":
    main()
