"""What a multi-objective search (`nsga2`) minimises beside the validation loss.

By default that is the model's size. It can instead, or as well, be what the latent space knows about
the classes: the latent metrics that `archsearch latent` reports, measured on each candidate's
validation codes (`latent.metrics`). Those metrics are maximised, so the search minimises
1 - metric, like every other fitness of archsearch. Everything here reads finished results: no Keras.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from archsearch.core.errors import ArchsearchError
from archsearch.core.records import WORST_FITNESS, EvaluationResult

# The metric names of `analysis.latent_quality.LatentQuality`, as the evaluators store them in
# `EvaluationResult.metrics` (with this prefix, so a table column says where it comes from).
LATENT_METRICS = ("cluster_accuracy", "nmi", "ari", "linear_probe_accuracy")
LATENT_PREFIX = "latent_"

DEFAULT_OBJECTIVES = ("params",)


@dataclass(frozen=True)
class Objective:
    """One minimised objective: `params`, or a latent metric `m` minimised as 1 - m."""

    name: str

    @property
    def is_latent(self) -> bool:
        return self.name in LATENT_METRICS

    @property
    def label(self) -> str:
        """How plots and tables name its minimised value."""
        return "parameters" if self.name == "params" else f"1 - {self.name.replace('_', ' ')}"

    def value(self, result: EvaluationResult) -> float:
        """The minimised value; infinite for a failed candidate or a missing metric."""
        if not result.ok:
            return WORST_FITNESS
        if self.name == "params":
            return float(result.params or 0)
        metric = result.metrics.get(LATENT_PREFIX + self.name)
        return 1.0 - float(metric) if metric is not None and math.isfinite(metric) else WORST_FITNESS


KNOWN = ("params", *LATENT_METRICS)


def parse_objectives(names: Sequence[str]) -> tuple[Objective, ...]:
    """The objectives named, checked: one-line error naming `--objectives` for an unknown or repeated one."""
    if not names:
        raise ArchsearchError(f"--objectives: name at least one (known: {', '.join(KNOWN)})")
    given = ",".join(names)
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ArchsearchError(f"--objectives {given}: unknown {', '.join(unknown)} (known: {', '.join(KNOWN)})")
    if len(set(names)) != len(names):
        raise ArchsearchError(f"--objectives {given}: an objective is named twice")
    return tuple(Objective(n) for n in names)


def objective_values(result: EvaluationResult, objectives: Sequence[Objective]) -> tuple[float, ...]:
    """(fitness, *objectives), all minimised; a failure is worst in every one."""
    return (result.fitness if result.ok else WORST_FITNESS, *(o.value(result) for o in objectives))


def needs_latent_metrics(objectives: Sequence[Objective]) -> bool:
    return any(o.is_latent for o in objectives)
