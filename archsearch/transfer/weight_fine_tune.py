"""Fine-tuning without gradients (`archsearch transfer --inner weights`): the classifier's trained layers
evolve by a weight strategy, scored by cross-entropy on the training images with the batched pass.

The frozen part of the backbone never changes, so it runs once per candidate (Keras, in batches) and
every generation scores the population on its output: a frozen backbone costs one forward pass, not one
per individual. The trained layers start from the pretrained weights (the head from a fresh
initialisation): the evolution strategies' centre is that vector, and a GA's first generation holds it.
"""

from __future__ import annotations

import math

import numpy as np

from archsearch.core.data import DataSplits
from archsearch.core.errors import InvalidGenome
from archsearch.transfer.model import TransferModel, split_at_frozen
from archsearch.transfer.outcome import FineTuneOutcome
from archsearch.weights.evolution import Labelled, WeightEvolutionSettings, evolve_weights, starting_from
from archsearch.weights.population_forward import PopulationForward
from archsearch.weights.strategies import make_weight_strategy

BATCH = 512  # images per call of the frozen part


def evolve_classifier(built: TransferModel, splits: DataSplits, settings: WeightEvolutionSettings,
                      seed: int) -> FineTuneOutcome:
    """Evolves the classifier's trained layers on the training images (`epochs`: generations). The
    evolved weights are the classifier's afterwards. A layer the batched pass cannot run makes the genes
    invalid (one line naming it)."""
    try:
        fixed, trained = split_at_frozen(built)  # a branched stretch (a DenseNet block) is no chain
        forward = PopulationForward(trained)
    except (ValueError, TypeError) as exc:
        raise InvalidGenome(f"--inner weights: {str(exc).strip().splitlines()[0][:300]}") from None
    x_train = fixed.predict(splits.x_train, batch_size=BATCH, verbose=0)
    x_val = fixed.predict(splits.x_val, batch_size=BATCH, verbose=0)
    outcome = evolve_weights(trained, x_train, settings, np.random.default_rng(seed),
                             starting_from(forward.layout.flatten(trained), make_weight_strategy), monitor=x_val,
                             forward=forward, labels=Labelled(splits.y_train, splits.y_val))
    solution = outcome.solution[None]
    val_error = float(forward.fitness(solution, x_val, splits.y_val, "error_rate")[0])
    val_loss = float(forward.fitness(solution, x_val, splits.y_val, "crossentropy")[0])
    train_loss = outcome.history[-1].best
    diverged = not (math.isfinite(train_loss) and math.isfinite(val_loss))
    return FineTuneOutcome(1.0 - val_error, val_loss, train_loss, outcome.generations, outcome.seconds, diverged)
