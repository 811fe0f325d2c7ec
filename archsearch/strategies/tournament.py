"""Regularized (ageing) evolution, Real et al. 2019: a population of candidates in which the fittest of
a tournament is mutated, and the oldest member leaves.

Each step draws `tournament_size` members of the population at random (among those whose evaluation
succeeded, while any did); the winner is mutated into a new candidate, which joins the population while
its oldest member leaves (ageing, so an early lucky candidate cannot rule forever).

Across fidelities: a member that the run trained further (a promotion, told by `tell_rung`) is judged
by its most-trained result, and a tournament prefers the more-trained member (higher rung first, then
the lower fitness), so the promotions' verdicts steer which candidates breed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from archsearch.core.genomes import Space
from archsearch.core.records import EvaluationRecord, most_trained_first
from archsearch.strategies.base import Proposal, Strategy, breedable, register_strategy


@register_strategy
class TournamentSearch(Strategy):
    name = "tournament"

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8,
                 tournament_size: int = 3) -> None:
        super().__init__(space, rng, population)
        self.tournament_size = tournament_size
        self.population: deque[EvaluationRecord] = deque(maxlen=population)

    def ask(self) -> list[Proposal]:
        if len(self.population) < self.population_size:
            return [self.fresh_sample() for _ in range(self.population_size - len(self.population))]
        return [self.novel(self._child) for _ in range(self.population_size)]

    def _child(self) -> Proposal:
        members = breedable(self.population)
        entrants = self.rng.choice(len(members), size=min(self.tournament_size, len(members)), replace=False)
        winner = min((members[i] for i in entrants), key=most_trained_first)
        genome, operator = self.space.mutate(winner.genome, self.rng)
        return Proposal(genome, (winner.index,), operator)

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        for record in records:
            self.population.append(record)  # the deque drops the oldest

    def tell_rung(self, record: EvaluationRecord) -> None:
        """A member trained further is judged by that result from now on (its age is unchanged)."""
        for position, member in enumerate(self.population):
            if member.genome.key == record.genome.key and (member.rung or 0) < (record.rung or 0):
                self.population[position] = record

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "population": [r.to_dict() for r in self.population]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.population = deque((EvaluationRecord.from_dict(r) for r in state["population"]),
                                maxlen=self.population_size)
