"""A run's evaluations as trials of an Optuna study, so users can browse it in optuna-dashboard.

Any SQLAlchemy URL works (`sqlite:///runs.db` is the embedded default). Each evaluation becomes one
trial: its genome as Optuna parameters (the conditional encoding of `optuna_space`), its validation
loss as the value (loss and the run's other objectives for `nsga2`), a failed or invalid candidate as a FAIL
trial, and the lineage as user attributes: journal index, generation, parent indices and operator.
The journal stays the source of truth: on resume, the trials the study lacks are added, none twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import optuna
from optuna.trial import TrialState

from archsearch.errors import ArchsearchError
from archsearch.objectives import Objective, objective_values
from archsearch.records import EvaluationRecord
from archsearch.space import SearchSpace
from archsearch.strategies.optuna_space import genome_params


class OptunaLineage:
    """Mirrors journal records into the study `study_name` of `storage`."""

    def __init__(self, storage: str, study_name: str, space: SearchSpace,
                 objectives: Sequence[Objective] | None = None) -> None:
        """`objectives`: for a multi-objective run, what it minimises beside the fitness (one study value each)."""
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space, self.objectives = space, tuple(objectives or ())
        directions = ["minimize"] * (1 + len(self.objectives))
        try:
            self.study = optuna.create_study(storage=storage, study_name=study_name, directions=directions,
                                             load_if_exists=True)
        except (ValueError, ImportError, optuna.exceptions.OptunaError) as exc:
            raise ArchsearchError(f"--optuna-storage {storage}: {str(exc).splitlines()[0]}") from None
        if len(self.study.directions) != len(directions):
            raise ArchsearchError(f"--optuna-storage {storage}: study {study_name!r} exists with "
                                  f"{len(self.study.directions)} objective(s), this run has {len(directions)}")
        self.written = {t.user_attrs.get("index") for t in self.study.get_trials(deepcopy=False)}

    def write(self, record: EvaluationRecord) -> None:
        if record.index in self.written:
            return
        params, distributions = genome_params(record.genome, self.space)
        result = record.result
        values = None
        if result.ok:
            values = list(objective_values(result, self.objectives))
        self.study.add_trial(optuna.trial.create_trial(
            state=TrialState.COMPLETE if result.ok else TrialState.FAIL, values=values,
            params=params, distributions=distributions,
            user_attrs={"index": record.index, "generation": record.generation, "parents": list(record.parents),
                        "operator": record.operator, "genome_key": record.genome.key,
                        "architecture": record.genome.describe(), "status": result.status, "reason": result.reason,
                        "params": result.params, "epochs": result.epochs, "seconds": round(result.seconds, 3),
                        "cached_from": record.cached_from}))
        self.written.add(record.index)

    def sync(self, records: Sequence[EvaluationRecord]) -> None:
        """Adds the records the study does not hold yet (after a resume, or a crash between the two)."""
        for record in sorted(records, key=lambda r: r.index):
            self.write(record)


class LineageObserver:
    """Writes each record into the study as the loop reports it, then passes it on to `inner`."""

    def __init__(self, lineage: OptunaLineage, inner=None) -> None:
        self.lineage, self.inner = lineage, inner

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None:
        self.lineage.write(record)
        if self.inner is not None:
            self.inner.on_record(record, replayed)

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        if self.inner is not None:
            self.inner.on_generation(generation, records)
