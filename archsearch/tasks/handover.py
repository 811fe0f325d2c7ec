"""The winner of a `KerasTask` run handed over in RUN_DIR/best: `model.keras` (plain
`keras.models.load_model`), `genome.json`, `summary.txt` and `metrics.json` with its validation and test
scores. A multi-fidelity run's winner is its top rung's model, loaded from its checkpoint (the model the
search judged, not trained again); otherwise it is retrained for `final_epochs` with early stopping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from archsearch.core.data import DataSplits
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import candidate_seed
from archsearch.run.engine import checkpoint_path
from archsearch.run.run_dir import CHECKPOINTS
from archsearch.tasks.evaluator import build_model, compile_model, fit_epochs, scores
from archsearch.tasks.keras_task import KerasTask, targets_of
from archsearch.tasks.settings import TaskSettings
from archsearch.training.budgeted import load_checkpoint
from archsearch.training.keras_parts import fresh_keras_state
from archsearch.training.winner import write_winner


@dataclass(frozen=True)
class Winner:
    model: keras.Model
    how: str  # how it was trained, in words
    metrics: dict[str, Any]


def hand_over(task: KerasTask, config: TaskSettings, run_dir: Path, record: EvaluationRecord,
              splits: DataSplits, directory: Path) -> Winner:
    """Writes the candidate of `record` to `directory`, scored on the validation and test splits."""
    genome = record.genome
    seed = candidate_seed(config.seed, genome)
    fresh_keras_state(seed)
    model = build_model(task, genome, splits.x_train.shape[1:], targets_of(splits.y_train, splits.y_val, splits.y_test),
                        None)
    path = checkpoint_path(run_dir / CHECKPOINTS, record.index)
    if config.rungs is not None and path.is_file():
        compile_model(task, model, genome, config.rungs.budgets[-1])
        load_checkpoint(model, path)  # the optimizer's state too, so the saved model can train on
        how = f"its training in the search ({record.budget:,} samples seen; not trained again)"
    else:
        compile_model(task, model, genome)
        fit = fit_epochs(task, model, genome, splits.x_train, splits.y_train, (splits.x_val, splits.y_val),
                         config.final_epochs, 2)
        how = f"retrained for {fit.epochs} epochs on {len(splits.x_train):,} samples"
    metrics = {**scores(model, splits.x_val, splits.y_val, "val_"),
               **scores(model, splits.x_test, splits.y_test, "test_")}
    metrics.update(genome_key=genome.key, params=model.count_params(), search_fitness=record.result.fitness)
    if task.report is not None:
        directory.mkdir(parents=True, exist_ok=True)
        metrics.update(task.report(model, splits.x_test, splits.y_test, directory))
    summary = (f"task: {task.name}\ncandidate: {genome.describe()}\ntrained by: {how}\n"
               f"{task.fitness_label} in the search: {record.result.fitness:.6g}\n"
               + "".join(f"{name}: {value:.6g}\n" for name, value in metrics.items() if isinstance(value, float)))
    write_winner(directory, genome, {"model": model}, summary, metrics)
    return Winner(model, how, metrics)
