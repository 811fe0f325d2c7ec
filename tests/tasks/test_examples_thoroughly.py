"""The examples as a user runs them: every strategy on each, the command line with worker processes,
killed with SIGKILL and resumed to the very history an uninterrupted run makes, then exported."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import archsearch
from archsearch.run.journal import Journal
from archsearch.strategies import STRATEGIES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.py"))
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategys_candidates_build_into_models_of_each_example(strategy):
    """(What a strategy proposes is all that differs between strategies: the training after it is the
    same evaluator's, run for real in the next test. A toy fitness drives the strategy here.)"""
    import keras
    from conftest import SpaceToy

    from archsearch.run.engine import AsyncEngine
    from archsearch.strategies import make_strategy
    from archsearch.tasks.keras_task import targets_of
    from archsearch.tasks.run import task_data

    for example in EXAMPLE_FILES:
        task = archsearch.load_task(str(EXAMPLES / example))
        data = task_data(task)
        records = AsyncEngine(make_strategy(strategy, task.space, np.random.default_rng(0), population=4),
                              SpaceToy(task.space), 0).run(12)
        for record in records:
            model = task.make_model(record.genome, data.x_train.shape[1:], targets_of(data.y_train))
            assert model.output_shape[1:] == data.y_train.shape[1:] or model.output_shape[1:] == (1,)
            keras.backend.clear_session(free_memory=False)


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_a_bred_generation_trains_for_real_on_each_example(example, tmp_path):
    task = archsearch.load_task(str(EXAMPLES / example))
    report = archsearch.search(task, tmp_path / "run", strategy="dehb", population=4, generations=1,
                               fidelity="full", max_budget=128, isolate=False)
    assert len(report.records) == 8 and all(r.result.ok for r in report.records)
    assert report.best[0].result.fitness <= report.records[0].result.fitness  # never worse than the defaults
    assert any(r.operator.startswith("de/") for r in report.records)  # the second batch was bred


COLUMNS = ["index", "candidate", "generation", "genome_key", "parents", "operator", "status", "fitness", "budget",
           "continued_from"]


def test_a_task_file_killed_mid_run_resumes_to_the_same_history_and_exports(tmp_path):
    """One worker process: the seed alone fixes the history. (The winner loads with plain Keras: the fast
    tests.)"""
    example = str(EXAMPLES / "signal_denoiser.py")
    settings = ["--task", example, "--population", "3", "--generations", "1", "--min-budget", "128",
                "--max-budget", "384", "--workers", "1"]
    archsearch.search(archsearch.load_task(example), tmp_path / "straight", population=3, generations=1,
                      min_budget=128, max_budget=384, workers=1)  # the same settings from Python
    total = len(Journal(tmp_path / "straight" / "journal.jsonl").read())

    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "archsearch", "search", *settings, "--out", str(killed)],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    journal, deadline = killed / "journal.jsonl", time.time() + 300
    while time.time() < deadline and (not journal.exists() or len(Journal(journal).read()) < total // 2):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # the search and its worker, without a chance to tidy up
    process.wait(timeout=60)
    assert total // 2 <= len(Journal(journal).read()) < total

    from archsearch.cli.main import main

    assert main(["search", "--out", str(killed), "--resume"]) == 0  # the task comes from the run (in this process)
    a = pd.read_csv(tmp_path / "straight" / "evaluations.csv")[COLUMNS]
    b = pd.read_csv(killed / "evaluations.csv")[COLUMNS]
    pd.testing.assert_frame_equal(a, b)
    best_a = json.loads((tmp_path / "straight" / "best" / "metrics.json").read_text())
    best_b = json.loads((killed / "best" / "metrics.json").read_text())
    assert best_a == best_b

    assert main(["export", str(killed), "--top", "2"]) == 0
    index = json.loads((killed / "export" / "index.json").read_text())
    assert [row["rank"] for row in index] == [1, 2] and index[0]["test_loss"] == best_b["test_loss"]


def test_command_line_mistakes_with_a_task_are_one_line_and_status_2(tmp_path, capsys):
    """(In this process: the command's own parsing and output, without a new process importing TensorFlow.)"""
    from archsearch.cli.main import main

    example = str(EXAMPLES / "diabetes_mlp.py")
    for args, message in [(["--task", str(tmp_path / "none.py")], "none.py: no such file"),
                          (["--task", example, "--inherit-weights"], "--inherit-weights: an option of the autoencoder"),
                          (["conv_autoencoder", "--task", example], "conv_autoencoder: a space file is the"),
                          (["--task", example, "--val-size", "5000"], "--val-size 5000: the data has only")]:
        assert main(["search", *args, "--out", str(tmp_path / "run")]) == 2
        error = capsys.readouterr().err
        assert error.strip().count("\n") == 0 and message in error, error
    assert main(["compare", "--task", str(tmp_path / "none.py"), "--out", str(tmp_path / "comparison")]) == 2
    error = capsys.readouterr().err
    assert error.strip().count("\n") == 0 and "none.py: no such file" in error, error
    assert not (tmp_path / "comparison").exists()
