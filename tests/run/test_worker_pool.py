"""Worker processes: an isolated evaluator gives what training in this process gives and survives a
dying child; a pool of one or two gives the same results; children retire, and end when their parent dies."""

import pickle
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import running

from archsearch.autoencoder.backprop import BackpropEvaluator
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.core.records import FAILED, OK
from archsearch.run.isolated import IsolatedEvaluator
from archsearch.run.worker import exit_when_orphaned
from archsearch.tasks.evaluator import EpochSettings

SMALL = Genome((LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"),), 8,
               TrainingGenes("adam", 3e-3, 16, "mse"))


class CrashingEvaluator:
    """Kills its own process on a marked genome, as a segfault or the OOM killer would."""

    def __init__(self, inner):
        self.inner = inner

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        if genome.latent_size == 13:
            import os
            os._exit(3)
        return self.inner.evaluate(genome, seed)


@pytest.mark.slow
def test_isolated_evaluator_matches_in_process_and_survives_a_dying_child(tiny_images, tmp_path):
    inner = BackpropEvaluator(*tiny_images, EpochSettings(epochs=2))
    expected = inner.evaluate(SMALL, 4)
    crashing = Genome(SMALL.encoder, 13, SMALL.training)
    with IsolatedEvaluator(CrashingEvaluator(inner), recycle_after=2, log_path=tmp_path / "w.log") as isolated:
        results = [isolated.evaluate(g, 4) for g in (SMALL, crashing, SMALL, SMALL, SMALL)]
    assert [r.status for r in results] == [OK, FAILED, OK, OK, OK]
    assert "evaluation process died (exit code 3)" in results[1].reason
    # Same result in a fresh child, in a recycled one, and in this process.
    assert {r.fitness for r in results if r.ok} == {expected.fitness}


def _training_children():
    import psutil

    return [child for child in psutil.Process().children(recursive=True)
            if "archsearch.run.worker" in " ".join(child.cmdline())]


@pytest.mark.slow  # starts worker processes: seconds
def test_a_retired_child_exits_on_its_own_and_close_leaves_no_child(conv_space, toy_evaluator):
    """A child retires after its last evaluation without the result waiting for it to exit; it exits all
    the same, and closing the evaluator leaves no child behind, retiring ones included."""
    genomes = [conv_space.sample(np.random.default_rng(seed)) for seed in range(6)]
    with IsolatedEvaluator(toy_evaluator, recycle_after=2) as isolated:
        results = [isolated.evaluate(genome, 0) for genome in genomes[:4]]  # two children retired
        deadline = time.monotonic() + 30
        while len(_training_children()) > 2 and time.monotonic() < deadline:  # the current one and a spare
            time.sleep(0.05)
        assert len(_training_children()) <= 2, "retired children kept running"
        results += [isolated.evaluate(genome, 0) for genome in genomes[4:]]  # the last one retires as it closes
        spare = isolated._spare.process  # started ahead of the next replacement, never given an evaluator
    assert [r.fitness for r in results] == [toy_evaluator.evaluate(genome, 0).fitness for genome in genomes]
    assert _training_children() == []
    assert spare.returncode == 0  # it ended when told to, instead of being killed after a wait


def test_images_that_were_bytes_cross_to_workers_as_bytes_and_come_back_identical():
    raw = np.random.default_rng(0).integers(0, 256, size=(200, 28, 28, 1), dtype=np.uint8)
    images = raw.astype(np.float32) / 255.0  # as the data loader scales bytes
    evaluator = BackpropEvaluator(images, images[:20], x_test=images[:30])
    pickled = pickle.dumps(evaluator)
    assert len(pickled) < 0.3 * (200 + 20 + 30) * images[0].nbytes  # a quarter of the float32 bytes, and a little
    clone = pickle.loads(pickled)
    for name in ("x_train", "x_val", "x_test"):
        copy, original = getattr(clone, name), getattr(evaluator, name)
        assert copy.dtype == np.float32 and np.array_equal(copy, original)
    smooth = images * 0.999  # not bytes any more: sent as they are, unchanged
    assert np.array_equal(pickle.loads(pickle.dumps(BackpropEvaluator(smooth, smooth[:20]))).x_train, smooth)


@pytest.mark.slow
def test_a_genome_scores_the_same_in_a_pool_of_one_or_two_workers(tiny_images, conv_space):
    """Workers are single-threaded whatever the pool size, so a candidate's fitness does not depend on it
    (the order results come back in does: an asynchronous run's journal keeps that order)."""
    from archsearch.run.engine import AsyncEngine
    from archsearch.run.pool import WorkerPool
    from archsearch.strategies import make_strategy

    def scores(workers):
        inner = BackpropEvaluator(*tiny_images, EpochSettings(epochs=1))
        strategy = make_strategy("ga", conv_space, np.random.default_rng(2), population=4)
        with WorkerPool(inner, workers, recycle_after=8) as pool:  # no recycling: test_isolated covers it
            records = AsyncEngine(strategy, pool, seed=2).run(4)
        return {r.genome.key: (r.result.status, r.result.fitness) for r in records}

    one, two = scores(1), scores(2)
    assert one == two
    assert sum(status == OK for status, _ in one.values()) >= 3


def test_a_worker_whose_parent_is_killed_ends_itself(tmp_path):
    pid_file = tmp_path / "pid"
    child = (f"import os, time; from archsearch.run.worker import {exit_when_orphaned.__name__}; "
             f"{exit_when_orphaned.__name__}(os.getppid(), 0.05); "
             f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)")
    parent = (f"import os, subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}])\n"
              f"while not os.path.exists({str(pid_file)!r}) or not open({str(pid_file)!r}).read(): time.sleep(0.01)\n"
              "os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", parent], timeout=60)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pid), "the orphaned worker kept running"


def test_a_child_that_would_run_other_archsearch_source_stops_the_run_with_one_line(conv_space, toy_evaluator):
    """A child started after the package was edited or reinstalled imports other code than the run's: the
    run stops (its journal keeps what finished) instead of mixing code or failing every candidate."""
    from archsearch.core.errors import ArchsearchError

    genome = conv_space.sample(np.random.default_rng(0))
    with IsolatedEvaluator(toy_evaluator, recycle_after=1) as isolated:
        assert isolated.evaluate(genome, 0).ok  # the same source: a child like any other
        isolated.stamp = "the source as it was when the run began"  # as if edited since
        with pytest.raises(ArchsearchError, match="source files changed on disk .* --resume"):
            isolated.evaluate(genome, 0)
