"""`ga-mutation`: the mutation-only GA of the published weight-evolution attempts.

Each generation copies the best vector into every agent and perturbs k randomly chosen weights of
each copy by uniform noise in [-noise, noise]; the best itself is kept unchanged as agent 0 (elitism),
so it is re-scored on every new minibatch.
"""

from __future__ import annotations

import numpy as np

from archsearch.weights.strategies.base import WeightStrategy, register


@register
class MutationOnlyGA(WeightStrategy):
    name = "ga-mutation"

    def __init__(self, initial, rng, population: int, weights_per_mutation: int = 10, noise: float = 1.0) -> None:
        super().__init__(initial, rng, population)
        self.k = min(int(weights_per_mutation), self.n_params)
        self.noise = float(noise)
        self.parent = self.initial[0].copy()

    def _ask(self) -> np.ndarray:
        population = np.repeat(self.parent[None], self.population_size, axis=0)
        rows = np.repeat(np.arange(1, self.population_size), self.k)
        columns = np.concatenate([self.rng.choice(self.n_params, self.k, replace=False)
                                  for _ in range(self.population_size - 1)])
        population[rows, columns] += self.rng.uniform(-self.noise, self.noise, len(rows))
        return population

    def _tell(self, population, fitness) -> None:
        self.parent = population[int(np.argmin(fitness))].copy()

    @property
    def solution(self) -> np.ndarray:
        return self.parent
