"""The backprop evaluator on tiny synthetic images: real training, and failure recorded as data."""

import math
import pickle

import keras
import numpy as np
import pytest

from archsearch.autoencoder.backprop import BackpropEvaluator
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.core.records import FAILED, INVALID, OK
from archsearch.tasks.evaluator import EpochSettings

SMALL = Genome((LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"),), 8,
               TrainingGenes("adam", 3e-3, 16, "mse"))


class RaiseAtEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("planted failure")


@pytest.mark.slow
def test_training_reduces_validation_error(tiny_images):
    x_train, x_val = tiny_images
    one = BackpropEvaluator(x_train, x_val, EpochSettings(epochs=1)).evaluate(SMALL, seed=1)
    many = BackpropEvaluator(x_train, x_val, EpochSettings(epochs=12, patience=12)).evaluate(SMALL, seed=1)
    assert one.status == many.status == OK
    assert many.fitness < one.fitness
    assert many.params == one.params > 0
    assert many.epochs == 12 and many.train_seconds > 0 and many.seconds >= many.train_seconds


@pytest.mark.slow  # trains models: seconds
def test_same_seed_same_fitness(tiny_images):
    evaluator = BackpropEvaluator(*tiny_images, EpochSettings(epochs=2))
    assert evaluator.evaluate(SMALL, 5).fitness == evaluator.evaluate(SMALL, 5).fitness


def test_planted_nan_is_a_failed_evaluation(tiny_images):
    x_train, x_val = tiny_images
    poisoned = x_train.copy()
    poisoned[3, 2, 2, 0] = np.nan
    result = BackpropEvaluator(poisoned, x_val, EpochSettings(epochs=2)).evaluate(SMALL, 1)
    assert result.status == FAILED
    assert "NaN" in result.reason
    assert math.isinf(result.fitness)


def test_planted_exception_is_a_failed_evaluation(tiny_images):
    settings = EpochSettings(epochs=2, callbacks=(RaiseAtEpoch(),))
    result = BackpropEvaluator(*tiny_images, settings).evaluate(SMALL, 1)
    assert result.status == FAILED
    assert result.reason == "RuntimeError: planted failure"
    assert math.isinf(result.fitness)


def test_unbuildable_genome_is_invalid_not_a_crash(tiny_images):
    too_deep = Genome((LayerGene("pool"),) * 5, 8, TrainingGenes())
    result = BackpropEvaluator(*tiny_images).evaluate(too_deep, 1)
    assert result.status == INVALID and "1-pixel side" in result.reason


def test_evaluators_pickle_for_worker_processes(tiny_images):
    evaluator = BackpropEvaluator(*tiny_images)
    clone = pickle.loads(pickle.dumps(evaluator))
    assert np.array_equal(clone.x_train, evaluator.x_train)
