"""`PredictedPool`: real workers whose results the engine takes in the order of their predicted finish, so
the history is the same whatever order they really finish in, and a time box is a compute budget."""

import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from archsearch.core.rungs import Rungs
from archsearch.run.engine import AsyncEngine
from archsearch.run.journal import Issued
from archsearch.run.predicted import PredictedPool
from archsearch.strategies import make_strategy


class JitteryPool:
    """Two threads that evaluate with a random real delay, so jobs finish in an order of their own."""

    workers = 2

    def __init__(self, evaluator, jitter_seed):
        self.evaluator, self.random = evaluator, random.Random(jitter_seed)
        self.threads = ThreadPoolExecutor(2)

    def submit(self, *job):
        delay = self.random.uniform(0, 0.004)
        return self.threads.submit(lambda: (time.sleep(delay), self.evaluator.evaluate(*job))[1])

    def close(self):
        self.threads.shutdown()


def cost(genome, fidelity):
    """Bigger codes and larger budgets cost more: seconds of the whole evaluation, of them training."""
    training = genome.latent_size * (fidelity.budget - fidelity.start if fidelity else 1000) / 4000
    return training + 1.0, training


def run(space, evaluator, jitter_seed, tmp_path, seconds=None):
    jittery = JitteryPool(evaluator, jitter_seed)
    pool = PredictedPool(jittery, cost)
    strategy = make_strategy("ga", space, np.random.default_rng(7), population=6)
    engine = AsyncEngine(strategy, pool, seed=7, rungs=Rungs(1000, 9000), checkpoints=tmp_path, seconds=seconds)
    records = engine.run(30 if seconds is None else 10_000)
    jittery.close()
    return records, engine


def test_the_history_follows_predicted_finishes_not_real_ones(conv_space, toy_evaluator, tmp_path):
    first, _ = run(conv_space, toy_evaluator, jitter_seed=1, tmp_path=tmp_path)
    second, _ = run(conv_space, toy_evaluator, jitter_seed=2, tmp_path=tmp_path)
    assert [(r.genome.key, r.budget, r.finished_at) for r in first] == \
        [(r.genome.key, r.budget, r.finished_at) for r in second]
    assert any(r.rung for r in first)  # promotions happened, in the same order
    fresh = [r for r in first if r.cached_from is None and r.rung == 0]
    # each result reports its predicted seconds (the engine plans with them); the measured ones stay in its metrics
    assert all(r.result.seconds == 1.0 + r.genome.latent_size * 1000 / 4000 for r in fresh)
    assert all(r.result.metrics["measured_seconds"] < 0.5 for r in fresh)
    assert all(0 <= r.result.metrics["idle_seconds"] < 0.5 for r in fresh)  # what waiting in predicted order cost


def test_a_time_box_on_the_predicted_clock_is_a_compute_budget(conv_space, toy_evaluator, tmp_path):
    records, engine = run(conv_space, toy_evaluator, jitter_seed=3, tmp_path=tmp_path, seconds=60.0)
    again, _ = run(conv_space, toy_evaluator, jitter_seed=4, tmp_path=tmp_path, seconds=60.0)
    assert [r.genome.key for r in records] == [r.genome.key for r in again] and 10 < len(records) < 200
    assert engine.searched_seconds() >= 60.0  # predicted seconds: the real run took a fraction of one


@pytest.mark.slow
def test_real_workers_beside_a_cpu_hog_give_the_history_of_an_idle_machine(tiny_images, conv_space, tmp_path):
    """Real training in two worker processes, under a time box of predicted seconds that ends the search
    early: the same journal whether a CPU-bound process runs beside it or not."""
    from archsearch.autoencoder.backprop import BackpropEvaluator
    from archsearch.autoencoder.cost import predicted_seconds
    from archsearch.run.journal import Journal
    from archsearch.run.pool import WorkerPool
    from archsearch.tasks.evaluator import EpochSettings

    def history(pool, loaded: bool) -> list:
        folder = tmp_path / str(loaded)
        folder.mkdir()
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if loaded else None
        try:
            predicted = PredictedPool(pool, lambda genome, fidelity: predicted_seconds(
                genome, fidelity.budget - fidelity.start, tiny_images[0].shape[1:]))
            strategy = make_strategy("ga", conv_space, np.random.default_rng(5), population=4)
            AsyncEngine(strategy, predicted, seed=5, rungs=Rungs(128, 1152, multiple=128), checkpoints=folder,
                        journal=Journal(folder / "journal.jsonl"), seconds=2.5).run(16)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        return [(e.index, e.genome_key, e.budget, e.seconds) if isinstance(e, Issued)
                else (e.index, e.result.status, e.result.fitness, e.finished_at)
                for e in Journal(folder / "journal.jsonl").events() if hasattr(e, "index")]

    with WorkerPool(BackpropEvaluator(*tiny_images, EpochSettings(epochs=1)), 2, recycle_after=50) as pool:
        idle, loaded = history(pool, False), history(pool, True)  # one pool: its workers start once
    assert idle == loaded
    started = {event[1] for event in idle if isinstance(event[1], str) and len(event[1]) == 16 and event[2] == 128}
    assert 2 <= len(started) < 16  # the box ended the search early


def test_a_task_without_a_cost_model_refuses_the_predicted_clock_before_touching_anything(tmp_path, capsys):
    from archsearch.cli.main import main

    assert main(["search", "--task", "classifier", "--clock", "predicted", "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.endswith("--clock predicted: the classifier task has no cost model to predict seconds with")
    assert len(error.splitlines()) == 1 and not (tmp_path / "run").exists()


@pytest.mark.slow
def test_the_default_search_counts_a_compute_budget_and_says_so(tmp_path, blobs, capsys):
    """`archsearch search` with no --clock: its time limit is in predicted seconds, which end this tiny
    search after its first candidates however fast they really train, and the summary says the history
    is the seed's on any machine."""
    import pandas as pd

    from archsearch.cli.main import main

    (x_train, _), (x_test, _) = blobs(400, 0), blobs(100, 1)
    data = tmp_path / "blobs.npz"
    np.savez(data, x_train=x_train, x_test=x_test)
    assert main(["search", "--population", "3", "--generations", "1", "--min-budget", "128", "--max-budget", "1152",
                 "--val-size", "60", "--time-limit", "2", "--data", str(data), "--in-process",
                 "--out", str(tmp_path / "run")]) == 0
    printed = " ".join(capsys.readouterr().err.split())
    assert "6 new candidates (at most 2 predicted s, a compute budget)" in printed
    evaluations = pd.read_csv(tmp_path / "run" / "evaluations.csv")
    started = int(evaluations["continued_from"].isna().sum())
    assert 1 <= started < 6 and (evaluations["measured_seconds"] > 0).all() and (evaluations["idle_seconds"] >= 0).all()
    assert (f"the time limit (2 predicted s, a compute budget) ended the search after {started} of 6 candidates: "
            "the same for this seed on any machine") in printed
