"""Optuna's TPE sampler as a strategy: the baseline every other strategy is compared with.

It searches the very same space (as conditional parameters, see `optuna_space`) through Optuna's
ask/tell interface, so it shares our evaluator, budget, journal and de-duplication. A batch is
`population` trials asked together; TPE's constant liar keeps them apart. A failed or invalid
candidate is told as a failed trial.

Reproducible and resumable with plain data: each batch is sampled by a `TPESampler` seeded from the
strategy's Generator, and the state is the list of finished trials, from which the in-memory study is
rebuilt exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import distribution_to_json, json_to_distribution
from optuna.trial import TrialState

from archsearch.core.genomes import Space
from archsearch.core.records import EvaluationRecord
from archsearch.strategies.base import Proposal, Strategy, register_strategy
from archsearch.strategies.optuna_space import genome_params, suggest_genome


@register_strategy
class OptunaTPE(Strategy):
    name = "optuna-tpe"

    def __init__(self, space: Space, rng: np.random.Generator, population: int = 8,
                 startup_trials: int = 10, duplicate_tries: int = 20) -> None:
        super().__init__(space, rng, population)
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # our progress bar reports the trials
        self.startup_trials, self.duplicate_tries = startup_trials, duplicate_tries
        self.study = self._new_study()
        self.known: dict[str, float | None] = {}  # genome key -> fitness told (None: failed)
        self.finished: list[dict[str, Any]] = []  # every trial told, as plain data (the state)
        self.pending: list[optuna.Trial] = []
        self.reported: dict[int, dict[str, float]] = {}  # trial number -> intermediate values (step: value)

    def ask(self) -> list[Proposal]:
        self.study.sampler = optuna.samplers.TPESampler(seed=int(self.rng.integers(2**31)),
                                                        n_startup_trials=self.startup_trials)
        starts = {}  # the first trials take the starting points and the space's default genes
        while (start := self.unseen_start()) is not None:
            starts[start.genome.key] = start.operator
            self.seen.add(start.genome.key)
            self.study.enqueue_trial(genome_params(start.genome, self.space)[0], skip_if_exists=True)
        proposals = []
        for _ in range(self.population_size):
            trial, genome = self._ask_new()
            self.pending.append(trial)
            self.seen.add(genome.key)
            proposals.append(Proposal(genome, (), starts.get(genome.key, "tpe")))
        return proposals

    def _ask_new(self):
        """A trial whose genome was not evaluated before: repeats are told their known result at once
        (TPE learns from them) and asked again, so no evaluation of the budget is spent twice."""
        for _ in range(self.duplicate_tries):
            trial = self.study.ask()
            genome = self.space.repair(suggest_genome(trial, self.space), self.rng)
            if genome.key not in self.known:
                return trial, genome
            self._tell(trial, self.known[genome.key])
        return trial, genome

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        told, self.pending = self.pending[: len(records)], self.pending[len(records):]  # batches may be asked ahead
        for trial, record in zip(told, records):
            fitness = told_fitness(record)
            self.known[record.genome.key] = fitness
            self._tell(trial, fitness)

    def _report(self, trial: optuna.Trial, fitness: float, step: int) -> None:
        """An intermediate value, reported to Optuna and kept for the plain-data state."""
        trial.report(fitness, step)
        self.reported.setdefault(trial.number, {})[str(step)] = fitness

    def _tell(self, trial: optuna.Trial, fitness: float | None) -> None:
        self._finish(trial, fitness, TrialState.FAIL if fitness is None else TrialState.COMPLETE)

    def _finish(self, trial: optuna.Trial, fitness: float | None, state: TrialState) -> None:
        """Ends `trial` in the study and keeps it as plain data (the state)."""
        intermediate = self.reported.pop(trial.number, {})
        if state == TrialState.COMPLETE:
            self.study.tell(trial, fitness)
        else:
            self.study.tell(trial, state=state)
        self.finished.append({
            "params": trial.params,
            "distributions": {n: distribution_to_json(d) for n, d in trial.distributions.items()},
            "value": fitness, "state": state.name, "intermediate": intermediate,
        })

    @staticmethod
    def _new_study() -> optuna.Study:
        """An in-memory study with a fixed name (Optuna's Hyperband assigns brackets by hashing the name)."""
        return optuna.create_study(direction="minimize", study_name="archsearch")

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "known": dict(self.known), "finished": list(self.finished)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.known = dict(state["known"])
        self.finished = list(state["finished"])
        self.study = self._new_study()
        self.study.add_trials([_trial_of(t) for t in self.finished])
        self.pending = []


def _trial_of(saved: dict[str, Any]) -> optuna.trial.FrozenTrial:
    """A finished trial from its plain-data form (older states have no `state`: complete, or failed)."""
    state = TrialState[saved.get("state", "FAIL" if saved["value"] is None else "COMPLETE")]
    return optuna.trial.create_trial(
        params=saved["params"], distributions={n: json_to_distribution(d) for n, d in saved["distributions"].items()},
        value=saved["value"] if state == TrialState.COMPLETE else None, state=state,
        intermediate_values={int(step): value for step, value in saved.get("intermediate", {}).items()})


def told_fitness(record: EvaluationRecord) -> float | None:
    """What Optuna is told of an evaluation: its fitness, or None for a failed or invalid one."""
    return record.result.fitness if record.result.ok and math.isfinite(record.result.fitness) else None
