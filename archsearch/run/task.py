"""A kind of search, as the engine and the run directory see it.

The engine (`run.engine`) runs any strategy over any evaluator; a *task* says what a kind of search
searches and how its candidates become models: its settings are checked and fitted to the data, its
space is read from the run's own copy, its evaluator trains a candidate (to a fidelity, where the task
has them), two genomes are one candidate when their keys agree, and its winner is handed over at the
end. `run.runner.run_task` runs every task the same way (journal, exact resume, Optuna lineage, worker pool),
so a new kind of search is one new Task with its settings type and command, not edits across the
package. The autoencoder search (`autoencoder.task`) and the transfer search (`transfer.task`)
are the two tasks; weight evolution is the autoencoder task's other inner loop.

A task may also bring a cost model, `cost_model(config, splits)` -> `run.predicted.CostModel` (the
seconds a candidate's evaluation takes, predicted from the candidate and its budgets), for runs on the
predicted clock (`RunSettings.clock`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import Evaluator


class Task(Protocol):
    name: str  # written into config.json, so a run directory says which task made it

    def check(self, config: Any) -> None:
        """One-line errors (`ArchsearchError`) for bad settings, before any data is read."""

    def fit(self, config: Any, dataset: Any) -> Any:
        """The settings to run with on this data: what was left to the data filled in, and one-line
        errors for data the settings cannot use."""

    def space(self, config: Any, space_file: Path) -> Any:
        """The space the run searches, from its copy in the run directory."""

    def space_document(self, config: Any) -> dict[str, Any] | None:
        """A space built in Python, as the run directory records it (None: the space is a file, copied)."""

    def evaluator(self, config: Any, splits: Any, run_dir: Path,
                  score_test: bool = False) -> AbstractContextManager[Evaluator]:
        """The evaluator of one candidate on these images (a pool of workers, as the settings say); with
        `score_test`, each candidate is also scored on the test data (`test_fitness`, for comparisons)."""

    def candidate_key(self, config: Any) -> Callable[[Any], str]:
        """What makes two genomes one candidate (a repeat carries the first one's result)."""

    def finish(self, config: Any, run_dir: Path, records: list[EvaluationRecord], dataset: Any, splits: Any,
               log: Callable[[str], None]) -> Any:
        """Hands the winner over (`RUN_DIR/best`) and returns the run's report."""
