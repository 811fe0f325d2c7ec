"""An autoencoder trained to a budget of images seen on the stream (`training.budgeted`), continuing
from its checkpoint: the multi-fidelity inner loop of the autoencoder search."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import keras
import numpy as np

from archsearch.autoencoder.genome import TrainingGenes
from archsearch.autoencoder.model import Autoencoder
from archsearch.core.fidelity import Fidelity
from archsearch.training.budgeted import cosine_schedule, fit_stream, save_checkpoint
from archsearch.training.keras_parts import make_loss, make_optimizer, mean_squared_error


def make_scheduled_optimizer(training: TrainingGenes, schedule_budget: int) -> keras.optimizers.Optimizer:
    """The genome's optimizer with its learning rate decaying (cosine) to 0 over the schedule budget."""
    return make_optimizer(training, cosine_schedule(training.learning_rate, training.batch_size, schedule_budget))


@dataclass(frozen=True)
class BudgetOutcome:
    val_mse: float
    train_loss: float
    seconds: float  # fitting, and scoring the validation images
    first_step_seconds: float  # the first batch: graph tracing plus one step
    diverged: bool


def train_to_budget(built: Autoencoder, training: TrainingGenes, x_train: np.ndarray, x_val: np.ndarray,
                    fidelity: Fidelity, seed: int) -> BudgetOutcome:
    """Trains images `fidelity.start`..`fidelity.budget` of the stream (continuing from `fidelity.resume`),
    scores the validation images, and saves the checkpoint if asked (not after a divergence)."""
    model = built.autoencoder
    model.compile(optimizer=make_scheduled_optimizer(training, fidelity.schedule_budget), loss=make_loss(training))
    started = time.perf_counter()
    fit = fit_stream(model, x_train, x_train, training.batch_size, fidelity, seed)
    if fit.diverged:
        return BudgetOutcome(math.inf, math.inf, time.perf_counter() - started, fit.first_step_seconds, diverged=True)
    val_mse = mean_squared_error(model, x_val)
    seconds = time.perf_counter() - started  # fitting and scoring, as `EvaluationResult.train_seconds`
    if not math.isfinite(val_mse):
        return BudgetOutcome(math.inf, fit.losses[-1], seconds, fit.first_step_seconds, diverged=True)
    if fidelity.checkpoint:
        save_checkpoint(model, fidelity.checkpoint)
    return BudgetOutcome(val_mse, float(fit.losses[-1]), seconds, fit.first_step_seconds, diverged=False)
