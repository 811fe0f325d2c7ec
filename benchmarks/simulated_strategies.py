"""Strategies where an evaluation costs microseconds (issue 33): every strategy x many seeds on a simulated
benchmark task, at equal simulated time, as anytime regret against simulated seconds.

The benchmarks (`archsearch.simulated.catalog`): `layered` (synthetic, known optimum), `surrogate` (a
model of our conv-autoencoder search fitted on the journals under --data-dir, at a code size of 16 unless
named) and `lcbench` (YAHPO Gym's LCBench surrogate, read from --data-dir, a copy of
github.com/slds-lmu/yahpo_data; needs `pip install '.[benchmark]'`). `archsearch compare --task NAME
--seconds S` runs the same and keeps every run's journal, tables and plots; this script keeps only the
curves (--save), for many seeds and variants of the default strategy under trial (`VARIANTS`).

Each run is `archsearch.run_task(SimulatedTask(benchmark), SimulatedSettings(strategy, seed, seconds))`:
the engine, its ASHA rungs (the same ladder for every strategy; `optuna-hyperband` brings Optuna's
pruner) and its time box as in a real run, on two simulated workers. A run's incumbent at time t is the
best evaluation finished by t under the run's own selection rule (`comparison.anytime`: the highest rung
first, then validation error); its regret is that candidate's noise-free final error minus the best
known. Reported per strategy: median and
interquartile range of the final regret, mean rank, and against random search (paired by seed): wins
and the one-sided Wilcoxon p that the strategy's regret is lower; and the median time each strategy
takes to reach random search's final median regret.

    python benchmarks/simulated_strategies.py [--benchmark layered|surrogate|lcbench] [--data-dir DIR]
        [--seeds 50] [--seconds 1800] [--strategies ga,random,...] [--plot FILE.png] [--save FILE.npz]
    python benchmarks/simulated_strategies.py --load FILE.npz [--default ga] [--plot FILE.png]
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
from archsearch.comparison.anytime import incumbent_curve, time_to  # noqa: E402
from archsearch.run.journal import Journal  # noqa: E402
from archsearch.simulated.catalog import load_benchmark  # noqa: E402
from archsearch.simulated.task import NO_DATA, SimulatedSettings, SimulatedTask  # noqa: E402
from archsearch.strategies import STRATEGIES  # noqa: E402

GRID = 60  # points of each anytime curve
# Variants of the default strategy under trial (name: its options), run like any strategy by naming them
VARIANTS = {"ga-rung": {"by_rung": True}, "ga-screen": {"screen": 8}, "ga-rung-screen": {"by_rung": True, "screen": 8},
            "ga-prior25": {"prior": 0.25}, "ga-prior50": {"prior": 0.5}, "ga-prior75": {"prior": 0.75},
            "random-prior50": {"prior": 0.5}}


def register_variants() -> None:
    from archsearch.strategies.base import register_strategy

    for name, options in VARIANTS.items():
        options = dict(options)
        prior = options.pop("prior", 0.0)
        base = STRATEGIES[name.split("-")[0]]

        def __init__(self, space, rng, population=8, _base=base, _options=options):
            _base.__init__(self, space, rng, population, **_options)

        register_strategy(type(name, (base,), {"name": name, "__init__": __init__, "default_prior": prior}))


def one_run(task: SimulatedTask, strategy: str, seed: int, seconds: float, folder: Path,
            times: np.ndarray) -> np.ndarray:
    run_task(task, SimulatedSettings(strategy=strategy, seed=seed, seconds=seconds), folder, dataset=NO_DATA)
    return incumbent_curve(Journal(folder / "journal.jsonl").read(), times, "regret")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="layered",
                        help="layered, surrogate[:CODE_SIZE|free] or lcbench[:OPENML_TASK] (as compare --task)")
    parser.add_argument("--data-dir", help="surrogate: the run directories it is fitted on (default: the "
                                           "repository's results/reference); lcbench: a copy of yahpo_data")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=1800.0, help="simulated seconds per run")
    parser.add_argument("--strategies", default=",".join(sorted(STRATEGIES)))
    parser.add_argument("--plot", type=Path, help="write the anytime curves (median and interquartile band) here")
    parser.add_argument("--save", type=Path, help="keep every run's anytime curve here (.npz) to report again")
    parser.add_argument("--load", type=Path, help="report the curves a --save kept, running nothing")
    parser.add_argument("--default", default="ga", help="the strategy the others are tested against (default: ga)")
    args = parser.parse_args()
    register_variants()
    started = time.perf_counter()
    if args.load:
        kept = np.load(args.load)
        name, times = str(kept["benchmark"]), kept["times"]
        curves = {key[len("curve:"):]: kept[key] for key in kept.files if key.startswith("curve:")}
        print(str(kept["description"]))
    else:
        data_dir = args.data_dir or (str(REPOSITORY / "results" / "reference")
                                     if args.benchmark.startswith("surrogate") else None)
        task = SimulatedTask(load_benchmark(args.benchmark, data_dir))
        name, times = task.name, np.linspace(args.seconds / GRID, args.seconds, GRID)
        print(f"{task.benchmark.description}", flush=True)
        curves = run_all(task, args.strategies.split(","), args.seeds, args.seconds, times, started)
        if args.save:
            np.savez(args.save, benchmark=name, description=task.benchmark.description, times=times,
                     **{f"curve:{s}": c for s, c in curves.items()})
    table = report(curves, times, args.default)
    seeds = len(next(iter(curves.values())))
    print(f"\n{seeds} seeds x {len(curves)} strategies, {times[-1]:g} simulated s each, "
          f"{time.perf_counter() - started:.0f} s of real time\n")
    print(markdown_table(table))
    if args.plot:
        save_curves(curves, times, args.plot, name)
    return 0


def run_all(task: SimulatedTask, strategies: list[str], seeds: int, seconds: float, times: np.ndarray,
            started: float) -> dict[str, np.ndarray]:
    curves = {}
    with tempfile.TemporaryDirectory() as folder:
        for strategy in strategies:
            curves[strategy] = np.array([one_run(task, strategy, seed, seconds, Path(folder) / f"{strategy}-{seed}",
                                                 times) for seed in range(seeds)])
            print(f"{strategy}: {seeds} runs, {time.perf_counter() - started:.0f} s so far", flush=True)
    return curves


def paired_p(first: pd.Series, second: pd.Series, alternative: str) -> float:
    """The one-sided paired Wilcoxon p that `first` is lower ("less") or higher ("greater") than `second`."""
    diff = first - second
    return wilcoxon(diff, alternative=alternative).pvalue if diff.any() else 1.0


def report(curves: dict[str, np.ndarray], times: np.ndarray, default: str) -> pd.DataFrame:
    """Per strategy: final regret (median, quartiles, mean rank), the median time to random search's final
    median, against random search (wins, p lower) and against `default` (p that `default` is higher)."""
    final = pd.DataFrame({s: c[:, -1] for s, c in curves.items()})
    ranks = final.rank(axis=1).mean()
    target = final["random"].median() if "random" in final else math.nan
    rows = []
    for strategy in curves:
        row = {"strategy": strategy, "median regret": final[strategy].median(),
               "q25": final[strategy].quantile(0.25), "q75": final[strategy].quantile(0.75),
               "mean rank": ranks[strategy],
               "median time to random's final median, s": np.median([time_to(c, times, target)
                                                                     for c in curves[strategy]])}
        if "random" in final and strategy != "random":
            row["lower than random (seeds)"] = int((final[strategy] < final["random"]).sum())
            row["p (lower than random)"] = paired_p(final[strategy], final["random"], "less")
        if default in final and strategy != default:
            row[f"p ({default} higher)"] = paired_p(final[default], final[strategy], "greater")
        rows.append(row)
    return pd.DataFrame(rows)


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
