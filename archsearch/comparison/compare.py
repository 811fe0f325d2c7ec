"""`archsearch compare`: every strategy on every seed with the same budget, then tables, words and plots.

Equal terms: on seed k every strategy gets exactly `budget` evaluations (repeats count), or with
`seconds` the same wall time (multi-fidelity searches spend unequal compute per evaluation: no job
starts after the time box, those running finish). Every candidate is trained with the same settings on
the same data split and with the same per-genome training seed, so a genome two strategies both find
scores the same for both. A cell is a strategy, or STRATEGY:FIDELITY (`ga:full`: every candidate trained
to the top budget, no cheaper rungs) under a time box. Seeds are the pairs of the paired tests. Each
strategy x seed is an ordinary run directory under `runs/`, so rerunning the same command resumes where
it stopped. One worker pool serves all runs of a seed.

Any task compares (`task`, a `run.task.Task`: the autoencoder by default, `tasks.run.KerasTaskRun` for
your own): its settings, space, evaluator (scoring the test data too) and candidate key; the autoencoder's
comparison adds its vanilla baseline (one dense bottleneck layer) for each latent size the runs chose.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from archsearch.analysis.pareto import pareto_front
from archsearch.analysis.run_reports import standard_reports
from archsearch.analysis.tables import best_records
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.task import AUTOENCODER, AutoencoderTask
from archsearch.comparison.anytime import anytime_curves, time_to_target
from archsearch.comparison.cells import check_comparison, comparison_cell
from archsearch.comparison.plots import (
    save_anytime_plot,
    save_best_so_far_plots,
    save_final_loss_plot,
    save_improvement_plot,
    save_nsga2_fronts,
)
from archsearch.comparison.statistics import run_evaluations, run_result, strategy_summary, summary_markdown
from archsearch.core.data import Dataset, DataSplits, load_dataset, split
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import EvaluationRecord
from archsearch.core.rungs import Rungs
from archsearch.run.candidates import Evaluator, Observer, candidate_seed
from archsearch.run.dask_pool import check_scheduler_of
from archsearch.run.engine import executor_for
from archsearch.run.run_dir import CONFIG, SPACE, prepare_run_dir
from archsearch.run.runner import check_clock, on_clock, run_search
from archsearch.run.settings import RunSettings
from archsearch.run.task import Task

DEFAULT_STRATEGIES = ("random", "tournament", "evolution", "de", "ga", "nsga2", "optuna-tpe")
VANILLA = "vanilla.csv"
# (a seed's settings, its data split, the comparison's directory) -> the evaluator its runs share
EvaluatorFactory = Callable[[RunSettings, DataSplits, Path], AbstractContextManager[Evaluator]]


@dataclass
class ComparisonReport:
    out: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    files: list[str]


def vanilla_genome(latent_size: int) -> Genome:
    """Input, one dense bottleneck layer, output: the autoencoder every search should beat."""
    return Genome(encoder=(), latent_size=latent_size)


def compare(base: RunSettings, out: str | Path, strategies: Sequence[str] = DEFAULT_STRATEGIES, seeds: int = 3,
            budget: int = 40, dataset: Dataset | None = None, observer: Observer | None = None,
            command: str = "", evaluators: EvaluatorFactory | None = None,
            seconds: float | None = None, task: Task = AUTOENCODER) -> ComparisonReport:
    """Runs (or resumes) every cell (strategy[:fidelity]) x seed of `task`, then writes results.csv,
    evaluations.csv, summary.md and the plots into `out`. With `seconds`, each run gets that wall time
    instead of `budget` evaluations. `evaluators` replaces the task's worker pool (tests use a toy fitness)."""
    out = Path(out)
    check_comparison(task, base, strategies, seeds, budget, seconds)
    check_clock(task, base)
    if evaluators is None:
        check_scheduler_of(base)
    dataset = dataset or load_dataset(base.data_dir, base.data_file)
    if seconds is None:
        base = replace(base, fidelity="off")  # equal evaluations are equal terms only when they cost the same
    if base.clock is None:  # the task's own default: a comparison is at equal wall time, its peers' clock
        base = replace(base, clock="wall")
    base = task.fit(base, dataset)
    out.mkdir(parents=True, exist_ok=True)
    full = [c for c in strategies if comparison_cell(c)[1] == "full"]
    settings = {"command": f"`{command}`" if command else "(library call)", "strategies": ", ".join(strategies),
                "seeds": seeds,
                "budget": (f"{seconds:g} s of wall time per run (no job starts later; each run's best is chosen "
                           "among the evaluations finished by then)"
                           if seconds is not None else f"{budget} evaluations per run"),
                "training": f"{base.candidate_training()}"
                            + (f" ({', '.join(full)}: {replace(base, fidelity='full').candidate_training()})"
                               if full else "") + f", at most {base.max_params:,} parameters",
                "validation / test samples": f"{base.val_size} / {len(dataset.x_test[:base.test_size])}",
                "space": base.space or task.name, "fitness": base.fitness_label, "data": dataset.source}
    (out / "compare.json").write_text(json.dumps({"task": task.name, "base": base.to_dict(),
                                                  "strategies": list(strategies),
                                                  "seeds": seeds, "budget": budget, "seconds": seconds},
                                                 indent=2) + "\n")
    runs: dict[tuple[str, int], list[EvaluationRecord]] = {}
    vanilla = _read_vanilla(out)
    open_one = evaluators or (lambda config, splits, directory: task.evaluator(config, splits, directory,
                                                                                 score_test=True))
    for seed in range(seeds):
        seed_config = replace(base, seed=seed, budget=None if seconds is not None else budget, seconds=seconds,
                              time_limit=None)  # equal terms: no run is cut short by the search's own limit
        splits = split(dataset, base.train_size, base.val_size, seed, base.test_size)
        with open_one(seed_config, splits, out) as evaluator:
            for cell in strategies:
                strategy, fidelity = comparison_cell(cell)
                config = seed_config.with_overrides(strategy=strategy, fidelity=fidelity)
                runs[(cell, seed)] = _run_cell(task, config, out / "runs" / f"{cell.replace(':', '-')}-seed{seed}",
                                               on_clock(task, config, splits, evaluator), observer, cell)
            if isinstance(task, AutoencoderTask):
                bests = [best_records(records, 1) for (_, s), records in runs.items() if s == seed]
                vanilla = _add_vanilla(vanilla, evaluator, seed,
                                       sorted({b[0].genome.latent_size for b in bests if b}), base.rungs)
    if isinstance(task, AutoencoderTask):
        vanilla.to_csv(out / VANILLA, index=False)
    return write_comparison(out, runs, vanilla, settings, seconds)


