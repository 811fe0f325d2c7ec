"""Candidates evaluated on a Dask cluster (a LocalCluster of 2 single-threaded workers): the same results
as archsearch's own worker pool, and one-line errors for a cluster that cannot be used."""

import numpy as np
import pytest

from archsearch.cli import main
from archsearch.errors import ArchsearchError
from archsearch.evaluation.backprop import BackpropEvaluator, TrainingSettings
from archsearch.run.engine import AsyncEngine
from archsearch.run.rungs import Rungs
from archsearch.strategies import make_strategy


def _records(pool, conv_space, checkpoints, rungs):
    checkpoints.mkdir()
    strategy = make_strategy("ga", conv_space, np.random.default_rng(3), population=4)
    records = AsyncEngine(strategy, pool, 3, rungs, checkpoints).run(6 if len(rungs.budgets) == 1 else 4)
    return {(r.genome.key, r.rung, r.budget): (r.result.status, r.result.fitness) for r in records}


def test_a_search_on_a_local_dask_cluster_gives_the_records_of_the_local_pool(tiny_images, conv_space, tmp_path):
    from archsearch.evaluation.dask_pool import DaskPool
    from archsearch.evaluation.pool import WorkerPool

    inner = BackpropEvaluator(*tiny_images, TrainingSettings(epochs=1))
    one, three = Rungs(576, 576, 3), Rungs(64, 576, 3)
    with WorkerPool(inner, 2) as pool:
        local = _records(pool, conv_space, tmp_path / "local", one)
        local_rungs = _records(pool, conv_space, tmp_path / "local-rungs", three)
    with DaskPool(inner, 2) as pool:
        assert pool.workers == 2
        dask = _records(pool, conv_space, tmp_path / "dask", one)
        dask_rungs = _records(pool, conv_space, tmp_path / "dask-rungs", three)
    # one rung: the generations decide which candidates run, so the records are the same set
    assert dask == local and sum(status == "ok" for status, _ in dask.values()) >= 4
    # with three, which candidate climbs depends on the order two workers finish in; every evaluation
    # both runs made (continued training included) has the same result
    shared = dask_rungs.keys() & local_rungs.keys()
    assert {rung for _, rung, _ in shared} == {0, 1, 2}
    assert all(dask_rungs[key] == local_rungs[key] for key in shared)


def test_an_unreachable_scheduler_is_one_error_naming_it(tiny_images):
    from archsearch.evaluation.dask_pool import DaskPool

    inner = BackpropEvaluator(*tiny_images, TrainingSettings(epochs=1))
    with pytest.raises(ArchsearchError, match=r"--scheduler tcp://127\.0\.0\.1:9: no Dask scheduler answers"):
        DaskPool(inner, 1, "tcp://127.0.0.1:9", connect_seconds=2)


@pytest.mark.parametrize("arguments, message", [
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler tcp://127.0.0.1:9: only with --executor dask"),
    (["--executor", "dask", "--in-process"], "--executor dask: not with --in-process"),
])
def test_executor_settings_that_cannot_work_are_one_line(arguments, message, tmp_path, capsys):
    assert main(["search", *arguments, "--out", str(tmp_path / "never")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0], error
    assert not (tmp_path / "never").exists()
