"""NSGA-II: several objectives at once, all minimised: validation loss and, by default, parameter count.

The objectives beside the loss are the run's choice (`archsearch.core.objectives`): the size, or latent-space
metrics such as the linear-probe accuracy (minimised as 1 - accuracy), or several of them.
The result is not one winner but a Pareto front: every candidate that no other beats on every objective.
Each generation breeds `population` offspring from parents chosen by binary tournaments on
(non-domination rank, then crowding distance), with the GA's two-point crossover and layer mutations;
survivors are chosen from parents and offspring together by DEAP's `selNSGA2` (non-dominated sorting,
then crowding distance within the last front that fits).

DEAP supplies the sorting and crowding; the Fitness types are plain classes, one per objective count
(no `creator`), and the tournaments draw from the strategy's own Generator, not from the global `random`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

import numpy as np
from deap import base, tools

from archsearch.core.genomes import Space
from archsearch.core.objectives import DEFAULT_OBJECTIVES, Objective, objective_values, parse_objectives
from archsearch.core.records import EvaluationRecord
from archsearch.strategies.base import Proposal, Strategy, breed, breedable, register_strategy

# DEAP's crowding distance subtracts objective values: infinity (a failed candidate) would give NaN.
_FAILED_VALUE = 1e300


@cache
def minimised_fitness(count: int) -> type[base.Fitness]:
    """DEAP's Fitness for `count` minimised objectives (a plain class, never pickled: no `creator`)."""
    return type(f"Minimised{count}", (base.Fitness,), {"weights": (-1.0,) * count})


class Candidate:
    """A journal record with its multi-objective DEAP fitness; lives only inside the strategy."""

    __slots__ = ("record", "fitness")

    def __init__(self, record: EvaluationRecord, objectives: Sequence[Objective]) -> None:
        self.record = record
        values = objective_values(record.result, objectives)
        self.fitness = minimised_fitness(len(values))(tuple(v if math.isfinite(v) else _FAILED_VALUE
                                                            for v in values))


def rank_and_crowding(candidates: Sequence[Candidate]) -> dict[int, tuple[int, float]]:
    """(front number, crowding distance) of each candidate, keyed by id()."""
    ranks: dict[int, tuple[int, float]] = {}
    for number, front in enumerate(tools.sortNondominated(list(candidates), len(candidates))):
        tools.emo.assignCrowdingDist(front)
        for candidate in front:
            ranks[id(candidate)] = (number, candidate.fitness.crowding_dist)
    return ranks


@register_strategy
class NSGA2(Strategy):
    name = "nsga2"
    multi_objective: ClassVar[bool] = True

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8,
                 crossover_rate: float = 0.5, mutation_rate: float = 0.8,
                 objectives: Sequence[str] = DEFAULT_OBJECTIVES) -> None:
        """`objectives`: what to minimise beside the validation loss (names of `archsearch.core.objectives`)."""
        super().__init__(space, rng, population)
        self.objectives = parse_objectives(objectives)
        self.crossover_rate, self.mutation_rate = crossover_rate, mutation_rate
        self.population: list[Candidate] = []
        self._ranks: dict[int, tuple[int, float]] = {}

    def ask(self) -> list[Proposal]:
        if not self.population:
            return [self.fresh_sample() for _ in range(self.population_size)]
        self._ranks = rank_and_crowding(self.population)
        return [self.novel(self._breed) for _ in range(self.population_size)]

    def _select(self) -> Candidate:
        """Binary tournament: the lower front wins, then the larger crowding distance."""
        parents = breedable(self.population, lambda candidate: candidate.record)
        if len(parents) == 1:
            return parents[0]
        first, second = (parents[int(i)] for i in self.rng.choice(len(parents), 2, replace=False))
        rank = {c: (self._ranks[id(c)][0], -self._ranks[id(c)][1], c.record.index) for c in (first, second)}
        return min((first, second), key=rank.__getitem__)

    def _breed(self) -> Proposal:
        return breed(self._select().record, self._select().record,
                     lambda a, b: self.space.crossover(a, b, self.rng),
                     lambda g: self.space.mutate(g, self.rng), self.rng, self.crossover_rate, self.mutation_rate)

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        pool: dict[str, Candidate] = {}
        for candidate in [*self.population, *(Candidate(r, self.objectives) for r in records)]:
            pool.setdefault(candidate.record.genome.key, candidate)  # a cache hit does not crowd the front
        ordered = sorted(pool.values(), key=lambda c: c.record.index)  # selNSGA2's ties follow input order
        self.population = tools.selNSGA2(ordered, min(self.population_size, len(ordered)))

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "population": [c.record.to_dict() for c in self.population]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.population = [Candidate(EvaluationRecord.from_dict(r), self.objectives) for r in state["population"]]
