"""Strategies where an evaluation costs microseconds (issue 33): every strategy x many seeds on a simulated
benchmark task, at equal simulated time, as anytime regret against simulated seconds.

The benchmarks (`archsearch.simulated`): `layered` (synthetic, known optimum), `surrogate` (a model of our
conv-autoencoder search fitted on the journals under --results, at code size --latent) and `lcbench`
(YAHPO Gym's LCBench surrogate on OpenML task --instance, read from --yahpo-data, a copy of
github.com/slds-lmu/yahpo_data; needs `pip install '.[benchmark]'`).

Each run is `archsearch.run_task(SimulatedTask(benchmark), SimulatedSettings(strategy, seed, seconds))`: the engine, its
ASHA rungs (the same ladder for every strategy; `optuna-hyperband` brings Optuna's pruner) and its time
box as in a real run, on two simulated workers. A run's incumbent at time t is the best evaluation
finished by t under the run's own selection rule (the highest rung first, then validation error); its
regret is that candidate's noise-free final error minus the optimum's. Reported per strategy: median and
interquartile range of the final regret, mean rank, and against random search (paired by seed): wins
and the one-sided Wilcoxon p that the strategy's regret is lower; and the median time each strategy
takes to reach random search's final median regret.

    python benchmarks/simulated_strategies.py [--benchmark layered|surrogate|lcbench] [--seeds 50]
        [--seconds 1800] [--strategies ga,random,...] [--plot FILE.png]
        [--results results/reference] [--latent 16] [--yahpo-data DIR] [--instance 189906]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from archsearch import run_task  # noqa: E402
from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.run.journal import Journal  # noqa: E402
from archsearch.simulated.task import NO_DATA, SimulatedSettings, SimulatedTask  # noqa: E402
from archsearch.strategies import STRATEGIES  # noqa: E402

GRID = 60  # points of each anytime curve


def incumbent_regret(records, times: np.ndarray) -> np.ndarray:
    """The regret of the run's incumbent at each of `times` (inf before anything finished)."""
    finished = sorted((r for r in records if r.result.ok), key=lambda r: (r.finished_at, r.index))
    out, best, position = np.full(len(times), math.inf), None, 0
    for i, t in enumerate(times):
        while position < len(finished) and finished[position].finished_at <= t:
            r = finished[position]
            if best is None or (-r.rung, r.result.fitness) < (-best.rung, best.result.fitness):
                best = r
            position += 1
        out[i] = best.result.metrics["regret"] if best is not None else math.inf
    return out


def one_run(task: SimulatedTask, strategy: str, seed: int, seconds: float, folder: Path,
            times: np.ndarray) -> np.ndarray:
    run_task(task, SimulatedSettings(strategy=strategy, seed=seed, seconds=seconds), folder, dataset=NO_DATA)
    return incumbent_regret(Journal(folder / "journal.jsonl").read(), times)


def time_to(curve: np.ndarray, times: np.ndarray, target: float) -> float:
    reached = np.nonzero(curve <= target)[0]
    return float(times[reached[0]]) if len(reached) else math.inf


def benchmark_of(args: argparse.Namespace):
    if args.benchmark == "surrogate":
        from archsearch.simulated.surrogate import Surrogate

        return Surrogate(args.results, latent=args.latent or None)
    if args.benchmark == "lcbench":
        from archsearch.simulated.lcbench import load_lcbench

        if args.yahpo_data is None:
            raise SystemExit("--benchmark lcbench needs --yahpo-data DIR (a copy of github.com/slds-lmu/yahpo_data)")
        return load_lcbench(args.yahpo_data, args.instance)
    from archsearch.simulated.layered import Layered

    return Layered()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", choices=("layered", "surrogate", "lcbench"), default="layered")
    parser.add_argument("--results", type=Path, default=REPOSITORY / "results" / "reference",
                        help="surrogate: the journals it is fitted on")
    parser.add_argument("--latent", type=int, default=16, help="surrogate: the code size (0: free)")
    parser.add_argument("--yahpo-data", type=Path, help="lcbench: a copy of github.com/slds-lmu/yahpo_data")
    parser.add_argument("--instance", default="189906", help="lcbench: the OpenML task")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=1800.0, help="simulated seconds per run")
    parser.add_argument("--strategies", default=",".join(sorted(STRATEGIES)))
    parser.add_argument("--plot", type=Path, help="write the anytime curves (median and interquartile band) here")
    args = parser.parse_args()
    strategies = args.strategies.split(",")
    task = SimulatedTask(benchmark_of(args))
    print(f"{task.benchmark.description}", flush=True)
    times = np.linspace(args.seconds / GRID, args.seconds, GRID)
    curves: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for strategy in strategies:
            curves[strategy] = np.array([one_run(task, strategy, seed, args.seconds,
                                                 Path(folder) / f"{strategy}-{seed}", times)
                                         for seed in range(args.seeds)])
            print(f"{strategy}: {args.seeds} runs, {time.perf_counter() - started:.0f} s so far", flush=True)
    final = pd.DataFrame({s: c[:, -1] for s, c in curves.items()})
    ranks = final.rank(axis=1).mean()
    target = final["random"].median() if "random" in final else math.nan
    rows = []
    for strategy in strategies:
        row = {"strategy": strategy, "median regret": final[strategy].median(),
               "q25": final[strategy].quantile(0.25), "q75": final[strategy].quantile(0.75),
               "mean rank": ranks[strategy],
               "median time to random's final median, s": np.median([time_to(c, times, target)
                                                                     for c in curves[strategy]])}
        if "random" in final and strategy != "random":
            diff = final[strategy] - final["random"]
            row["lower than random (seeds)"] = int((diff < 0).sum())
            row["p (lower than random)"] = wilcoxon(diff, alternative="less").pvalue if diff.any() else 1.0
        rows.append(row)
    table = pd.DataFrame(rows)
    print(f"\n{args.seeds} seeds x {len(strategies)} strategies, {args.seconds:g} simulated s each, "
          f"{time.perf_counter() - started:.0f} s of real time\n")
    print(markdown_table(table))
    if args.plot:
        save_curves(curves, times, args.plot, task.name)
    return 0


def save_curves(curves: dict[str, np.ndarray], times: np.ndarray, path: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    for strategy, curve in curves.items():
        finite = np.where(np.isfinite(curve), curve, np.nan)
        median = np.nanmedian(finite, axis=0)
        axes.plot(times, median, label=strategy)
        axes.fill_between(times, np.nanquantile(finite, 0.25, axis=0), np.nanquantile(finite, 0.75, axis=0),
                          alpha=0.15)
    axes.set(xlabel="simulated seconds", ylabel="regret of the incumbent (median, interquartile band)",
             title=f"{name}: anytime regret")
    # regret below 0 (a surrogate's best known beaten) needs a scale that crosses 0
    low = min(np.nanmin(np.where(np.isfinite(c), c, np.nan)) for c in curves.values())
    axes.set_yscale("log") if low > 0 else axes.set_yscale("symlog", linthresh=1e-4)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
