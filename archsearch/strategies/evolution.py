"""Evolution with newcomers: keep the best, mutate them into new candidates, and add fresh random
candidates every generation so the population keeps its diversity.

Each generation: the `parents` best distinct genomes seen so far are kept; `population - newcomers`
children are mutants of parents chosen uniformly; `newcomers` are fresh random samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from archsearch.core.genomes import Space
from archsearch.core.records import EvaluationRecord
from archsearch.strategies.base import Proposal, Strategy, breedable, register_strategy


@register_strategy
class Evolution(Strategy):
    name = "evolution"

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8,
                 parents: int | None = None, newcomers: int | None = None) -> None:
        super().__init__(space, rng, population)
        self.parent_count = parents or max(2, population // 4)
        self.newcomers = population // 4 if newcomers is None else newcomers
        self.best: list[EvaluationRecord] = []

    def ask(self) -> list[Proposal]:
        if not self.best:
            return [self.fresh_sample() for _ in range(self.population_size)]
        children = [self.novel(self._child) for _ in range(self.population_size - self.newcomers)]
        return children + [self.fresh_sample() for _ in range(self.newcomers)]

    def _child(self) -> Proposal:
        parents = breedable(self.best)
        parent = parents[int(self.rng.integers(len(parents)))]
        genome, operator = self.space.mutate(parent.genome, self.rng)
        return Proposal(genome, (parent.index,), operator)

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        by_key: dict[str, EvaluationRecord] = {}
        for record in sorted([*self.best, *records], key=lambda r: (r.result.fitness, r.index)):
            by_key.setdefault(record.genome.key, record)
        self.best = list(by_key.values())[: self.parent_count]

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "best": [r.to_dict() for r in self.best]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.best = [EvaluationRecord.from_dict(r) for r in state["best"]]
