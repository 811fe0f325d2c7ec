"""A space in Optuna's terms: a genome as conditional parameters, and back.

Variable depth, layer kinds and conditions become conditional parameters, as Optuna recommends for
define-by-run spaces: the space is walked in order (`core.space.encodings.walk`), each value suggested
by name as it becomes active (`encoder.depth`, then for each layer i below it `encoder.i.kind` and
only that kind's fields `encoder.i.conv.filters`, ...; a group's members `training.learning_rate`).
A choice becomes a categorical parameter, a range a float or int one (log-scaled when the range is).
Every value still comes from the space's own specs.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from archsearch.core.genomes import Space
from archsearch.core.params import Range, Spec
from archsearch.core.space.encodings import walk


def distribution(spec: Spec) -> BaseDistribution:
    if isinstance(spec, Range):
        if spec.integer:
            return IntDistribution(int(spec.low), int(spec.high), log=spec.log)
        return FloatDistribution(spec.low, spec.high, log=spec.log)
    return CategoricalDistribution(spec.values)


def suggest_genome(trial: optuna.Trial, space: Space) -> Any:
    """The trial's genome, suggested parameter by parameter (not yet repaired)."""

    def suggest(name: str, spec: Spec, known: Any) -> Any:
        dist = distribution(spec)
        if isinstance(dist, CategoricalDistribution):
            return trial.suggest_categorical(name, dist.choices)
        if isinstance(dist, IntDistribution):
            return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log)

    return space.from_values(walk(space.parameters(), suggest))


def genome_params(genome: Any, space: Space) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
    """The parameters (and their distributions) under which Optuna would have produced `genome`."""
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}

    def read(name: str, spec: Spec, known: Any) -> Any:
        params[name], distributions[name] = known, distribution(spec)
        return known

    walk(space.parameters(), read, space.values_of(genome))
    return params, distributions
