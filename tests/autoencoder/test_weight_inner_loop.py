"""`--inner weights`: the weight-evolution evaluator plugs into the search where backprop does, on tiny
synthetic images (real evolution, no gradients)."""

import json
import math
import pickle

import keras
import numpy as np
import pytest

from archsearch.autoencoder.config import SearchConfig, check_config
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.weight_inner_loop import WeightEvolutionEvaluator
from archsearch.core.data import Dataset
from archsearch.core.errors import ArchsearchError, ResumeError
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import FAILED, INVALID, OK
from archsearch.weights.evolution import WeightEvolutionSettings
from archsearch.weights.strategies import make_weight_strategy

SMALL = Genome((LayerGene("conv", filters=4, kernel=3, stride=2, activation="relu"),), 4, TrainingGenes())
SETTINGS = WeightEvolutionSettings(strategy="es", population=16, batch_size=None,
                                   options={"sigma": 0.05, "learning_rate": 0.05})


def evaluator(x_train, x_val, generations, **changes) -> WeightEvolutionEvaluator:
    settings = WeightEvolutionSettings(**{**SETTINGS.to_dict(), "generations": generations})
    return WeightEvolutionEvaluator(x_train, x_val, settings, make_weight_strategy, **changes)


@pytest.mark.slow
def test_more_generations_give_a_better_network_and_the_same_seed_the_same_fitness(tiny_images):
    few, many = (evaluator(*tiny_images, g).evaluate(SMALL, seed=3) for g in (1, 30))
    assert few.status == many.status == OK
    assert many.fitness < 0.8 * few.fitness, (few.fitness, many.fitness)
    assert many.epochs == 30 and many.params > 0 and many.seconds >= many.train_seconds > 0
    assert set(many.metrics) == {"val_loss", "train_loss"}
    assert evaluator(*tiny_images, 30).evaluate(SMALL, seed=3).fitness == many.fitness


@pytest.mark.slow  # trains models: seconds
def test_fitness_is_the_validation_mse_of_the_evolved_weights(tiny_images):
    """Scored by the batched pass; Keras, given the same weights, must agree."""
    from archsearch.autoencoder.model import build_autoencoder
    from archsearch.weights.evolution import evolve_weights

    x_train, x_val = tiny_images
    result = evaluator(x_train, x_val, 5).evaluate(SMALL, seed=1)
    keras.utils.set_random_seed(1)
    model = build_autoencoder(SMALL, x_train.shape[1:]).autoencoder
    settings = WeightEvolutionSettings(**{**SETTINGS.to_dict(), "generations": 5})
    evolve_weights(model, x_train, settings, np.random.default_rng(1), make_weight_strategy, monitor=x_val)
    reconstruction = model.predict(x_val, verbose=0)
    assert result.fitness == pytest.approx(float(np.mean((reconstruction - x_val) ** 2)), rel=1e-4)


@pytest.mark.slow  # evolves weights: seconds
def test_failures_are_data(tiny_images):
    x_train, x_val = tiny_images
    poisoned = x_train.copy()
    poisoned[:, 2, 2, 0] = np.nan
    nan = evaluator(poisoned, x_val, 3).evaluate(SMALL, 1)
    assert nan.status == FAILED and "NaN" in nan.reason and math.isinf(nan.fitness)
    too_big = evaluator(x_train, x_val, 3, max_params=100).evaluate(SMALL, 1)
    assert too_big.status == INVALID and "over the limit of 100" in too_big.reason
    too_deep = Genome((LayerGene("pool"),) * 5, 8, TrainingGenes())
    assert evaluator(x_train, x_val, 3).evaluate(too_deep, 1).status == INVALID


@pytest.mark.slow  # evolves weights twice: seconds
def test_the_evaluator_crosses_process_boundaries(tiny_images):
    original = evaluator(*tiny_images, 2)
    clone = pickle.loads(pickle.dumps(original))
    assert clone.evaluate(SMALL, 2).fitness == original.evaluate(SMALL, 2).fitness


@pytest.mark.parametrize("change, message", [
    ({"inner": "sgd"}, "--inner sgd: unknown"),
    ({"weight_strategy": "nope"}, "--weight-strategy nope: unknown"),
    ({"weight_population": 7}, "--weight-strategy snes: .*population must be even"),
    ({"weight_options": {"sigmaa": 1}}, "--weight-strategy snes: .*sigmaa"),
    ({"weight_generations": 0}, "--weight-generations 0: must be at least 1"),
])
def test_bad_inner_settings_are_one_line_errors(change, message):
    with pytest.raises(ArchsearchError, match=message):
        check_config(SearchConfig(**{"inner": "weights", **change}))


