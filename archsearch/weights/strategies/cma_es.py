"""`cma-es`: DEAP's CMA-ES (Hansen's covariance matrix adaptation), for small networks.

It adapts a full n x n covariance, so each generation costs an n^3 eigendecomposition: fine for a
few thousand weights, hopeless for a hundred thousand (use `es`). DEAP updates the distribution;
sampling is done here, from our Generator, so runs repeat exactly (DEAP's own `generate` draws from
NumPy's global state). The solution is the distribution's mean.
"""

from __future__ import annotations

import numpy as np
from deap import base, cma

from archsearch.weights.strategies.base import WeightStrategy, register

MAX_PARAMS = 10_000


class _Loss(base.Fitness):
    weights = (-1.0,)


class _Individual(np.ndarray):
    """A sampled vector with the `fitness` attribute DEAP's update sorts by."""

    fitness: _Loss


@register
class CMAES(WeightStrategy):
    name = "cma-es"
    min_population = 4
    heavy_linear_algebra = True

    def __init__(self, initial, rng, population: int, sigma: float = 0.1, max_params: int = MAX_PARAMS) -> None:
        super().__init__(initial, rng, population)
        _check_size(self.n_params, max_params)
        self.cma = cma.Strategy(centroid=self.initial[0].astype(np.float64), sigma=float(sigma), lambda_=population)

    @classmethod
    def check(cls, n_params: int, population: int, **options) -> None:
        super().check(n_params, population, **options)
        _check_size(n_params, options.get("max_params", MAX_PARAMS))

    def _ask(self) -> np.ndarray:
        z = self.rng.standard_normal((self.population_size, self.n_params))
        return self.cma.centroid + self.cma.sigma * z @ self.cma.BD.T

    def _tell(self, population, fitness) -> None:
        individuals = []
        for vector, loss in zip(population.astype(np.float64), fitness):
            individual = vector.view(_Individual)
            individual.fitness = _Loss((float(loss) if np.isfinite(loss) else 1e30,))
            individuals.append(individual)
        self.cma.update(individuals)

    @property
    def solution(self) -> np.ndarray:
        return np.asarray(self.cma.centroid, np.float32)


def _check_size(n_params: int, max_params: int) -> None:
    if n_params > max_params:
        raise ValueError(f"cma-es adapts a full covariance of n x n: {n_params:,} weights is over its "
                         f"limit of {max_params:,}; use es for networks this size")
