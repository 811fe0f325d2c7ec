"""Strategy comparisons on equal budgets, on the toy fitness: every file, equal spend, resume, words."""

from __future__ import annotations

import json
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

from archsearch.analysis.pareto import pareto_front
from archsearch.autoencoder.config import SearchConfig
from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.comparison.compare import DEFAULT_STRATEGIES, compare
from archsearch.comparison.statistics import paired_test
from archsearch.core.data import Dataset
from archsearch.core.records import FAILED, OK, EvaluationRecord, EvaluationResult
from archsearch.run.engine import AsyncEngine
from archsearch.strategies import STRATEGIES, make_strategy

FILES = ["results.csv", "evaluations.csv", "summary.md", "best_vs_evaluations.png", "best_vs_seconds.png",
         "final_loss.png", "improvement_vs_vanilla.png", "nsga2_pareto.png", "anytime.png"]


@pytest.fixture
def small_dataset():
    rng = np.random.default_rng(0)
    return Dataset(rng.random((80, 12, 12, 1), dtype=np.float32), rng.random((20, 12, 12, 1), dtype=np.float32),
                   source="synthetic")


def run_toy_comparison(out, dataset, toy, seeds=2, budget=10):
    config = SearchConfig(population=4, train_size=40, val_size=20, epochs=3)
    return compare(config, out, DEFAULT_STRATEGIES, seeds, budget, dataset,
                   evaluators=lambda config, splits, directory: nullcontext(toy))


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_budget_is_exactly_that_many_evaluations(name, conv_space, toy_evaluator):
    strategy = make_strategy(name, conv_space, np.random.default_rng(0), population=4)
    records = AsyncEngine(strategy, toy_evaluator, seed=0).run(13)  # 13: not a multiple of 4
    assert [r.index for r in records] == list(range(13))


@pytest.mark.slow  # runs every strategy: seconds
def test_every_strategy_of_a_comparison_gets_the_same_budget(tmp_path, small_dataset, toy_evaluator):
    report = run_toy_comparison(tmp_path, small_dataset, toy_evaluator)
    results = pd.read_csv(tmp_path / "results.csv")
    assert sorted(results["strategy"].unique()) == sorted(DEFAULT_STRATEGIES)
    assert len(results) == len(DEFAULT_STRATEGIES) * 2
    assert (results["evaluations"] == 10).all()  # the same number of evaluations ...
    assert (results["epochs"] <= 10 * 3).all()  # ... each of at most the same epochs
    configs = [json.loads(p.read_text()) for p in sorted((tmp_path / "runs").glob("*/config.json"))]
    settings = {json.dumps({k: v for k, v in c.items() if k not in ("strategy", "seed")}, sort_keys=True)
                for c in configs}
    assert len(configs) == len(results) and len(settings) == 1  # ... and the same data and training settings
    evaluations = pd.read_csv(tmp_path / "evaluations.csv")
    assert evaluations.groupby(["strategy", "seed"]).size().eq(10).all()
    assert list(report.summary["strategy"]) and set(report.files) <= set(FILES)


@pytest.mark.slow
def test_a_comparison_writes_every_file_and_resumes_without_training(tmp_path, small_dataset, toy_evaluator):
    run_toy_comparison(tmp_path, small_dataset, toy_evaluator)
    for name in FILES:
        assert (tmp_path / name).stat().st_size > 0, name
    summary = (tmp_path / "summary.md").read_text()
    assert all(f"| {name} |" in summary for name in DEFAULT_STRATEGIES)
    assert "vs `random`" in summary and "vs `optuna-tpe`" in summary
    first, calls = (tmp_path / "results.csv").read_text(), toy_evaluator.calls
    run_toy_comparison(tmp_path, small_dataset, toy_evaluator)  # everything is in the journals already
    assert toy_evaluator.calls == calls
    assert (tmp_path / "results.csv").read_text() == first


