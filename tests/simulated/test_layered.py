"""The `layered` benchmark: its known optimum, learning curves that rank candidates well but not perfectly,
and whole searches of it in simulated time, repeatable for the same seed."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from archsearch import run_task
from archsearch.core.space.params import Params
from archsearch.run.journal import Issued, Journal
from archsearch.simulated import layered
from archsearch.simulated.task import LAYERED, NO_DATA, SimulatedSettings

OPTIMUM = Params({"layers": [{"kind": "conv", "filters": 32, "kernel": 3}, {"kind": "pool"},
                             {"kind": "conv", "filters": 64, "kernel": 3}, {"kind": "pool"},
                             {"kind": "conv", "filters": 64, "kernel": 3}, {"kind": "dense", "units": 128}],
                  "learning_rate": 3e-3, "batch_size": 64})


def test_the_optimum_is_in_the_space_and_no_sample_beats_it():
    assert layered.SPACE.is_valid(OPTIMUM) and layered.final_error(OPTIMUM) == layered.OPTIMUM
    rng = np.random.default_rng(0)
    samples = [layered.SPACE.sample(rng) for _ in range(300)]
    assert min(layered.final_error(s) for s in samples) > layered.OPTIMUM
    assert layered.final_error(layered.SPACE.default) > layered.OPTIMUM


def test_lower_budgets_rank_candidates_well_but_not_perfectly():
    rng = np.random.default_rng(1)
    samples = [layered.SPACE.sample(rng) for _ in range(300)]
    final = [layered.final_error(s) for s in samples]
    for budget, low, high in ((6_016, 0.3, 0.6), (54_016, 0.9, 0.99)):
        early = [layered.error_at(s, budget, [7, budget]) for s in samples]
        assert low < spearmanr(early, final).statistic < high
        assert all(e > f for e, f in zip([layered.error_at(s, budget, None) for s in samples], final))


@pytest.mark.slow  # runs hundreds of trials twice: seconds
def test_a_time_boxed_search_runs_in_simulated_time_and_repeats_exactly(tmp_path):
    settings = SimulatedSettings(strategy="ga", seed=3, seconds=900.0)
    best = run_task(LAYERED, settings, tmp_path / "a", dataset=NO_DATA)
    events = Journal(tmp_path / "a" / "journal.jsonl").events()
    records = [e for e in events if not isinstance(e, Issued) and hasattr(e, "result")]
    issued = [e for e in events if isinstance(e, Issued)]
    assert len(records) > 100 and max(e.seconds for e in issued) < 900.0  # a quarter of an hour of two workers
    assert best.budget == layered.TOP_BUDGET
    assert best.result.metrics["regret"] < layered.final_error(layered.SPACE.default) - layered.OPTIMUM
    again = run_task(LAYERED, settings, tmp_path / "b", dataset=NO_DATA)
    assert again.genome == best.genome and again.index == best.index
    assert [e.genome_key for e in Journal(tmp_path / "b" / "journal.jsonl").events()
            if isinstance(e, Issued)] == [e.genome_key for e in issued]
