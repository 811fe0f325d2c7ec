"""`ga`: a generational GA over weight vectors.

Parents are paired with a bias to fitness (linear ranking: the best is twice as likely as the median
to be drawn); a child takes each entry of every weight matrix from one parent or the other under a
uniform random mask; Gaussian mutation then perturbs a fraction of its weights. The mutation size
adapts to progress by the 1/5 success rule: when more than a fifth of the children beat their better
parent it grows, otherwise it shrinks. The best `elite` vectors
pass unchanged and are re-scored each generation.
"""

from __future__ import annotations

import numpy as np

from archsearch.weights.strategies.base import WeightStrategy, register


@register
class WeightGA(WeightStrategy):
    name = "ga"
    min_population = 4

    @classmethod
    def initial_rows(cls, population: int) -> int:
        return population  # a first generation of independent initialisations

    def __init__(self, initial, rng, population: int, sigma: float = 0.05, mutation_rate: float = 0.1,
                 elite: int | None = None, adapt: float = 1.2) -> None:
        super().__init__(initial, rng, population)
        self.sigma = float(sigma)
        self.mutation_rate = float(mutation_rate)
        self.elite = max(1, population // 10) if elite is None else int(elite)
        self.adapt = float(adapt)
        self.members: np.ndarray | None = None  # the last evaluated population, best first
        self.member_fitness: np.ndarray | None = None
        self.parent_fitness: np.ndarray | None = None  # the better parent of each child asked

    def _ask(self) -> np.ndarray:
        if self.members is None:  # the first generation: the initial vectors, then mutants of them
            picks = np.arange(self.population_size) % len(self.initial)
            population = self.initial[picks].copy()
            extra = np.arange(self.population_size) >= len(self.initial)
            population[extra] = self._mutate(population[extra])
            return population
        children = self.population_size - self.elite
        probability = np.linspace(2.0, 0.0, len(self.members) + 1)[:-1]  # linear ranking, best first
        probability /= probability.sum()
        pairs = self.rng.choice(len(self.members), (children, 2), p=probability)
        mask = self.rng.random((children, self.n_params)) < 0.5
        offspring = np.where(mask, self.members[pairs[:, 0]], self.members[pairs[:, 1]])
        self.parent_fitness = self.member_fitness[pairs].min(axis=1)
        return np.concatenate([self.members[:self.elite], self._mutate(offspring)])

    def _mutate(self, vectors: np.ndarray) -> np.ndarray:
        hit = self.rng.random(vectors.shape) < self.mutation_rate
        return vectors + hit * self.rng.normal(0.0, self.sigma, vectors.shape).astype(np.float32)

    def _tell(self, population, fitness) -> None:
        if self.parent_fitness is not None:
            success = np.mean(fitness[self.elite:] < self.parent_fitness)
            self.sigma *= self.adapt if success > 0.2 else 1.0 / self.adapt ** 0.25
        order = np.argsort(fitness, kind="stable")
        self.members, self.member_fitness = population[order], fitness[order]
