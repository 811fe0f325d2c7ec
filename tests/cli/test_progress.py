"""What the progress output says: bars that end full and never pass it, and the best the run would choose."""

import io
from dataclasses import replace

import numpy as np
from conftest import ToyFidelityEvaluator
from rich.console import Console

from archsearch.analysis.tables import best_records
from archsearch.cli.progress import ComparisonProgress, SearchProgress, _duration
from archsearch.comparison.statistics import run_result
from archsearch.core.rungs import Rungs
from archsearch.run.engine import AsyncEngine
from archsearch.strategies import make_strategy


class Watched(SearchProgress):
    """Checks after every record that no bar is past its total and that the best shown is the run's choice."""

    def on_record(self, record, replayed):
        super().on_record(record, replayed)
        self.seen = [*getattr(self, "seen", []), record]
        for task in self.progress.tasks:
            assert task.total is None or task.completed <= task.total, (task.description, task.completed, task.total)
        assert self.best == best_records(self.seen, 1)[0]


def captured(width=100) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width), out


def toy_run(space, toy, observer, candidates=12, seed=0, tmp_path=None):
    strategy = make_strategy("ga", space, np.random.default_rng(seed), population=4)
    (tmp_path / "checkpoints").mkdir(exist_ok=True)
    return AsyncEngine(strategy, ToyFidelityEvaluator(toy), seed, Rungs(1, 9, 3), tmp_path / "checkpoints",
                       observer=observer).run(candidates)


def test_candidates_and_promotions_each_end_at_their_total_and_the_best_is_the_runs_choice(conv_space, toy_evaluator,
                                                                                            tmp_path):
    """The issue's run: population 4, 12 new candidates on three rungs (its bar ended at 20/17)."""
    console, out = captured(width=300)
    progress = Watched(12, console, rungs=True)
    with progress:
        records = toy_run(conv_space, toy_evaluator, progress, tmp_path=tmp_path)
    new, promotions = progress.progress.tasks
    promoted = sum(not r.candidate_first for r in records)
    assert promoted > 0 and (new.completed, new.total) == (12, 12)
    assert (promotions.completed, promotions.total) == (promoted, promoted)
    final = best_records(records, 1)[0]
    assert progress.best == final and final.rung == 2
    # every generation line names the run's best at that moment, the last the final result
    lines = [line for line in out.getvalue().splitlines() if line.startswith("generation")]
    assert lines and all("the run's best val MSE" in line for line in lines)


def test_a_run_that_stops_early_leaves_the_bar_full_and_says_so():
    console, out = captured(width=160)
    progress = SearchProgress(48, console)
    with progress:
        pass  # no candidate finished before a time limit ended the run
    (new,) = progress.progress.tasks
    assert new.total == new.completed == 0 and "stopped at 0/48" in new.description


def test_a_comparison_line_gives_the_tables_best_and_the_runs_own_time_also_when_read_back(conv_space, toy_evaluator,
                                                                                          tmp_path):
    """It printed "0s" for a finished run read back from its journal, and the best of any rung."""
    trained = toy_run(conv_space, toy_evaluator, None, tmp_path=tmp_path)
    records = [replace(r, result=replace(r.result, seconds=30.0), finished_at=1000.0 + 30 * r.index) for r in trained]
    first = next(i for i, r in enumerate(records) if r.rung == 0 and r.index > 0)
    records[first] = replace(records[first], result=replace(records[first].result, fitness=1e-4))  # lowest, rung 0
    console, out = captured(width=200)
    progress = ComparisonProgress(None, console)
    progress.start_run("ga", 0)
    for record in records:  # read back: no time passes now
        progress.on_record(record, replayed=True)
    progress.end_run(records)
    line = out.getvalue().strip().splitlines()[-1]
    result = run_result("ga", 0, records)
    assert result["best_fitness"] > 1e-4
    assert f"best val MSE {result['best_fitness']:.5f}" in line
    assert result["wall_seconds"] >= 300 and f"{_duration(result['wall_seconds'])} of searching" in line