def test_paired_test_in_plain_words():
    rows = [{"strategy": s, "seed": seed, "best_fitness": value}
            for seed in range(5) for s, value in (("ga", 0.01 + seed * 1e-3), ("random", 0.02 + seed * 1e-3))]
    results = pd.DataFrame(rows)
    assert paired_test(results, "ga", "random").startswith("`ga` vs `random`: lower on 5 of 5 seeds, higher on 0")
    assert "p = 0.031 that it is lower, 1.000 that it is higher: lower, significant" in paired_test(results, "ga",
                                                                                                    "random")
    assert "p = 1.000 that it is lower, 0.031 that it is higher: higher, significant" in paired_test(results, "random",
                                                                                                     "ga")


def test_pareto_front_keeps_only_undominated_successes():
    def record(index, loss, params, status=OK):
        genome = Genome((LayerGene("conv", 8 * (index + 1), 3, 1, "relu"),), 16)
        return EvaluationRecord(index, 0, genome, EvaluationResult(status, loss, params))

    records = [record(0, 0.05, 100), record(1, 0.04, 300), record(2, 0.06, 200), record(3, 0.03, 900),
               record(4, 0.01, 50, FAILED)]
    assert [r.index for r in pareto_front(records)] == [0, 1, 3]


@pytest.mark.slow
def test_a_time_boxed_comparison_gives_every_cell_the_same_wall_time(tmp_path, small_dataset, toy_evaluator):
    from conftest import TimedToy

    class FastToy(TimedToy):
        per_image = 0.0004  # rungs of 128 -> 384 -> 1152 images: 51, 102 and 307 ms; the whole top budget 461 ms

    config = SearchConfig(population=4, train_size=60, val_size=20, min_budget=128, max_budget=1152)
    cells = ("ga", "ga:full", "random", "optuna-hyperband")

    def run():
        toy = FastToy(toy_evaluator, check_resume=False)
        return compare(config, tmp_path, cells, 1, 10, small_dataset, seconds=1.2,
                       evaluators=lambda config, splits, directory: nullcontext(toy))

    report = run()
    results = pd.read_csv(tmp_path / "results.csv").set_index("strategy")
    assert set(results.index) == set(cells)
    # no job starts after 1.2 s, nor one expected to end later; the longest job takes 0.46 s
    assert (results["wall_seconds"] <= 1.2 + 0.2).all() and (results["wall_seconds"] >= 1.2 - 0.46 - 0.1).all()
    evaluations = pd.read_csv(tmp_path / "evaluations.csv")
    budgets = evaluations.groupby("strategy")["budget"].unique()
    assert list(budgets["ga:full"]) == [1152]  # every candidate trained to the top budget in one go
    full = evaluations[evaluations["strategy"] == "ga:full"]
    assert results.loc["ga:full", "best_fitness"] == full.loc[full["wall_seconds"] <= 1.2, "fitness"].min()
    assert 128 in set(budgets["ga"]) and 128 in set(budgets["optuna-hyperband"])
    assert results.loc["ga", "evaluations"] > results.loc["ga:full", "evaluations"]  # cheap rungs: more candidates
    saved = json.loads((tmp_path / "runs" / "ga-full-seed0" / "config.json").read_text())
    assert saved["fidelity"] == "full" and saved["time_limit"] is None  # only the comparison's box applies
    assert saved["clock"] == "wall"  # equal wall time, the clock of its peers, unless asked
    summary = (tmp_path / "summary.md").read_text()
    assert "1.2 s of wall time per run" in summary and "The test MSE of each run's best" not in summary
    first = (tmp_path / "evaluations.csv").read_text()
    run()  # resuming a finished time-boxed comparison trains nothing more: its time is spent
    assert (tmp_path / "evaluations.csv").read_text() == first and len(report.results) == len(cells)


def test_fidelities_in_a_comparison_need_a_time_box(small_dataset, tmp_path):
    from archsearch.core.errors import ArchsearchError

    with pytest.raises(ArchsearchError, match="need --seconds"):
        compare(SearchConfig(), tmp_path, ("ga", "ga:full"), 1, 10, small_dataset)
    with pytest.raises(ArchsearchError, match="ga:off"):
        compare(SearchConfig(), tmp_path, ("ga", "ga:off"), 1, 10, small_dataset, seconds=5)
