"""Optuna's TPE with Optuna's own HyperbandPruner: the multi-fidelity peer every strategy is measured
against, run the way Optuna users run it, through ask/tell.

TPE proposes as `optuna-tpe` does. Which candidate trains further is decided by Optuna's
HyperbandPruner instead of archsearch's ASHA ladder: after each rung the candidate's trial reports its
fitness at step eta**rung (so Optuna's resources are 1, eta, eta**2, ...: its rungs are exactly ours),
and the candidate moves up at once unless `trial.should_prune()` says stop. A trial ends COMPLETE at
the top rung, PRUNED when stopped and FAIL when training failed; TPE learns from all of them (pruned
trials by their last value). Without fidelities every trial completes at its one evaluation.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import optuna
from optuna.trial import TrialState

from archsearch.core.genomes import Space
from archsearch.core.records import EvaluationRecord
from archsearch.core.rungs import Ladder, Rungs
from archsearch.strategies.base import Proposal, register_strategy
from archsearch.strategies.optuna_tpe import OptunaTPE, told_fitness


class PrunerLadder(Ladder):
    """A promotion rule that follows each candidate on its own: `decide(candidate, rung, fitness)` says
    whether it goes on to the next rung (as a pruner does), and it then moves up at once."""

    def __init__(self, rungs: Rungs, decide: Callable[[int, int, float], bool],
                 start: Callable[[int, str], None]) -> None:
        super().__init__(rungs)
        self.decide, self.on_start = decide, start
        self.ready: deque[tuple[int, int]] = deque()

    def start(self, candidate: int, genome_key: str) -> None:
        self.on_start(candidate, genome_key)

    def add(self, candidate: int, rung: int, fitness: float) -> None:
        super().add(candidate, rung, fitness)
        if self.decide(candidate, rung, fitness) and rung < self.rungs.top:
            self.ready.append((candidate, rung))

    def promotions(self) -> Iterator[tuple[int, int]]:
        return iter(list(self.ready))

    def mark_promoted(self, candidate: int, rung: int) -> None:
        super().mark_promoted(candidate, rung)
        self.ready.remove((candidate, rung))

    def final_promotion(self) -> None:
        return None  # the pruner's word is final

    def waiting(self, rung: int) -> list[int]:
        return []  # nothing waits: every candidate is either going on or stopped


@register_strategy
class OptunaHyperband(OptunaTPE):
    name = "optuna-hyperband"

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8,
                 startup_trials: int = 10, duplicate_tries: int = 20) -> None:
        super().__init__(space, rng, population, startup_trials, duplicate_tries)
        self.rungs = Rungs(1, 1)
        self.unstarted: dict[str, deque[optuna.Trial]] = {}  # genome key -> trials asked, not yet issued
        self.trial_of: dict[int, optuna.Trial] = {}  # candidate (its first evaluation's index) -> trial

    def ladder(self, rungs: Rungs) -> PrunerLadder:
        """The engine's promotion rule for this run: Optuna's HyperbandPruner over the run's rungs."""
        self.rungs = rungs
        self.study.pruner = optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=rungs.eta ** rungs.top, reduction_factor=rungs.eta)
        return PrunerLadder(rungs, self._goes_on, self._started)

    def ask(self) -> list[Proposal]:
        proposals = super().ask()
        for trial, proposal in zip(self.pending[-len(proposals):], proposals):
            self.unstarted.setdefault(proposal.genome.key, deque()).append(trial)
        return proposals

    def _started(self, candidate: int, genome_key: str) -> None:
        self.trial_of[candidate] = self.unstarted[genome_key].popleft()

    def _goes_on(self, candidate: int, rung: int, fitness: float) -> bool:
        """Reports the candidate's result at `rung` to its trial and asks the pruner whether it trains on."""
        trial = self.trial_of[candidate]
        if not math.isfinite(fitness):
            self._finish(trial, None, TrialState.FAIL)
            return False
        self._report(trial, fitness, self.rungs.eta ** rung)
        if rung == self.rungs.top:
            self._finish(trial, fitness, TrialState.COMPLETE)
            return False
        if trial.should_prune():
            self._finish(trial, fitness, TrialState.PRUNED)
            return False
        return True

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        """Trials end through the pruner's rungs; here only what the engine did not train (a repeated
        genome: it carries its first result) ends, as pruned at its first rung, so TPE counts it once."""
        told, self.pending = self.pending[: len(records)], self.pending[len(records):]
        started = {id(trial) for trial in self.trial_of.values()}
        for trial, record in zip(told, records):
            fitness = told_fitness(record)
            self.known[record.genome.key] = fitness
            if id(trial) not in started:
                self._discard(trial, record.genome.key, fitness)

    def _discard(self, trial: optuna.Trial, genome_key: str, fitness: float | None) -> None:
        queue = self.unstarted.get(genome_key, deque())
        if trial in queue:
            queue.remove(trial)
        self._tell(trial, fitness)

    def _tell(self, trial: optuna.Trial, fitness: float | None) -> None:
        """A repeat (asked again, or never trained): pruned at its known first-rung value, so it does not
        count as a finished top-rung result."""
        if fitness is None:
            self._finish(trial, None, TrialState.FAIL)
            return
        self._report(trial, fitness, 1)
        self._finish(trial, fitness, TrialState.PRUNED)
