"""The (mu+lambda) genetic algorithm, with DEAP at the edge, judging members on equal training.

Each generation breeds lambda offspring: two parents chosen by tournament (k=2), two-point crossover
on the variable-length layer sequences (probability `crossover_rate`), then a layer add/remove/modify
or training-gene mutation (probability `mutation_rate`, and always when crossover did not happen, so no
offspring is a plain copy). Survivors are chosen from parents and offspring together: the `elites`
best are kept unconditionally (elitism), the rest of the mu places are filled by k=2 tournaments
without replacement, as in DEAP's `eaMuPlusLambda` with `selTournament`.

Across fidelities (multi-fidelity runs), where a low rung's verdict is a poor guide to the top rung's:
- two members are compared at the highest rung *both* reached, so on equal training: a mutant promoted
  to rung 2 beats the default genes (promoted to the top unconditionally) when it was better at rung 2;
- a candidate the run trained further (told by `tell_rung`) rejoins the population if selection had
  dropped it on its lowest-rung result;
- a share of every batch (`immigrants`) is fresh random genomes, so early low-rung verdicts cannot
  narrow the search to one neighbourhood before the higher rungs have spoken.
Without fidelities every member has one result and the comparisons are plain fitness comparisons.

DEAP supplies the Toolbox. Tournaments are drawn here from the strategy's own Generator instead of
DEAP's, which uses the global `random` module and would break one-seed reproducibility.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from deap import base

from archsearch.records import EvaluationRecord
from archsearch.space import SearchSpace
from archsearch.strategies.base import Proposal, Strategy, breed, register


class Member:
    """A candidate as the GA sees it: a record of it (for its genome and lineage) and its fitness at every
    rung it reached (shared with the GA's table of everything it was told)."""

    __slots__ = ("record", "by_rung")

    def __init__(self, record: EvaluationRecord, by_rung: dict[int, float]) -> None:
        self.record, self.by_rung = record, by_rung

    @property
    def top(self) -> int:
        return max(self.by_rung)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else math.inf


def compare(first: Member, second: Member) -> int:
    """Negative when `first` is better: the lower fitness at the highest rung both reached, then the more
    trained; 0 on a tie."""
    shared = min(first.top, second.top)
    a, b = (first.by_rung[shared], -first.top), (second.by_rung[shared], -second.top)
    return (a > b) - (a < b)


BEST_FIRST = functools.cmp_to_key(compare)


def tournament(members: Sequence[Member], count: int, size: int, rng: np.random.Generator,
               replace: bool = True) -> list[Member]:
    """`count` winners of tournaments of `size` drawn with `rng`; without replacement, a winner leaves the pool."""
    pool = list(members)
    winners = []
    for _ in range(count):
        entrants = rng.choice(len(pool), size=min(size, len(pool)), replace=False)
        best = min(entrants, key=lambda i: (BEST_FIRST(pool[i]), i))  # a tie: the earlier in the pool
        winners.append(pool[best])
        if not replace:
            del pool[best]
    return winners


@register
class GeneticAlgorithm(Strategy):
    name = "ga"

    def __init__(self, space: SearchSpace, rng: np.random.Generator, population: int = 8,
                 offspring: int | None = None, crossover_rate: float = 0.5, mutation_rate: float = 0.8,
                 elites: int = 1, tournament_size: int = 2, immigrants: float = 0.25) -> None:
        super().__init__(space, rng, population)
        self.offspring_size = offspring or population
        self.crossover_rate, self.mutation_rate = crossover_rate, mutation_rate
        self.elites = min(elites, population)
        self.immigrants = round(immigrants * self.offspring_size)
        self.toolbox = base.Toolbox()
        self.toolbox.register("select", tournament, size=tournament_size, rng=rng)
        self.toolbox.register("mate", space.crossover, rng=rng)
        self.toolbox.register("mutate", space.mutate, rng=rng)
        self.population: list[Member] = []
        self.fitness: dict[str, dict[int, float]] = {}  # genome key -> rung -> fitness, everything told

    def ask(self) -> list[Proposal]:
        if not self.population:
            return [self.fresh_sample() for _ in range(self.population_size)]
        bred = [self.novel(self._breed) for _ in range(self.offspring_size - self.immigrants)]
        return bred + [self.fresh_sample() for _ in range(self.immigrants)]

    def _breed(self) -> Proposal:
        first, second = self.toolbox.select(self.population, 2)
        return breed(first.record, second.record, self.toolbox.mate, self.toolbox.mutate, self.rng,
                     self.crossover_rate, self.mutation_rate)

    def tell(self, records: Sequence[EvaluationRecord]) -> None:
        for record in records:
            self.seen.add(record.genome.key)
        pool = _unique(self.population + [self._member(r) for r in records])
        elite = sorted(pool, key=BEST_FIRST)[: self.elites]  # stable: a tie keeps pool order
        rest = [member for member in pool if member not in elite]
        self.population = elite + tournament(rest, min(self.population_size - len(elite), len(rest)),
                                             size=2, rng=self.rng, replace=False)

    def _member(self, record: EvaluationRecord) -> Member:
        by_rung = self.fitness.setdefault(record.genome.key, {})
        by_rung[record.rung or 0] = _finite(record.result.fitness)
        return Member(record, by_rung)

    def tell_rung(self, record: EvaluationRecord) -> None:
        """A candidate trained further: its member learns the result (the table is shared), or rejoins the
        population with it when selection had dropped it. One whose lowest rung the GA has not been told
        yet (its batch is unfinished) joins with that batch."""
        member = self._member(record)
        told = 0 in member.by_rung
        if told and all(m.record.genome.key != record.genome.key for m in self.population):
            self.population.append(member)

    def state_dict(self) -> dict[str, Any]:
        plain = {key: [[rung, None if math.isinf(f) else f] for rung, f in sorted(by_rung.items())]
                 for key, by_rung in self.fitness.items()}
        return {**super().state_dict(), "fitness": plain,
                "population": [m.record.to_dict() for m in self.population]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.fitness = {key: {int(rung): math.inf if f is None else f for rung, f in pairs}
                        for key, pairs in state.get("fitness", {}).items()}
        self.population = [self._restored(EvaluationRecord.from_dict(r)) for r in state["population"]]

    def _restored(self, record: EvaluationRecord) -> Member:
        by_rung = self.fitness.setdefault(record.genome.key, {})
        by_rung.setdefault(record.rung or 0, _finite(record.result.fitness))  # a state saved before the table
        return Member(record, by_rung)


def _unique(members: list[Member]) -> list[Member]:
    """One member per genome (the first), so a cache hit does not crowd the population."""
    seen: dict[str, Member] = {}
    for member in members:
        seen.setdefault(member.record.genome.key, member)
    return list(seen.values())
