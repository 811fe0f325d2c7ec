"""Weight-evolution fitness: build a genome, evolve its weights (no gradients), score it on validation.

The same interface as `BackpropEvaluator` (`evaluate(genome, seed) -> EvaluationResult`), so the search
loop, the journal, the budget and the worker pool cannot tell the two apart (`archsearch search --inner
weights`). Fitness is the validation reconstruction MSE of the evolved solution, as with backprop.
The genome's training genes (optimizer, learning rate, batch size, loss) configure gradient descent and
are not used here: `WeightEvolutionSettings` says how the weights evolve. `EvaluationResult.epochs`
holds the generations run.
"""

from __future__ import annotations

import math
import pickle
import time
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.model import build_autoencoder
from archsearch.core.errors import InvalidGenome
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import FAILED, OK, EvaluationResult
from archsearch.latent.metrics import Labels, latent_metrics
from archsearch.training.budgeted import model_arrays, write_npz_atomically
from archsearch.training.failures import failure_as_data
from archsearch.weights.evolution import (
    WeightEvolutionOutcome,
    WeightEvolutionSettings,
    WeightStrategyFactory,
    evolve_weights,
)
from archsearch.weights.population_forward import PopulationForward

STRATEGY_STATE = "weight_strategy_state"  # a checkpoint's pickled weight-strategy state, beside the model's weights


class WeightEvolutionEvaluator:
    """Scores genomes by evolving their weights. One instance serves a whole run; it pickles (plain
    arrays, settings and a module-level factory), so it runs in worker processes like backprop's."""

    name = "weights"
    preload = ("keras",)  # what its worker processes import before it arrives

    def __init__(self, x_train: np.ndarray, x_val: np.ndarray, settings: WeightEvolutionSettings,
                 make_strategy: WeightStrategyFactory, max_params: int | None = 1_000_000,
                 x_test: np.ndarray | None = None, labels: Labels | None = None) -> None:
        """`x_test` and `labels` as for `BackpropEvaluator`: test MSE and latent metrics, when given."""
        self.x_train, self.x_val, self.x_test, self.labels = x_train, x_val, x_test, labels
        self.settings, self.make_strategy, self.max_params = settings, make_strategy, max_params

    def evaluate(self, genome: Genome, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult:
        """With a `fidelity`, the budget is generations: the weights evolve from generation
        `fidelity.start` (the strategy's state in `fidelity.resume`) to `fidelity.budget`, and the state
        and the solution's weights are saved to `fidelity.checkpoint` (multi-fidelity search)."""
        def score(start: float) -> EvaluationResult:
            built = build_autoencoder(genome, self.x_train.shape[1:], self.max_params)
            try:
                forward = PopulationForward(built.autoencoder)
            except ValueError as exc:  # a layer the batched pass cannot run: the genome's fault
                raise InvalidGenome(str(exc)) from None
            return self._evolve_and_score(built, forward, seed, start, fidelity)

        return failure_as_data(score, seed)

    def _evolve_and_score(self, built, forward: PopulationForward, seed: int, start: float,
                          fidelity: Fidelity | None = None) -> EvaluationResult:
        settings = self.settings if fidelity is None else replace(self.settings, generations=fidelity.budget)
        resume = read_strategy_state(fidelity.resume) if fidelity is not None and fidelity.resume else None
        outcome, val_mse = evolve_and_validate(forward, self.x_train, self.x_val, settings, seed,
                                               self.make_strategy, resume)
        solution, last = outcome.solution[None], outcome.history[-1]
        common = dict(params=built.params, epochs=settings.generations if fidelity else outcome.generations,
                      train_seconds=outcome.seconds)
        reason = ("every weight vector of the last generation scored NaN/inf on its training images"
                  if not math.isfinite(last.best) else
                  "the evolved weights give NaN/inf reconstructions" if not math.isfinite(val_mse) else None)
        if reason:
            return EvaluationResult(FAILED, seconds=time.perf_counter() - start, reason=reason, **common)
        metrics = {"val_loss": float(last.monitor), "train_loss": last.best}
        if self.x_test is not None:
            metrics["test_mse"] = float(forward.fitness(solution, self.x_test)[0])
        if self.labels is not None:  # the evolved weights are the model's now (evolve_weights assigns them)
            metrics.update(latent_metrics(built.encoder, self.x_train, self.x_val, self.labels, seed))
        if fidelity is not None and fidelity.checkpoint:
            save_evolution_checkpoint(built.autoencoder, outcome.strategy.state_dict(), fidelity.checkpoint)
        return EvaluationResult(OK, fitness=val_mse, seconds=time.perf_counter() - start, metrics=metrics, **common)


def save_evolution_checkpoint(model: keras.Model, strategy_state: dict, path: str | Path) -> None:
    """The solution's weights as the model's variables (what `load_model_variables` reads, so a winner is
    handed over as a backprop one is) and the weight strategy's whole state, to go on evolving."""
    arrays = model_arrays(model)
    arrays[STRATEGY_STATE] = np.frombuffer(pickle.dumps(strategy_state), dtype=np.uint8)
    write_npz_atomically(path, arrays)


def read_strategy_state(path: str | Path) -> dict:
    with np.load(path) as saved:
        return pickle.loads(saved[STRATEGY_STATE].tobytes())


def evolve_and_validate(forward: PopulationForward, x_train: np.ndarray, x_val: np.ndarray,
                        settings: WeightEvolutionSettings, seed: int, make_strategy: WeightStrategyFactory,
                        resume: dict | None = None) -> tuple[WeightEvolutionOutcome, float]:
    """Evolves `forward`'s model from `seed` (or on from `resume`, a strategy's state), watching `x_val`;
    returns the outcome and the solution's validation MSE (the last monitor score itself when the
    fitness is MSE)."""
    outcome = evolve_weights(forward.model, x_train, settings, np.random.default_rng(seed), make_strategy,
                             monitor=x_val, forward=forward, resume=resume)
    if settings.scores_mse:
        return outcome, float(outcome.history[-1].monitor)
    return outcome, float(forward.fitness(outcome.solution[None], x_val)[0])
