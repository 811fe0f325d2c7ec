"""The Pareto front of a run: candidates that no other beats on validation loss and every other objective.

This is what a multi-objective search (`nsga2`) returns instead of a single winner; `pareto.csv` and
`pareto.png` in its run directory show it, and `archsearch export RUN --pareto` retrains its members.
The other objectives are the run's (`archsearch.core.objectives`): the model's size unless it chose latent
metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from archsearch.analysis.plots import save_pareto_plot
from archsearch.core.objectives import DEFAULT_OBJECTIVES, LATENT_PREFIX, Objective, objective_values, parse_objectives
from archsearch.core.records import EvaluationRecord

DEFAULT = parse_objectives(DEFAULT_OBJECTIVES)


def pareto_front(records: Sequence[EvaluationRecord],
                 objectives: Sequence[Objective] = DEFAULT) -> list[EvaluationRecord]:
    """The non-dominated successful evaluations (one per genome: its most trained, in a multi-fidelity
    run; of equal scores, the earliest), ordered by the first other objective (smallest first), then loss."""
    candidates: dict[str, EvaluationRecord] = {}
    for r in sorted(records, key=lambda r: (-r.rung, r.index)):
        if r.result.ok:
            candidates.setdefault(r.genome.key, r)
    ordered = list(candidates.values())
    if not ordered:
        return []
    points = np.array([objective_values(r.result, objectives) for r in ordered])
    front = []
    for i, point in enumerate(points):
        no_worse = np.all(points <= point, axis=1)
        dominated = np.any(no_worse & np.any(points < point, axis=1))
        tied_earlier = np.any(np.all(points[:i] == point, axis=1))
        if np.all(np.isfinite(point)) and not dominated and not tied_earlier:
            front.append((tuple(point[1:]), point[0], ordered[i].index, ordered[i]))
    return [r for *_, r in sorted(front, key=lambda item: item[:3])]


def pareto_table(front: Sequence[EvaluationRecord], fitness_name: str = "val_mse",
                 objectives: Sequence[Objective] = DEFAULT) -> pd.DataFrame:
    """One row per member: its scores (the latent metrics as measured, not as minimised) and genome."""
    latent = [o.name for o in objectives if o.is_latent]
    return pd.DataFrame([{"index": r.index, fitness_name: r.result.fitness, "params": r.result.params,
                          **{LATENT_PREFIX + n: r.result.metrics.get(LATENT_PREFIX + n) for n in latent},
                          **r.genome.table_columns(), "architecture": r.genome.describe(),
                          "genome": r.genome.to_json()} for r in front])


def write_pareto(records: Sequence[EvaluationRecord], run_dir: Path, title: str = "",
                 fitness_name: str = "val_mse", objectives: Sequence[Objective] = DEFAULT) -> list[EvaluationRecord]:
    """Writes `pareto.csv` and `pareto.png` into the run directory; returns the front."""
    front = pareto_front(records, objectives)
    pareto_table(front, fitness_name, objectives).to_csv(run_dir / "pareto.csv", index=False)

    def points(chosen: Sequence[EvaluationRecord]) -> list[tuple[float, ...]]:
        scored = (objective_values(r.result, objectives) for r in chosen if r.result.ok)
        return [(*values[1:], values[0]) for values in scored if np.all(np.isfinite(values))]

    save_pareto_plot({title or "run": (points(records), points(front))}, run_dir / "pareto.png",
                     ylabel=fitness_name.replace("_", " "),
                     axes=[(o.label, o.name == "params") for o in objectives])
    return front
