"""The Pareto front of a run: candidates that no other beats on both validation loss and size.

This is what a multi-objective search (`nsga2`) returns instead of a single winner; `pareto.csv` and
`pareto.png` in its run directory show it, and `archsearch export RUN --pareto` retrains its members.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from archsearch.analysis.plots import save_pareto_plot
from archsearch.records import EvaluationRecord


def pareto_front(records: Sequence[EvaluationRecord]) -> list[EvaluationRecord]:
    """The non-dominated successful evaluations (one per genome), from smallest to largest."""
    candidates: dict[str, EvaluationRecord] = {}
    for r in sorted(records, key=lambda r: r.index):
        if r.result.ok:
            candidates.setdefault(r.genome.key, r)
    ordered = sorted(candidates.values(), key=lambda r: (r.result.params, r.result.fitness, r.index))
    front, best_loss = [], float("inf")
    for r in ordered:  # by size: a candidate is on the front when it beats every smaller one's loss
        if r.result.fitness < best_loss:
            front.append(r)
            best_loss = r.result.fitness
    return front


def pareto_table(front: Sequence[EvaluationRecord], fitness_name: str = "val_mse") -> pd.DataFrame:
    return pd.DataFrame([{"index": r.index, fitness_name: r.result.fitness, "params": r.result.params,
                          **r.genome.table_columns(), "architecture": r.genome.describe(),
                          "genome": r.genome.to_json()} for r in front])


def write_pareto(records: Sequence[EvaluationRecord], run_dir: Path, title: str = "",
                 fitness_name: str = "val_mse") -> list[EvaluationRecord]:
    """Writes `pareto.csv` and `pareto.png` into the run directory; returns the front."""
    front = pareto_front(records)
    pareto_table(front, fitness_name).to_csv(run_dir / "pareto.csv", index=False)
    evaluated = [(r.result.params, r.result.fitness) for r in records if r.result.ok]
    save_pareto_plot({title or "run": (evaluated, [(r.result.params, r.result.fitness) for r in front])},
                     run_dir / "pareto.png", ylabel=fitness_name.replace("_", " "))
    return front
