"""Random search: independent samples from the space; the baseline every strategy must beat."""

from __future__ import annotations

from collections.abc import Sequence

from archsearch.core.records import EvaluationRecord
from archsearch.strategies.base import Proposal, Strategy, register_strategy


@register_strategy
class RandomSearch(Strategy):
    name = "random"

    def ask(self) -> list[Proposal]:
        return [self.fresh_sample() for _ in range(self.population_size)]

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        pass  # random search learns nothing
