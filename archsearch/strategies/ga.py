"""The (mu+lambda) genetic algorithm, with DEAP at the edge.

Each generation breeds lambda offspring: two parents chosen by tournament (k=2) among the members whose
evaluation succeeded (a failed or invalid member is never a parent while one did), two-point crossover
on the variable-length layer sequences (probability `crossover_rate`), then a layer add/remove/modify
or training-gene mutation (probability `mutation_rate`, and always when crossover did not happen, so no
offspring is a plain copy). Survivors are chosen from parents and offspring together: the `elites`
best are kept unconditionally (elitism), the rest of the mu places are filled by k=2 tournaments
without replacement, as in DEAP's `eaMuPlusLambda` with `selTournament`.

DEAP supplies the Toolbox, the Fitness type (a module-level class, so it pickles; no `creator`) and
`selBest`. Tournaments are drawn here from the strategy's own Generator instead of DEAP's, which uses
the global `random` module and would break one-seed reproducibility.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from deap import base, tools

from archsearch.core.genomes import Space
from archsearch.core.records import EvaluationRecord
from archsearch.strategies.base import Proposal, Strategy, breed, breedable, register_strategy
from archsearch.strategies.screening import Screen


class MinimiseFitness(base.Fitness):
    weights = (-1.0, -1.0)  # (minus the rung the fitness was measured at, when ranked by rung; the fitness)


class Individual:
    """A journal record wrapped with a DEAP fitness; lives only inside the strategy. With `by_rung`, a
    result from a higher rung ranks first (the engine's own rule for the run's best)."""

    __slots__ = ("record", "fitness")

    def __init__(self, record: EvaluationRecord, by_rung: bool = False) -> None:
        self.record = record
        value = record.result.fitness
        self.fitness = MinimiseFitness((-(record.rung or 0) if by_rung else 0,
                                        value if math.isfinite(value) else 1e300))


def tournament(individuals: Sequence[Individual], count: int, size: int, rng: np.random.Generator,
               replace: bool = True) -> list[Individual]:
    """`count` winners of tournaments of `size` drawn with `rng`; without replacement, a winner leaves the pool."""
    pool = list(individuals)
    winners = []
    for _ in range(count):
        entrants = rng.choice(len(pool), size=min(size, len(pool)), replace=False)
        best = max(entrants, key=lambda i: (pool[i].fitness, -i))
        winners.append(pool[best])
        if not replace:
            del pool[best]
    return winners


@register_strategy
class GeneticAlgorithm(Strategy):
    name = "ga"

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8,
                 offspring: int | None = None, crossover_rate: float = 0.5, mutation_rate: float = 0.8,
                 elites: int = 1, tournament_size: int = 2, by_rung: bool = False, screen: int = 0) -> None:
        super().__init__(space, rng, population)
        self.by_rung = by_rung
        self.screen = Screen(space, rng) if screen > 1 else None
        self.screen_size = screen
        self.offspring_size = offspring or population
        self.crossover_rate, self.mutation_rate = crossover_rate, mutation_rate
        self.elites = min(elites, population)
        self.toolbox = base.Toolbox()
        self.toolbox.register("select", tournament, size=tournament_size, rng=rng)
        self.toolbox.register("mate", space.crossover, rng=rng)
        self.toolbox.register("mutate", space.mutate, rng=rng)
        self.population: list[Individual] = []

    def ask(self) -> list[Proposal]:
        if not self.population:
            return [self.fresh_sample() for _ in range(self.population_size)]
        if self.screen is not None and self.screen.ready(self.population_size):
            bred = [self.novel(self._breed, mark=False) for _ in range(self.offspring_size * self.screen_size)]
            return self.screen.best(bred, self.offspring_size, self.seen)
        return [self.novel(self._breed) for _ in range(self.offspring_size)]

    def _breed(self) -> Proposal:
        first, second = self.toolbox.select(breedable(self.population, lambda member: member.record), 2)
        return breed(first.record, second.record, self.toolbox.mate, self.toolbox.mutate, self.rng,
                     self.crossover_rate, self.mutation_rate)

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        if self.screen is not None:
            self.screen.add(records)
        pool = _unique(self.population + [Individual(r, self.by_rung) for r in records])
        elite = tools.selBest(pool, self.elites)
        rest = [ind for ind in pool if ind not in elite]
        self.population = elite + tournament(rest, min(self.population_size - len(elite), len(rest)),
                                             size=2, rng=self.rng, replace=False)

    def tell_rung(self, record: EvaluationRecord) -> None:
        """Ranked by rung, a member trained further is judged by that result from now on."""
        if self.screen is not None:
            self.screen.add([record])
        if not self.by_rung:
            return
        for position, member in enumerate(self.population):
            if member.record.genome.key == record.genome.key and (member.record.rung or 0) < (record.rung or 0):
                self.population[position] = Individual(record, True)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "population": [ind.record.to_dict() for ind in self.population]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.population = [Individual(EvaluationRecord.from_dict(r), self.by_rung) for r in state["population"]]


def _unique(individuals: list[Individual]) -> list[Individual]:
    """One individual per genome (the first), so a cache hit does not crowd the population."""
    seen: dict[str, Individual] = {}
    for ind in individuals:
        seen.setdefault(ind.record.genome.key, ind)
    return list(seen.values())
