"""The tables and words of a strategy comparison, derived from the runs' journals.

One run per strategy and seed, each with the same budget. `results.csv` has a row per run; the summary
gives each strategy's median and spread of the best fitness (the task's, minimised: validation MSE for the
autoencoder, 1 - validation accuracy for a classifier), its mean rank over seeds, and paired tests (seeds
are the pairs: within a seed every strategy has the same data split and training seeds) against the
baselines (`BASELINES`), each direction one-sided. `test_fitness` is the same measure on the test data,
where the evaluator scored it (`test_fitness`, or the autoencoder's `test_mse`); on a simulated benchmark
the best's `regret` is tested too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from archsearch.analysis.tables import best_records, evaluations_frame
from archsearch.core.records import EvaluationRecord

BASELINES = ("random", "optuna-tpe", "optuna-hyperband", "dehb")


def wall_seconds(records: Sequence[EvaluationRecord]) -> np.ndarray:
    """Seconds since the run started at which each record finished, pauses removed: the gap between two
    finishes counts at most the later evaluation's own duration (a resumed run's break is not charged;
    concurrent workers are, once)."""
    order = sorted(range(len(records)), key=lambda i: (records[i].finished_at, records[i].index))
    elapsed, clock, previous = np.zeros(len(records)), 0.0, None
    for i in order:
        own = 0.0 if records[i].cached_from is not None else records[i].result.seconds
        gap = own if previous is None else min(max(records[i].finished_at - previous, 0.0), own)
        clock += gap
        elapsed[i], previous = clock, records[i].finished_at
    return elapsed


def test_fitness(record: EvaluationRecord) -> float:
    """The record's fitness measured on the test data (NaN where it was not scored there)."""
    metrics = record.result.metrics
    return metrics.get("test_fitness", metrics.get("test_mse", math.nan))


def run_evaluations(strategy: str, seed: int, records: Sequence[EvaluationRecord]) -> pd.DataFrame:
    """The run's evaluations with its strategy, seed and wall clock."""
    frame = evaluations_frame(records)
    frame.insert(0, "seed", seed)
    frame.insert(0, "strategy", strategy)
    frame["wall_seconds"] = np.round(wall_seconds(records), 3)
    frame["test_fitness"] = [test_fitness(r) for r in records]
    return frame


def run_result(strategy: str, seed: int, records: Sequence[EvaluationRecord], seconds: float | None = None) -> dict:
    """One row of results.csv: the run's best candidate and what the run spent. With a time box of
    `seconds`, the best is chosen among the evaluations finished by then (jobs running at the time box
    finish and are recorded, but a run is judged as it stood at its time), so every run gets equal time."""
    clock = wall_seconds(records)
    best = best_records([r for r, t in zip(records, clock) if seconds is None or t <= seconds], 1)
    top = best[0] if best else None
    trained = [r for r in records if r.cached_from is None]
    return {
        "strategy": strategy, "seed": seed,
        "best_fitness": top.result.fitness if top else math.nan,
        "test_fitness": test_fitness(top) if top else math.nan,
        "regret": top.result.metrics.get("regret", math.nan) if top else math.nan,  # a simulated benchmark's
        "params": top.result.params if top else None,
        "latent_size": getattr(top.genome, "latent_size", None) if top else None,
        "architecture": top.genome.describe() if top else "",
        "evaluations": len(records), "trained": len(trained),
        "failed": sum(not r.result.ok for r in records),
        "epochs": sum(r.result.epochs for r in trained),
        "wall_seconds": round(float(clock.max(initial=0.0)), 1),
        "core_seconds": round(sum(r.result.seconds for r in trained), 1),
        "best_genome": top.genome.to_json() if top else "",
    }


