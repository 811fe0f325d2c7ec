"""The settings of a `KerasTask`'s run: the shared ones (`RunSettings`), which task it runs and where
that task is defined (so `--resume` and `archsearch export` find it), and their fitting to the data.

Defaults that fit the data: a fifth of the training samples (at most 2,000) for validation, the rest
to train on; multi-fidelity ("asha") with the top rung at `final_epochs` passes over the training
samples, and at least `MIN_TOP_BUDGET` samples so small tables still train for a while. The top rung's
model is the one handed over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from archsearch.core.errors import ArchsearchError
from archsearch.run.settings import MULTI_FIDELITY, RunSettings, check_run_settings, shared_setting, top_budget

MIN_TOP_BUDGET = 32_768  # samples: 1,024 steps of 32
MAX_VAL_SIZE = 2000


@dataclass(frozen=True)
class TaskSettings(RunSettings):
    """A `KerasTask` run's settings. `task_name`, `fitness_text` and `source` come from the task."""

    task: ClassVar[str] = "keras"
    task_name: str = "keras"
    source: str | None = None  # the task's file or module (None: made in Python, so not resumable by the CLI)
    fitness_text: str = "val loss"
    fidelity: str | None = "asha"
    final_epochs: int = shared_setting("final_epochs", 20)

    @property
    def fitness_name(self) -> str:  # type: ignore[override]
        return self.fitness_text.split(" (")[0].replace(" ", "_")

    @property
    def fitness_label(self) -> str:  # type: ignore[override]
        return self.fitness_text

    @property
    def budget_unit(self) -> str:
        return "samples seen"

    def candidate_training(self) -> str:
        """How each candidate is trained, in words for progress output and reports."""
        if self.rungs is not None:
            return (f"each candidate trains on a stream of {self.train_size:,} samples to budgets of "
                    f"{self.rungs.describe('samples seen')} and is scored on {self.val_size:,} others; the top "
                    "rung's model is the one handed over")
        return (f"each candidate trains on {self.train_size:,} samples for up to {self.epochs} epochs (patience "
                f"{self.patience}) and is scored on {self.val_size:,} others")


def check_task_settings(config: TaskSettings) -> None:
    check_run_settings(config)
    if config.inner != "backprop":
        raise ArchsearchError(f"--inner {config.inner}: a Keras task's candidates train by backprop")


def fit_task_to_data(config: TaskSettings, samples: int) -> TaskSettings:
    """Fills what was left to the data for `samples` training samples (explicit settings are kept)."""
    val_size = config.val_size or max(1, min(MAX_VAL_SIZE, samples // 5))
    if val_size >= samples:
        raise ArchsearchError(f"--val-size {val_size}: the data has only {samples} training samples")
    train_size = config.train_size or samples - val_size
    if config.fidelity not in MULTI_FIDELITY:
        return replace(config, val_size=val_size, train_size=train_size)
    max_budget = top_budget(config, max(train_size * config.final_epochs, MIN_TOP_BUDGET))
    return replace(config, val_size=val_size, train_size=train_size, max_budget=max_budget)