def _run_cell(task: Task, config: RunSettings, run_dir: Path, evaluator: Evaluator,
              observer: Observer | None, label: str) -> list[EvaluationRecord]:
    resume = (run_dir / CONFIG).is_file()
    config = prepare_run_dir(config, run_dir, resume, task.space_document(config))
    if observer is not None and hasattr(observer, "start_run"):
        observer.start_run(label, config.seed)
    records = run_search(config, run_dir, task.space(config, run_dir / SPACE), evaluator, resume, observer,
                         task.candidate_key(config), standard_reports)
    if observer is not None and hasattr(observer, "end_run"):
        observer.end_run(records)
    return records


def _read_vanilla(out: Path) -> pd.DataFrame:
    if (out / VANILLA).is_file():
        return pd.read_csv(out / VANILLA)
    return pd.DataFrame(columns=["seed", "latent_size", "val_mse", "test_mse", "params"])


def _add_vanilla(vanilla: pd.DataFrame, evaluator: Evaluator, seed: int, latents: list[int],
                 rungs: Rungs | None) -> pd.DataFrame:
    """Trains the vanilla autoencoder of each latent size this seed's runs used (once; kept in vanilla.csv),
    with fidelities to the top budget in one go, as the runs' best were trained."""
    done = set(vanilla.loc[vanilla["seed"] == seed, "latent_size"])
    genomes = [vanilla_genome(latent) for latent in latents if latent not in done]
    top = None if rungs is None else Fidelity(rungs.budgets[-1], rungs.budgets[-1])
    futures = [executor_for(evaluator).submit(g, candidate_seed(seed, g), (), top) for g in genomes]
    rows = []
    for genome, future in zip(genomes, futures):
        result = future.result()
        rows.append({"seed": seed, "latent_size": genome.latent_size, "val_mse": result.fitness,
                     "test_mse": result.metrics.get("test_mse", float("nan")), "params": result.params})
    if not rows:
        return vanilla
    added = pd.DataFrame(rows)
    combined = added if vanilla.empty else pd.concat([vanilla, added], ignore_index=True)
    return combined.sort_values(["seed", "latent_size"]).reset_index(drop=True)


