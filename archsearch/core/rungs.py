"""Fidelity rungs and ASHA promotion: which candidate trains further, and to what budget.

A candidate is judged cheaply first (the lowest rung's budget) and trained further only while it stays
among the best of its rung: with reduction factor eta, the budgets are max_budget, max_budget / eta,
max_budget / eta**2, ... down to min_budget, and a candidate moves up from rung k as soon as it is in the top 1/eta of
all the results rung k has so far (ASHA, Li et al. 2018: no rung waits for stragglers, so no worker
idles). A favoured candidate (the space's default genes, a search's known-good start) climbs straight
to the top rung, so even a short time-boxed run holds its own baseline trained in the final regime. A
promoted candidate continues from its checkpoint: it trains only the difference of the budgets.

When the run has started all its new candidates ("draining"), the rule relaxes so the run ends with its
best trained furthest: once nothing else qualifies, a rung's leader that has not moved up does.

Pure bookkeeping (no ML): fitness is minimised; a failed evaluation (infinite fitness) never moves up.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rungs:
    """The budgets of a run's rungs, in the task's unit (images seen, for the autoencoder task)."""

    min_budget: int
    max_budget: int
    eta: int = 3
    multiple: int = 1  # every budget is a multiple of this (e.g. batch sizes, so a continued run splits no batch)

    def __post_init__(self) -> None:
        if self.eta < 2:
            raise ValueError(f"eta must be at least 2, got {self.eta}")
        if not 0 < self.min_budget <= self.max_budget:
            raise ValueError(f"budgets must satisfy 0 < min ({self.min_budget}) <= max ({self.max_budget})")

    @property
    def budgets(self) -> tuple[int, ...]:
        """max_budget / eta**k for every k that stays at or above min_budget, smallest first (as
        Hyperband counts down from the top), each rounded to `multiple`."""
        budgets, budget = [], float(self.max_budget)
        while budget >= self.min_budget * (1 - 1e-9):
            rounded = max(self.multiple, int(round(budget / self.multiple)) * self.multiple)
            if not budgets or rounded < budgets[-1]:
                budgets.append(rounded)
            budget /= self.eta
        return tuple(reversed(budgets))

    @property
    def top(self) -> int:
        return len(self.budgets) - 1

    def describe(self, unit: str) -> str:
        return f"{' -> '.join(f'{b:,}' for b in self.budgets)} {unit} (eta {self.eta})"


@dataclass
class Ladder:
    """The results of every rung so far, and the ASHA rule over them.

    A candidate is named by an id chosen by the caller (the journal index of its first evaluation);
    `add` records its result at a rung, `promotion` says who moves up next."""

    rungs: Rungs
    results: list[dict[int, float]] = field(default_factory=list)  # per rung: candidate -> fitness
    promoted: list[set[int]] = field(default_factory=list)  # per rung: candidates already moved up from it
    favoured: set[int] = field(default_factory=set)  # candidates that climb to the top whatever their rank

    def __post_init__(self) -> None:
        self.results = self.results or [{} for _ in self.rungs.budgets]
        self.promoted = self.promoted or [set() for _ in self.rungs.budgets]

    def start(self, candidate: int, genome_key: str) -> None:
        """`candidate` (with this genome) is issued at the lowest rung. ASHA needs nothing of it; a rule
        that follows a candidate's own history (a pruner) does."""

    def favour(self, candidate: int) -> None:
        """`candidate` moves up after each of its results, whatever its rank (not a pruner's rule: it
        decides alone)."""
        self.favoured.add(candidate)

    def add(self, candidate: int, rung: int, fitness: float) -> None:
        self.results[rung][candidate] = fitness

    def mark_promoted(self, candidate: int, rung: int) -> None:
        """`candidate` left `rung` for the next one (its job is issued; its result comes later)."""
        self.promoted[rung].add(candidate)

    def waiting(self, rung: int) -> list[int]:
        """Candidates with a finite result at `rung` that have not moved up, best first (ties: the earlier)."""
        return [candidate for _, candidate in sorted(
            (fitness, candidate) for candidate, fitness in self.results[rung].items()
            if candidate not in self.promoted[rung] and math.isfinite(fitness))]

    def promotion(self) -> tuple[int, int] | None:
        """(candidate, rung it leaves) by the ASHA rule, highest rung first, or None; a favoured candidate
        waiting anywhere goes first.

        A candidate qualifies when it ranks among the top floor(n / eta) of the n results its rung has,
        while fewer than floor(n / eta) have left the rung. The cap is ours: plain ASHA promotes whoever
        is in the top third at the moment, so candidates promoted early stay promoted when better ones
        arrive, and on a steady stream far more than 1/eta move up (13 of 21 in a measured run, each
        costing a full rung of training); with it, a rung sends up what synchronous halving would.
        (Optuna's rule instead sends a rung's first results up while it has fewer than eta: with two
        workers that was often a cheap, poor model that happened to finish first, and its climb cost
        11% of a 270 s run; favouring the default genes reaches the top rung as early, with a better
        model.)"""
        return next(self.promotions(), None)

    def promotions(self) -> Iterator[tuple[int, int]]:
        """Every promotion the rule allows now, in the order `promotion` takes them: a time box passes over
        one that would end too late (the default genes' climb to the top rung, say) for the next."""
        for rung in range(self.rungs.top - 1, -1, -1):
            for candidate in self.waiting(rung):
                if candidate in self.favoured:
                    yield candidate, rung
        for rung in range(self.rungs.top - 1, -1, -1):
            ranked = sorted((fitness, candidate) for candidate, fitness in self.results[rung].items())
            quota = len(ranked) // self.rungs.eta
            if len(self.promoted[rung] - self.favoured) >= quota:  # a favoured climb holds a place only by rank
                continue
            for fitness, candidate in ranked[:quota]:
                if candidate not in self.promoted[rung] and candidate not in self.favoured and math.isfinite(fitness):
                    yield candidate, rung

    def final_promotion(self) -> tuple[int, int] | None:
        """While draining and nothing else qualifies: a rung's leader that has not moved up does, highest
        rung first, so a run ends with each rung's best trained further."""
        for rung in range(self.rungs.top - 1, -1, -1):
            leader = self._leader(rung)
            if leader is not None:
                return leader, rung
        return None

    def _leader(self, rung: int) -> int | None:
        """The best waiting candidate of `rung` if it beats every candidate that has moved up from it."""
        waiting = self.waiting(rung)
        moved = [self.results[rung][candidate] for candidate in self.promoted[rung]]
        if waiting and (not moved or self.results[rung][waiting[0]] < min(moved)):
            return waiting[0]
        return None

    def rung_sizes(self) -> list[int]:
        return [len(results) for results in self.results]
