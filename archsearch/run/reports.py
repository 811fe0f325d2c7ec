"""What a run writes of its record beside the journal (tables, plots, the Optuna lineage) is handed to the
runner by the layer above it (`analysis.run_reports.standard_reports`), so the engine writes no report:
a `RunReports` watches the run through its observer and writes its files when the run ends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import Observer


class RunReports(Protocol):
    def observe(self, observer: Observer | None) -> Observer | None:
        """The run's observer, with whatever this report watches as the run goes added to it."""

    def close(self, records: list[EvaluationRecord]) -> None:
        """The run has ended with `records`: write what is derived from them."""


# (settings, run directory, space) -> the run's reports
ReportsFactory = Callable[[Any, Path, Any], RunReports]
