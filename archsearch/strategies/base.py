"""The strategy interface: batch ask/tell over genomes, with state that saves as plain data.

A strategy proposes genomes and learns from their records; it never builds or trains a model, so
every strategy runs unchanged on a toy fitness, the backprop evaluator or the weight-evolution one.
Fitness is minimised. Strategies draw every random number from the one Generator they are given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from archsearch.genome import Genome
from archsearch.records import EvaluationRecord
from archsearch.space import SearchSpace


@dataclass(frozen=True)
class Proposal:
    """A genome to evaluate, with where it came from (for the run record and lineage)."""

    genome: Genome
    parents: tuple[int, ...] = ()
    operator: str = "random"


class Strategy(ABC):
    """Proposes batches of genomes (`ask`) and learns from their evaluations (`tell`)."""

    name: ClassVar[str]

    def __init__(self, space: SearchSpace, rng: np.random.Generator, population: int = 8) -> None:
        if population < 2:
            raise ValueError(f"population must be at least 2, got {population}")
        self.space = space
        self.rng = rng
        self.population_size = population
        self.seen: set[str] = set()  # genome keys already proposed: fresh proposals avoid them

    @abstractmethod
    def ask(self) -> list[Proposal]:
        """The next batch of genomes to evaluate."""

    @abstractmethod
    def tell(self, records: Sequence[EvaluationRecord]) -> None:
        """The evaluations of the last batch, in the order it was asked."""

    def novel(self, make: Callable[[], Proposal], tries: int = 20) -> Proposal:
        """Calls `make` until it proposes a genome not proposed before (or `tries` run out), so no
        evaluation is spent on a genome the run has already seen."""
        for _ in range(tries):
            proposal = make()
            if proposal.genome.key not in self.seen:
                break
        self.seen.add(proposal.genome.key)
        return proposal

    def fresh_sample(self) -> Proposal:
        """A random genome not proposed before (when the space allows)."""
        return self.novel(lambda: Proposal(self.space.sample(self.rng)), tries=50)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: plain data (JSON-friendly)."""
        return {"rng": self.rng.bit_generator.state, "seen": sorted(self.seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.seen = set(state["seen"])


STRATEGIES: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: makes a strategy available by its `name` (CLI `--strategy NAME`)."""
    STRATEGIES[cls.name] = cls
    return cls


def make_strategy(name: str, space: SearchSpace, rng: np.random.Generator, **options: Any) -> Strategy:
    if name not in STRATEGIES:
        raise KeyError(name)
    return STRATEGIES[name](space, rng, **options)
