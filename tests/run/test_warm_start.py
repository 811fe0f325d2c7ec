"""Warm starts: a run begins with an earlier run's best genomes, and a bad earlier run is refused in one line."""

import json
from dataclasses import replace

import pytest

from archsearch import run_task
from archsearch.core.errors import ArchsearchError
from archsearch.core.records import most_trained_first
from archsearch.run.journal import Journal
from archsearch.simulated import layered
from archsearch.simulated.task import LAYERED, NO_DATA, SimulatedSettings


def test_a_warm_started_run_first_trains_the_earlier_runs_best_then_the_default(tmp_path):
    run_task(LAYERED, SimulatedSettings(strategy="ga", seed=1, seconds=600.0), tmp_path / "earlier", dataset=NO_DATA)
    earlier = Journal(tmp_path / "earlier" / "journal.jsonl").read()
    best = []
    for record in sorted(earlier, key=most_trained_first):
        if record.genome not in best:
            best.append(record.genome)
    settings = SimulatedSettings(strategy="ga", seed=2, seconds=300.0, warm_start=str(tmp_path / "earlier"))
    run_task(LAYERED, settings, tmp_path / "warm", dataset=NO_DATA)
    warm = Journal(tmp_path / "warm" / "journal.jsonl").read()
    firsts = [r for r in warm if r.continued_from is None][:4]
    assert [r.genome for r in firsts] == [*best[:3], layered.SPACE.default]
    assert [r.operator for r in firsts] == ["start"] * 3 + ["default"]
    top = {r.genome for r in warm if r.budget == layered.TOP_BUDGET}
    assert best[0] in top  # the earlier winner is the run's baseline: it climbs straight to the top rung


def test_a_warm_start_that_is_no_run_or_another_tasks_is_refused_before_anything_runs(tmp_path):
    settings = SimulatedSettings(strategy="ga", seconds=60.0, warm_start=str(tmp_path / "nothing"))
    with pytest.raises(ArchsearchError, match="^--warm-start .*nothing: not a run directory"):
        run_task(LAYERED, settings, tmp_path / "run", dataset=NO_DATA)
    assert not (tmp_path / "run").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"task": "classifier"}))
    (other / "journal.jsonl").write_text("")
    with pytest.raises(ArchsearchError, match="a run of the classifier task, not of simulated"):
        run_task(LAYERED, replace(settings, warm_start=str(other)), tmp_path / "run", dataset=NO_DATA)