def write_comparison(out: Path, runs: dict[tuple[str, int], list[EvaluationRecord]], vanilla: pd.DataFrame,
                     settings: dict, seconds: float | None = None) -> ComparisonReport:
    """Derives every file of the comparison from the runs' records (cheap: no training); with a time box,
    each run is judged by what it had finished by then."""
    results = pd.DataFrame([run_result(strategy, seed, records, seconds)
                            for (strategy, seed), records in runs.items()])
    evaluations = pd.concat([run_evaluations(strategy, seed, records)
                             for (strategy, seed), records in runs.items()], ignore_index=True)
    results.to_csv(out / "results.csv", index=False)
    evaluations.to_csv(out / "evaluations.csv", index=False)
    fitness = settings.get("fitness", "val MSE")
    plots = save_best_so_far_plots(evaluations, out, fitness)
    save_final_loss_plot(results, out / "final_loss.png", fitness)
    plots.append("final_loss.png")
    improvement = _improvement_over_vanilla(results, vanilla)
    if not improvement.empty:
        save_improvement_plot(improvement, out / "improvement_vs_vanilla.png")
        plots.append("improvement_vs_vanilla.png")
    fronts = {seed: [(float(r.result.params), r.result.fitness) for r in pareto_front(records)]
              for (strategy, seed), records in runs.items() if strategy == "nsga2"}
    if fronts:
        save_nsga2_fronts(evaluations, fronts, out / "nsga2_pareto.png")
        plots.append("nsga2_pareto.png")
    times, curves, measure = anytime_curves(runs, seconds)
    save_anytime_plot(times, curves, measure, out / "anytime.png", fitness)
    plots.append("anytime.png")
    reaching = time_to_target(times, curves)
    (out / "summary.md").write_text(summary_markdown(results, settings, vanilla, plots, reaching, measure))
    return ComparisonReport(out, results, strategy_summary(results), plots)


def _improvement_over_vanilla(results: pd.DataFrame, vanilla: pd.DataFrame) -> pd.DataFrame:
    """Each run's best against the vanilla autoencoder of its seed and latent size, on test MSE (on
    validation MSE where no test score was taken)."""
    found = results.dropna(subset=["best_fitness", "latent_size"])
    if found.empty or vanilla.empty:
        return pd.DataFrame()
    found = found.astype({"latent_size": int, "seed": int})
    merged = found.merge(vanilla.astype({"latent_size": int, "seed": int}), on=["seed", "latent_size"],
                         suffixes=("", "_vanilla"))
    ours = merged["test_fitness"].fillna(merged["best_fitness"])
    theirs = merged["test_mse"].fillna(merged["val_mse"])
    merged["improvement"] = 100 * (theirs - ours) / theirs
    return merged[["strategy", "seed", "params", "improvement", "architecture"]]
