"""A run as an Optuna study, so users can browse it in optuna-dashboard while it runs.

Any SQLAlchemy URL works (`sqlite:///runs.db` is the embedded default). Each *candidate* is one trial,
numbered as archsearch numbers candidates (in the order they started), with:
- its genome as Optuna parameters (the conditional encoding of `optuna_space`);
- its evaluations as intermediate values, one per budget it was trained to (a multi-fidelity run's
  rungs), so the dashboard's intermediate-value plot shows who moved up;
- its real start (the moment its first evaluation was handed to a worker), and its end when it is
  finished: at its last rung (COMPLETE, its value that rung's validation loss), when it fails (FAIL),
  or, for a candidate still waiting for promotion when the run ends, at the run's end (PRUNED, with its
  last value; `last_evaluated_at` holds the real time of its last evaluation);
- its lineage as user attributes: candidate number, first evaluation's index, generation, parent
  candidates and operator, architecture; the first of them is `Reason`, why it failed (empty while it
  has not), where the dashboard shows it first: it lists a trial's attributes in the storage's order,
  which is the order they were set in memory and by name in SQL storages (capitals before lower case).
The study carries the objectives' names ("val MSE", ...) and the run's settings (its task first) as user
attributes.
The journal stays the source of truth: on resume, replayed candidates find their trials, and nothing
is written twice.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from archsearch.core.errors import ArchsearchError
from archsearch.core.objectives import Objective, objective_values
from archsearch.core.records import EvaluationRecord
from archsearch.strategies.optuna_space import genome_params

REASON = "Reason"  # a trial's user attribute that says why it failed: first in the dashboard's list


class OptunaLineage:
    """Mirrors a run's candidates into the study `study_name` of `storage`."""

    def __init__(self, storage: str, study_name: str, space: Any, objectives: Sequence[Objective] | None = None,
                 fitness_label: str = "val MSE", settings: dict[str, Any] | None = None,
                 last_budget: int | None = None) -> None:
        """`objectives`: for a multi-objective run, what it minimises beside the fitness (one study value
        each); `last_budget`: the top rung's budget (None: one evaluation per candidate)."""
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space, self.objectives, self.last_budget = space, tuple(objectives or ()), last_budget
        directions = ["minimize"] * (1 + len(self.objectives))
        try:
            self.study = optuna.create_study(storage=storage, study_name=study_name, directions=directions,
                                             load_if_exists=True)
        except (ValueError, ImportError, optuna.exceptions.OptunaError) as exc:
            raise ArchsearchError(f"--optuna-storage {storage}: {str(exc).splitlines()[0]}") from None
        if len(self.study.directions) != len(directions):
            raise ArchsearchError(f"--optuna-storage {storage}: study {study_name!r} exists with "
                                  f"{len(self.study.directions)} objective(s), this run has {len(directions)}")
        # Optuna's public API adds only finished trials; a candidate's trial is created running (real start)
        # and given its rungs as they come, through the study's storage.
        self.storage = self.study._storage
        with warnings.catch_warnings():  # experimental since Optuna 3.2; the dashboard shows the names
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.study.set_metric_names([fitness_label, *(o.label for o in self.objectives)])
        for name, value in (settings or {}).items():
            self.study.set_user_attr(name, value)
        self.trials: dict[int, int] = {}  # candidate number -> trial id
        self.finished: set[int] = set()  # candidate numbers whose trial is finished
        for trial in self.study.get_trials(deepcopy=False):
            if "candidate" in trial.user_attrs:
                self.trials[trial.user_attrs["candidate"]] = trial._trial_id
                if trial.state.is_finished():
                    self.finished.add(trial.user_attrs["candidate"])

    def on_candidate(self, number: int, index: int, genome: Any, parents: tuple[int, ...], operator: str,
                     generation: int) -> None:
        """A candidate starts: its trial is created now (so trial numbers follow candidate numbers)."""
        if number in self.trials:
            return
        if len(self.trials) != self.storage.get_n_trials(self.study._study_id):
            raise ArchsearchError(f"optuna study {self.study.study_name!r} holds trials archsearch did not write")
        params, distributions = genome_params(genome, self.space)
        template = FrozenTrial(
            number=number, state=TrialState.RUNNING, value=None, datetime_start=datetime.now(),
            datetime_complete=None, params=params, distributions=distributions, system_attrs={},
            intermediate_values={}, trial_id=-1,
            user_attrs={REASON: "", "candidate": number, "index": index, "generation": generation,
                        "parents": list(parents), "operator": operator, "genome_key": genome.key,
                        "architecture": genome.describe()})
        self.trials[number] = self.storage.create_new_trial(self.study._study_id, template_trial=template)

    def write(self, record: EvaluationRecord) -> None:
        """An evaluation of a candidate: an intermediate value, and the trial's end where it is final."""
        number = record.candidate if record.candidate is not None else record.index
        if number not in self.trials or number in self.finished:
            return
        trial_id, result = self.trials[number], record.result
        attrs = {REASON: result.reason, "status": result.status, "params": result.params,
                 "epochs": result.epochs, "seconds": round(result.seconds, 3), "cached_from": record.cached_from,
                 "budget": record.budget, "rung": record.rung, "last_evaluated_at": record.finished_at}
        for name, value in attrs.items():
            self.storage.set_trial_user_attr(trial_id, name, value)
        if result.ok and math.isfinite(result.fitness):
            self.storage.set_trial_intermediate_value(trial_id, record.budget or 0, result.fitness)
        if not result.ok:
            self._finish(number, TrialState.FAIL, None)
        elif self.last_budget is None or record.budget == self.last_budget or record.cached_from is not None:
            self._finish(number, TrialState.COMPLETE, list(objective_values(result, self.objectives)))

    def close(self, records: Sequence[EvaluationRecord]) -> None:
        """The run ended: candidates still waiting for promotion are pruned at their last value."""
        last: dict[int, EvaluationRecord] = {}
        for record in sorted(records, key=lambda r: r.index):
            last[record.candidate if record.candidate is not None else record.index] = record
        for number, record in last.items():
            if number in self.trials and number not in self.finished and record.result.ok:
                self._finish(number, TrialState.PRUNED, list(objective_values(record.result, self.objectives)))

    def _finish(self, number: int, state: TrialState, values: list[float] | None) -> None:
        self.storage.set_trial_state_values(self.trials[number], state, values)
        self.finished.add(number)


class LineageObserver:
    """Writes each candidate and evaluation into the study as the engine reports it, then passes the
    report on to `inner`."""

    def __init__(self, lineage: OptunaLineage, inner=None) -> None:
        self.lineage, self.inner = lineage, inner

    def on_candidate(self, *candidate) -> None:
        self.lineage.on_candidate(*candidate)

    def on_started(self, rung: int) -> None:
        if hasattr(self.inner, "on_started"):
            self.inner.on_started(rung)

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None:
        self.lineage.write(record)
        if self.inner is not None:
            self.inner.on_record(record, replayed)

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        if self.inner is not None:
            self.inner.on_generation(generation, records)
