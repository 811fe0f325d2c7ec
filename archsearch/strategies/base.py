"""The strategy interface: batch ask/tell over genomes, with state that saves as plain data.

A strategy proposes genomes and learns from their records; it never builds or trains a model, so
every strategy runs unchanged on a toy fitness, the backprop evaluator or the weight-evolution one.
Fitness is minimised. Strategies draw every random number from the one Generator they are given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from archsearch.core.genomes import JsonGenome, Space
from archsearch.core.records import EvaluationRecord

DEFAULT_GENES = "default"  # the operator of a proposal that is the space's default genes
STARTING_POINT = "start"  # the operator of a proposal that is a starting point given to the strategy
PRIOR = "prior"  # the operator of a fresh proposal drawn near a starting point or the default genes
T = TypeVar("T")


@dataclass(frozen=True)
class Proposal:
    """A genome to evaluate, with where it came from (for the run record and lineage)."""

    genome: JsonGenome
    parents: tuple[int, ...] = ()
    operator: str = "random"


class Strategy(ABC):
    """Proposes batches of genomes (`ask`) and learns from their evaluations (`tell`)."""

    name: ClassVar[str]
    min_population: ClassVar[int] = 2
    multi_objective: ClassVar[bool] = False  # takes `objectives` to minimise beside the fitness
    default_prior: ClassVar[float] = 0.0  # the prior's weight unless the run sets one (`use_prior`)

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8) -> None:
        if population < self.min_population:
            raise ValueError(f"{self.name} needs a population of at least {self.min_population}, got {population}")
        self.space = space
        self.rng = rng
        self.population_size = population
        self.seen: set[str] = set()  # genome keys already proposed: fresh proposals avoid them
        self.starting_points: tuple[Any, ...] = ()  # proposed first, before the default genes (`use_prior`)
        self.prior_weight = self.default_prior  # the share of fresh proposals drawn near a known good genome

    def use_prior(self, starting_points: Sequence[Any] = (), weight: float = 0.0) -> None:
        """Known good genomes (an earlier run's best: a warm start) are proposed first, then the space's
        default genes; afterwards a share `weight` of fresh proposals are drawn near one of them (one to
        three mutations away) instead of uniformly, as PriorBand and NePS sample a user's prior."""
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"a prior's weight lies between 0 and 1, got {weight}")
        self.starting_points, self.prior_weight = tuple(starting_points), weight

    @abstractmethod
    def ask(self) -> list[Proposal]:
        """The next batch of genomes to evaluate."""

    def tell(self, records: Sequence[EvaluationRecord]) -> None:
        """The evaluations of the last batch, in the order it was asked: remembered as seen (fresh
        proposals avoid them), then learnt from."""
        self.seen.update(record.genome.key for record in records)
        self.learn(records)

    @abstractmethod
    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        """What the strategy makes of the last batch's evaluations (`tell` has recorded them as seen)."""

    def ladder(self, rungs: Any) -> Any:
        """The rule that decides which candidates train further, when the strategy brings its own (Optuna's
        pruners); None: the engine's ASHA ladder."""
        return None

    def tell_rung(self, record: EvaluationRecord) -> None:
        """A candidate told at the lowest rung was trained further (multi-fidelity runs): `record` is its
        result at a higher rung. Strategies that rank candidates across fidelities use it; most need not."""

    def novel(self, make: Callable[[], Proposal], tries: int = 20, mark: bool = True) -> Proposal:
        """Calls `make` until it proposes a genome not proposed before (or `tries` run out), so no
        evaluation is spent on a genome the run has already seen; `mark`: and counts it as proposed
        (not for a candidate that may yet be screened out)."""
        for _ in range(tries):
            proposal = make()
            if proposal.genome.key not in self.seen:
                break
        if mark:
            self.seen.add(proposal.genome.key)
        return proposal

    def fresh_sample(self) -> Proposal:
        """The starting points and the space's default genes first, then genomes not proposed before (when the
        space allows): near a known good one with the prior's weight, else drawn uniformly."""
        start = self.unseen_start()
        if start is not None:
            self.seen.add(start.genome.key)
            return start
        if self.prior_weight and self.rng.random() < self.prior_weight:
            return self.novel(self.near_prior, tries=50)
        return self.novel(lambda: Proposal(self.space.sample(self.rng)), tries=50)

    def unseen_start(self) -> Proposal | None:
        """The first starting point, then the space's default genes, not proposed yet (None once all were)."""
        for start in self.starting_points:
            if start.key not in self.seen:
                return Proposal(start, (), STARTING_POINT)
        default = self.space.default
        return Proposal(default, (), DEFAULT_GENES) if default is not None and default.key not in self.seen else None

    def near_prior(self) -> Proposal:
        """A genome one to three mutations from a starting point or the default genes."""
        centres = [*self.starting_points, *([self.space.default] if self.space.default is not None else [])]
        if not centres:
            return Proposal(self.space.sample(self.rng))
        genome = centres[self.rng.integers(len(centres))]
        for _ in range(1 + self.rng.integers(3)):
            genome, _ = self.space.mutate(genome, self.rng)
        return Proposal(genome, (), PRIOR)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: plain data (JSON-friendly)."""
        return {"rng": self.rng.bit_generator.state, "seen": sorted(self.seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.seen = set(state["seen"])


def breedable(members: Sequence[T], record_of: Callable[[T], EvaluationRecord] = lambda member: member) -> list[T]:
    """The members a strategy may take as parents: those whose evaluation succeeded, while any did (a
    failed or invalid genome's children inherit what broke it); all of them only when none did."""
    succeeded = [member for member in members if record_of(member).result.ok]
    return succeeded or list(members)


def breed(first: EvaluationRecord, second: EvaluationRecord, mate: Callable, mutate: Callable,
          rng: np.random.Generator, crossover_rate: float, mutation_rate: float) -> Proposal:
    """One offspring of two parents: crossover with probability `crossover_rate`, then mutation with
    probability `mutation_rate`, and always when crossover did not happen (so no child is a plain copy).
    `mate(a, b)` returns two children (the first is kept); `mutate(g)` returns (genome, operator name)."""
    genome, parents, operator = first.genome, (first.index,), ""
    if rng.random() < crossover_rate and first.index != second.index:
        genome, _ = mate(first.genome, second.genome)
        parents, operator = (first.index, second.index), "crossover"
    if not operator or rng.random() < mutation_rate:
        genome, mutation = mutate(genome)
        operator = f"{operator}+{mutation}" if operator else mutation
    return Proposal(genome, parents, operator)


STRATEGIES: dict[str, type[Strategy]] = {}


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: makes a strategy available by its `name` (CLI `--strategy NAME`)."""
    STRATEGIES[cls.name] = cls
    return cls


def make_strategy(name: str, space: Space, rng: np.random.Generator, starting_points: Sequence[Any] = (),
                  prior: float | None = None, **options: Any) -> Strategy:
    """The strategy `name` with its `options`, its starting points and the prior's weight (None: its own)."""
    if name not in STRATEGIES:
        raise KeyError(name)
    strategy = STRATEGIES[name](space, rng, **options)
    strategy.use_prior(starting_points, strategy.default_prior if prior is None else prior)
    return strategy
