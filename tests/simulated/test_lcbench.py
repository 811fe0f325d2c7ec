"""LCBench (YAHPO Gym's surrogate) as a benchmark: how a candidate becomes the model's inputs, what a
promotion costs, its regret, and a search over it. The published model is read from a folder the user
gives; here a small analytic model stands in for it, and the real one is tried where
ARCHSEARCH_YAHPO_DATA names a copy of github.com/slds-lmu/yahpo_data (and onnxruntime is installed)."""

import os

import numpy as np
import pytest

from archsearch import run_task
from archsearch.core.errors import ArchsearchError
from archsearch.simulated.lcbench import INPUTS, LADDER, SPACE, LCBench, load_lcbench
from archsearch.simulated.task import NO_DATA, SimulatedSettings, SimulatedTask


class Analytic:
    """Accuracy rises with the epoch towards a peak at a learning rate of 1e-2; time is 2 s an epoch."""

    def __init__(self):
        self.calls = []

    def __call__(self, x_cat, x_cont):
        self.calls.append((x_cat.copy(), x_cont.copy()))
        epoch, learning_rate = x_cont[:, 0], x_cont[:, INPUTS.index("learning_rate")]
        accuracy = 90 - 10 * np.abs(np.log10(learning_rate) + 2) - 30 / epoch
        return np.stack([2.0 * epoch, accuracy, *np.zeros((4, len(epoch)))], axis=1)


def test_a_candidate_reaches_the_model_in_its_order_and_a_promotion_costs_only_the_difference():
    model = Analytic()
    benchmark = LCBench(model, instance_code=30, best_accuracy=0.9)
    genes = SPACE.sample(np.random.default_rng(0))
    first = benchmark.outcome(genes, 2, 0, seed=1)
    x_cat, x_cont = model.calls[0]
    assert (x_cat == 30).all() and x_cont[:, 0].tolist() == list(LADDER)  # every rung's epoch at once
    assert x_cont[0, 1:].tolist() == pytest.approx([genes[name] for name in INPUTS[1:]], rel=1e-6)
    promoted = benchmark.outcome(genes, 6, 2, seed=1)
    assert len(model.calls) == 1  # the promotion was predicted already
    assert first.train_seconds == pytest.approx(4.0) and promoted.train_seconds == pytest.approx(8.0)
    assert promoted.error < first.error == first.expected
    final_accuracy = 0.9 - 0.1 * abs(np.log10(genes["learning_rate"]) + 2) - 0.3 / 52
    assert promoted.regret == pytest.approx(0.9 - final_accuracy, abs=1e-5)


def test_a_search_of_it_climbs_to_52_epochs_near_the_best_learning_rate(tmp_path):
    task = SimulatedTask(LCBench(Analytic(), instance_code=30, best_accuracy=0.9))
    best = run_task(task, SimulatedSettings(strategy="ga", seed=0, seconds=900.0), tmp_path / "run", dataset=NO_DATA)
    assert best.budget == 52 and task.benchmark.space.is_valid(best.genome)
    assert abs(np.log10(best.genome["learning_rate"]) + 2) < 0.3


def test_a_folder_without_the_model_is_one_line_naming_the_file(tmp_path):
    with pytest.raises(ArchsearchError, match="model.onnx: not found"):
        load_lcbench(tmp_path)


@pytest.mark.skipif(not os.environ.get("ARCHSEARCH_YAHPO_DATA"), reason="no copy of yahpo_data named")
def test_the_published_model_scores_the_default_below_the_best_known():
    pytest.importorskip("onnxruntime")
    benchmark = load_lcbench(os.environ["ARCHSEARCH_YAHPO_DATA"])
    outcome = benchmark.outcome(SPACE.default, 52, 0, seed=0)
    assert 0 < outcome.error < 1 and 0 < outcome.regret < 1 and outcome.train_seconds > 0
    assert benchmark.outcome(SPACE.default, 2, 0, seed=0).error > outcome.error
