"""Anytime curves of a comparison: the incumbent follows the run's own selection rule, time to target is
the first moment a curve reaches it, and a comparison on a simulated benchmark reports both in regret."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from archsearch.comparison.anytime import incumbent_curve, time_to_target
from archsearch.comparison.compare import compare
from archsearch.core.records import FAILED, OK, EvaluationRecord, EvaluationResult
from archsearch.core.space.params import Params
from archsearch.simulated.task import LAYERED, NO_DATA, SimulatedSettings


def record(index, finished, fitness, rung=0, regret=None, status=OK):
    metrics = {} if regret is None else {"regret": regret}
    return EvaluationRecord(index=index, generation=0, genome=Params({"x": index}), parents=(), operator="",
                            result=EvaluationResult(status, fitness=fitness, seconds=1.0, metrics=metrics),
                            finished_at=finished, rung=rung)


def test_the_incumbent_is_the_best_of_the_highest_rung_finished_so_far():
    records = [record(0, 100.0, 0.5, regret=0.4), record(1, 101.0, 0.2, regret=0.1),
               record(2, 102.0, 0.3, rung=1, regret=0.2), record(3, 103.0, 0.01, status=FAILED, regret=0.0)]
    curve = incumbent_curve(records, np.array([0.5, 1.0, 2.0, 3.0, 4.0]), "regret")
    # seconds of the run: the first finishes after its own second, the others a second apart
    assert math.isnan(curve[0]) and curve[1:].tolist() == [0.4, 0.1, 0.2, 0.2]  # the promoted one rules


def test_time_to_target_is_the_first_time_at_or_below_random_searchs_final_median():
    times = np.array([10.0, 20.0, 30.0])
    curves = {"random": np.array([[0.5, 0.4, 0.3], [0.5, 0.3, 0.1]]), "ga": np.array([[0.3, 0.1, 0.1],
                                                                                     [0.9, 0.9, 0.9]])}
    table = time_to_target(times, curves).set_index("strategy")
    assert table.loc["random", "target"] == 0.2
    assert table.loc["ga", "seeds_reaching"] == 1 and table.loc["ga", "median_seconds"] == math.inf
    assert table.loc["random", "median_seconds"] == math.inf  # one seed of two reaches it, at 30 s
    assert time_to_target(times, {"ga": curves["ga"]}).empty


@pytest.mark.slow  # runs many trials: seconds
def test_a_comparison_on_a_simulated_benchmark_reports_anytime_regret(tmp_path):
    report = compare(SimulatedSettings(), tmp_path, ("ga", "random"), seeds=2, dataset=NO_DATA, seconds=300.0,
                     task=LAYERED)
    assert "anytime.png" in report.files and (tmp_path / "anytime.png").stat().st_size > 0
    summary = (tmp_path / "summary.md").read_text()
    assert "## Time to random search's final result" in summary and "its regret first reached" in summary
    assert "| ga |" in summary.split("## Time to random")[1]
    assert pd.read_csv(tmp_path / "results.csv")["test_fitness"].notna().all()  # the noise-free error


@pytest.mark.slow
def test_the_command_compares_on_a_benchmark_by_name_and_says_what_one_lacks(tmp_path, capsys):
    from archsearch.cli.main import main

    out = tmp_path / "cmp"
    assert main(["compare", "--task", "layered", "--strategies", "ga,random", "--seeds", "2", "--seconds", "200",
                 "--out", str(out)]) == 0
    assert (out / "anytime.png").is_file() and json.loads((out / "compare.json").read_text())["task"] == "layered"
    capsys.readouterr()
    for flags, words in ((["--task", "layered"], "needs --seconds"),
                         (["--task", "lcbench", "--seconds", "60"], "needs --data-dir"),
                         (["--task", "lcbench", "--seconds", "60", "--data-dir", str(tmp_path)],
                          "model.onnx: not found"),
                         (["--task", "surrogate:big", "--seconds", "60"], "code size must be a number")):
        assert main(["compare", *flags, "--out", str(tmp_path / "other")]) == 2
        error = capsys.readouterr().err.strip()
        assert words in error and len(error.splitlines()) == 1
    assert not (tmp_path / "other").exists()