def strategy_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: median and spread of the best fitness, its test fitness, mean rank and spend."""
    ranks = results.groupby("seed")["best_fitness"].rank(method="average")
    table = results.assign(rank=ranks).groupby("strategy").agg(
        median_best=("best_fitness", "median"),
        q25=("best_fitness", lambda v: v.quantile(0.25)), q75=("best_fitness", lambda v: v.quantile(0.75)),
        min=("best_fitness", "min"), max=("best_fitness", "max"),
        median_test=("test_fitness", "median"), mean_rank=("rank", "mean"), seeds=("seed", "count"),
        evaluations=("evaluations", "median"), epochs=("epochs", "median"), wall_seconds=("wall_seconds", "median"),
    )
    return table.sort_values(["mean_rank", "median_best"]).reset_index()


def paired_test(results: pd.DataFrame, strategy: str, baseline: str, column: str = "best_fitness") -> str:
    """In plain words: how often `strategy` beat `baseline` on the same seed, and whether it is significantly
    lower or higher (one-sided Wilcoxon signed-rank tests of each direction)."""
    pivot = results.pivot(index="seed", columns="strategy", values=column)[[strategy, baseline]].dropna()
    differences = (pivot[strategy] - pivot[baseline]).to_numpy()
    n = len(differences)
    if n == 0:
        return f"`{strategy}` vs `{baseline}`: no seed where both finished."
    wins, losses = int((differences < 0).sum()), int((differences > 0).sum())
    head = (f"`{strategy}` vs `{baseline}`: lower on {wins} of {n} seeds, higher on {losses}, "
            f"median difference {np.median(differences):+.5f}")
    if wins + losses == 0:
        return head + "; the same best loss on every seed."
    lower = float(stats.wilcoxon(differences, alternative="less", zero_method="wilcox").pvalue)
    higher = float(stats.wilcoxon(differences, alternative="greater", zero_method="wilcox").pvalue)
    verdict = ("lower, significant" if lower < 0.05 else "higher, significant" if higher < 0.05
               else "no significant difference")
    return f"{head}; p = {_p(lower)} that it is lower, {_p(higher)} that it is higher: {verdict} at the 5% level."


def _p(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def summary_markdown(results: pd.DataFrame, settings: dict, vanilla: pd.DataFrame, plots: Sequence[str],
                     reaching: pd.DataFrame | None = None, measure: str = "validation") -> str:
    """summary.md: the settings, the table, the paired tests, how fast each strategy reached random
    search's final result (`reaching`, from `anytime.time_to_target`) and the plots, for people to read."""
    table = strategy_summary(results)
    fitness = settings.get("fitness", "val MSE")
    test = fitness.replace("val", "test", 1)  # "val MSE" -> "test MSE", "1 - val auc" -> "1 - test auc"
    lines = ["# Strategy comparison", ""]
    lines += [f"- {name}: {value}" for name, value in settings.items()]
    lines += ["", f"Every strategy had the same budget on each seed ({settings.get('budget', 'as above')}); "
              "within a seed, the same data split and training seeds. Lower is better; rank 1 is the best of a "
              "seed (mean over seeds).", "",
              f"| rank | strategy | median best {fitness} | IQR | min - max | median {test} | mean rank "
              "| evaluations | epochs | wall s |",
              "| ---: | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for position, row in enumerate(table.itertuples(), start=1):
        lines.append(f"| {position} | {row.strategy} | {row.median_best:.5f} | {row.q25:.5f} - {row.q75:.5f} "
                     f"| {row.min:.5f} - {row.max:.5f} | {row.median_test:.5f} | {row.mean_rank:.2f} "
                     f"| {row.evaluations:.0f} | {row.epochs:.0f} | {row.wall_seconds:.0f} |")
    n = results["seed"].nunique()
    lines += ["", "## Paired tests (seeds are the pairs)", "",
              f"Each line: on how many seeds the strategy's best {fitness} was lower than the baseline's "
              "on the same seed, the median difference (negative: the strategy is better), and one-sided "
              "Wilcoxon signed-rank tests of 'the strategy finds lower values' and of 'higher' (seeds with equal "
              f"values are left out). With {n} seeds the smallest p any test can reach is {0.5 ** n:.3f}"
              + (", so none can be significant at 5%: use more seeds for a verdict." if 0.5 ** n >= 0.05 else "."),
              ""]
    strategies = list(table["strategy"])
    tested = [("best_fitness", f"Best {fitness} (what each search selects by)")]
    if results["test_fitness"].notna().all():
        tested.append(("test_fitness", f"The {test} of each run's best candidate (held-out data: the final measure)"))
    if "regret" in results and results["regret"].notna().all():
        tested.append(("regret", "The regret of each run's best candidate (a simulated benchmark's final measure: "
                                 "its noise-free error at the top budget minus the best known)"))
    for column, heading in tested:
        lines += [f"### {heading}", ""]
        for baseline in BASELINES:
            if baseline not in strategies:
                lines.append(f"- `{baseline}` was not in this comparison.")
                continue
            lines += [f"- {paired_test(results, s, baseline, column)}" for s in strategies if s != baseline]
        lines.append("")
    if reaching is not None and not reaching.empty:
        lines += _reaching_lines(reaching, measure, fitness)
    if not vanilla.empty:
        lines += ["", "## Vanilla autoencoder (input, one dense bottleneck layer, output), same training", "",
                  "| seed | latent | val MSE | test MSE | params |", "| ---: | ---: | ---: | ---: | ---: |"]
        lines += [f"| {r.seed} | {r.latent_size} | {r.val_mse:.5f} | {r.test_mse:.5f} | {r.params:,} |"
                  for r in vanilla.itertuples()]
    lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    return "\n".join(lines) + "\n"


def _reaching_lines(reaching: pd.DataFrame, measure: str, fitness: str) -> list[str]:
    what = {"regret": "regret", "test": fitness.replace("val", "test", 1)}.get(measure, fitness)
    target = reaching["target"].iloc[0]
    lines = ["## Time to random search's final result", "",
             f"Each run's incumbent (its choice had it stopped then: the highest rung first, then the fitness) "
             f"against time (`anytime.png`); here the seconds until its {what} first reached random search's "
             f"final median ({target:.5g}): the median over seeds (inf: not reached by half of them), and "
             "that as a share of the run's time.", "",
             "| strategy | median seconds | seeds reaching | share of the time |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {r.strategy} | {r.median_seconds:.0f} | {r.seeds_reaching} of {r.seeds} | {r.share_of_time:.2f} |"
              for r in reaching.sort_values("median_seconds").itertuples()]
    return lines + [""]