@pytest.mark.slow
def test_search_with_weight_evolution_inner_loop_exports_a_loadable_model(tiny_images, tmp_path):
    """Through a worker process, as a user's search runs; the winner is evolved again, not backpropagated."""
    from archsearch.autoencoder.task import search

    x_train, x_val = tiny_images
    dataset = Dataset(np.concatenate([x_train, x_val]), x_val, source="tiny")
    config = SearchConfig(space="dense_autoencoder", strategy="ga", population=4, generations=1, train_size=48,
                          val_size=16, inner="weights", weight_population=8, weight_generations=4,
                          weight_batch=0, final_train_size=48, final_weight_generations=6, workers=1)
    report = search(config, tmp_path / "run", dataset=dataset)
    ok = [r for r in report.records if r.result.ok]
    assert len(report.records) == 8 and ok
    assert all(r.result.epochs == 4 for r in ok)  # generations, counted where backprop counts epochs
    final = report.final
    assert final.epochs == 6 and "weight evolution" in final.trained_by
    model = keras.models.load_model(tmp_path / "run" / "best" / "model.keras")
    reconstruction = model.predict(x_val, verbose=0)
    assert float(np.mean((reconstruction - x_val) ** 2)) == pytest.approx(final.test_mse, rel=1e-4)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["inner"] == "weights"
    with pytest.raises(ResumeError, match="weight_generations was 4"):
        search(config.with_overrides(weight_generations=5), tmp_path / "run", resume=True, dataset=dataset)


@pytest.mark.slow  # evolves weights: seconds
def test_continued_evolution_equals_uninterrupted_evolution(tiny_images, tmp_path):
    """A candidate promoted from rung to rung goes on from the strategy's saved state (minibatches too)."""
    x_train, x_val = tiny_images
    settings = WeightEvolutionSettings(**{**SETTINGS.to_dict(), "batch_size": 16, "generations": 100})
    run = WeightEvolutionEvaluator(x_train, x_val, settings, make_weight_strategy)  # fidelities set generations
    straight = run.evaluate(SMALL, 3, (), Fidelity(9, 9, checkpoint=str(tmp_path / "straight.npz")))
    steps, start = [], 0
    for budget in (1, 3, 9):  # as a promoted candidate in another process
        steps.append(run.evaluate(SMALL, 3, (), Fidelity(budget, 9, start, str(tmp_path / f"{start}.npz")
                                                         if start else None, str(tmp_path / f"{budget}.npz"))))
        start = budget
    assert all(r.status == OK for r in [straight, *steps]) and steps[-1].epochs == 9
    assert steps[-1].fitness == pytest.approx(straight.fitness, rel=1e-6)
    assert steps[0].fitness > steps[-1].fitness
    with np.load(tmp_path / "straight.npz") as a, np.load(tmp_path / "9.npz") as b:
        for name in a.files:
            if name.startswith("model_"):
                np.testing.assert_allclose(a[name], b[name], rtol=1e-6)


@pytest.mark.slow
def test_a_multi_fidelity_weight_search_climbs_rungs_of_generations(tiny_images, tmp_path):
    from archsearch.autoencoder.task import search

    x_train, x_val = tiny_images
    dataset = Dataset(np.concatenate([x_train, x_val]), x_val, source="tiny")
    config = SearchConfig(space="dense_autoencoder", strategy="ga", population=4, generations=1, train_size=48,
                          val_size=16, inner="weights", weight_population=8, weight_generations=9, weight_batch=0,
                          fidelity="asha", isolate=False)
    report = search(config, tmp_path / "run", dataset=dataset)
    assert SearchConfig.load(tmp_path / "run" / "config.json").rungs.budgets == (1, 3, 9)  # generations
    assert sum(r.candidate_first for r in report.records) == 8
    assert {r.budget for r in report.records} == {1, 3, 9} and report.best[0].budget == 9
    # the winner is handed over as the top rung left it: its validation MSE is the search's
    assert "9 generations; no retraining" in report.final.trained_by
    assert report.final.val_mse == pytest.approx(report.best[0].result.fitness, rel=1e-5)
