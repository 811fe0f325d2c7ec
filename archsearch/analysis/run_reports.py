"""The reports every run writes of its record (`run.reports.RunReports`): `evaluations.csv`, the Pareto
front of a multi-objective run (`pareto.csv`, `pareto.png`), and with `optuna_storage` the run as an
Optuna study with its lineage, written trial by trial as the run goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archsearch.analysis.lineage import LineageObserver, OptunaLineage
from archsearch.analysis.pareto import write_pareto
from archsearch.analysis.tables import evaluations_frame
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import Observer
from archsearch.run.run_dir import EVALUATIONS
from archsearch.strategies import STRATEGIES


class StandardReports:
    def __init__(self, config: Any, run_dir: Path, space: Any) -> None:
        self.config, self.run_dir = config, run_dir
        self.multi_objective = STRATEGIES[config.strategy].multi_objective
        rungs = config.rungs
        self.lineage = None if not config.optuna_storage else OptunaLineage(
            config.optuna_storage, str(run_dir), space, config.other_objectives if self.multi_objective else None,
            config.fitness_label, config.recorded(), rungs.budgets[-1] if rungs is not None else None)

    def observe(self, observer: Observer | None) -> Observer | None:
        return observer if self.lineage is None else LineageObserver(self.lineage, observer)

    def close(self, records: list[EvaluationRecord]) -> None:
        if self.lineage is not None:
            self.lineage.close(records)
        evaluations_frame(records).to_csv(self.run_dir / EVALUATIONS, index=False)
        if self.multi_objective:
            c = self.config
            write_pareto(records, self.run_dir, title=f"{c.strategy} on {Path(c.space).stem}, seed {c.seed}",
                         fitness_name=c.fitness_name, objectives=c.other_objectives)


def standard_reports(config: Any, run_dir: Path, space: Any) -> StandardReports:
    return StandardReports(config, run_dir, space)
