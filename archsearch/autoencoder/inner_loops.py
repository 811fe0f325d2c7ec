"""The inner loop a search trains its candidates with, chosen by `SearchConfig.inner`: backprop, or
weight evolution (no gradients). This is where the run joins evaluation to the weight strategies;
everything above it sees one evaluator interface and one final trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archsearch.autoencoder.backprop import BackpropEvaluator, train_autoencoder
from archsearch.autoencoder.config import SearchConfig
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.model import Autoencoder
from archsearch.autoencoder.weight_inner_loop import WeightEvolutionEvaluator, evolve_and_validate
from archsearch.core.data import DataSplits
from archsearch.core.objectives import needs_latent_metrics
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import candidate_key_for
from archsearch.tasks.evaluator import EpochSettings
from archsearch.training.budgeted import load_model_variables
from archsearch.weights.evolution import WeightEvolutionSettings
from archsearch.weights.population_forward import PopulationForward
from archsearch.weights.strategies import make_weight_strategy


def candidate_key(config: SearchConfig) -> Callable[[Genome], str]:
    """What makes two genomes one candidate for this inner loop: weight evolution ignores the training
    genes, so genomes differing only there are trained once (`Genome.architecture_key`)."""
    return candidate_key_for(config.inner)


def make_evaluator(config: SearchConfig, splits: DataSplits, score_test: bool = False,
                   weights_dir: str | Path | None = None):
    """The candidate evaluator of `config` (not yet wrapped in worker processes); with the config's
    `inherit_weights`, trained weights are kept in `weights_dir` for the offspring to start from; with
    latent objectives, each candidate's validation codes are scored against the labels."""
    x_test = splits.x_test if score_test else None
    labels = (splits.y_train, splits.y_val) if needs_latent_metrics(config.other_objectives) else None
    if config.inner == "weights":
        return WeightEvolutionEvaluator(splits.x_train, splits.x_val, WeightEvolutionSettings.of_run(config),
                                        make_weight_strategy, config.max_params, x_test=x_test, labels=labels)
    if config.inherit_weights and weights_dir is None:
        raise ValueError("inherit_weights needs a directory for the weights")
    return BackpropEvaluator(splits.x_train, splits.x_val,
                             EpochSettings(config.epochs, config.patience, config.max_params), x_test=x_test,
                             weights_dir=str(weights_dir) if config.inherit_weights else None, labels=labels,
                             augment=config.augment or "none", centred=bool(config.centre))


@dataclass(frozen=True)
class FinalTraining:
    """What training the winner did: `steps` epochs (backprop) or generations (weights)."""

    steps: int
    seconds: float
    val_mse: float


@dataclass(frozen=True)
class FinalTrainer:
    """Trains the winner the way its run trained candidates, only on more images for longer."""

    config: SearchConfig

    @property
    def description(self) -> str:
        c = self.config
        if c.inner == "weights":
            return (f"{c.final_weight_generations} generations of {c.weight_strategy} weight evolution "
                    f"(population {c.weight_population}, no gradients)")
        return f"up to {c.final_epochs} epochs of backprop"

    def __call__(self, built: Autoencoder, genome: Genome, splits: DataSplits, seed: int) -> FinalTraining:
        c = self.config
        if c.inner == "weights":
            outcome, val_mse = evolve_and_validate(PopulationForward(built.autoencoder), splits.x_train, splits.x_val,
                                                   WeightEvolutionSettings.of_run(c, c.final_weight_generations), seed,
                                                   make_weight_strategy)
            return FinalTraining(outcome.generations, outcome.seconds, val_mse)
        outcome = train_autoencoder(built, genome.training, splits.x_train, splits.x_val,
                                    EpochSettings(epochs=c.final_epochs, patience=2, max_params=None))
        return FinalTraining(outcome.epochs, outcome.seconds, outcome.val_mse)


@dataclass(frozen=True)
class FromCheckpoint:
    """The winner of a multi-fidelity run as its top rung left it: its checkpoint is loaded, nothing is
    trained again, so the model handed over is the one the search judged."""

    path: Path
    record: EvaluationRecord
    seconds: float  # the training of every rung the candidate went through
    unit: str  # what the rungs' budgets count (`SearchConfig.budget_unit`)

    @property
    def description(self) -> str:
        return f"its training in the search ({self.record.budget:,} {self.unit}; no retraining)"

    def __call__(self, built: Autoencoder, genome: Genome, splits: DataSplits, seed: int) -> FinalTraining:
        load_model_variables(built.autoencoder, self.path)
        return FinalTraining(self.record.result.epochs, self.seconds, self.record.result.fitness)
