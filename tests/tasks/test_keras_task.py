"""Your own task in one file: the examples run end to end on the public API, and every piece a task
relies on (loading, data, failures, resume, export) behaves as a user expects."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import archsearch
from archsearch import Choice, Float, Group, Int, KerasTask, Repeated, Space
from archsearch.core.errors import ArchsearchError
from archsearch.core.records import INVALID, OK

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TINY = dict(population=2, generations=0, min_budget=384, max_budget=1152, isolate=False)


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_each_example_searches_and_hands_over_a_model_keras_loads(example, tmp_path):
    task = archsearch.load_task(str(EXAMPLES / example))
    report = archsearch.search(task, tmp_path / "run", **TINY)
    assert sum(r.candidate_first for r in report.records) == 2 and all(r.result.ok for r in report.records)
    assert report.records[0].operator == "default" and report.records[0].genome == task.space.default
    assert {r.budget for r in report.records} == {384, 1152}  # the best climbed every rung
    model = keras.models.load_model(tmp_path / "run" / "best" / "model.keras")
    metrics = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())
    assert metrics["genome_key"] == report.best[0].genome.key
    assert metrics["val_loss"] == pytest.approx(report.best[0].result.fitness, rel=1e-4)  # the judged model itself
    x = np.zeros((2, *model.input_shape[1:]), dtype="float32")
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
    assert json.loads((tmp_path / "run" / "space.json").read_text())["group"]
    [(directory, exported)] = archsearch.export(tmp_path / "run", top=1)  # loads the task again from its file
    assert exported["genome_key"] == metrics["genome_key"] and exported["test_loss"] == metrics["test_loss"]
    assert (directory / "model.keras").is_file()


def test_each_example_is_one_short_file():
    for path in EXAMPLES.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 80, path.name


def regression_task(**changes):
    space = Space({"layers": Repeated(Group(units=Int(2, 64, log=True, default=8)), 1, 3),
                   "learning_rate": Float(1e-3, 3e-2, log=True, default=1e-2),
                   "batch_size": Choice([16, 32])})

    def build(params, input_shape):
        inputs = x = keras.Input(input_shape)
        for layer in params["layers"]:
            x = keras.layers.Dense(layer["units"], activation="relu")(x)
        return keras.Model(inputs, keras.layers.Dense(1)(x))

    return KerasTask(**{"space": space, "build": build, "loss": "mse", "metrics": ["mae"], "name": "line",
                        **changes})


def line_data(count=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=count)).astype("float32")


@pytest.mark.slow
def test_a_task_made_in_python_trains_in_worker_processes_on_arrays_passed_to_it_and_learns(tmp_path):
    """(Its build function is local to a test: it reaches the workers by value.)"""
    report = archsearch.search(regression_task(), tmp_path / "run", data=line_data(), fidelity="off", epochs=6,
                               population=2, generations=1, final_epochs=12, workers=2)
    assert (tmp_path / "run" / "worker.log").exists()
    first = report.records[0].result.fitness
    assert report.best[0].result.fitness <= first  # never worse than the first candidate (the defaults)
    assert report.final.metrics["test_loss"] < 0.5  # a line is learnt (the targets' variance is 5.3)
    assert "retrained" in report.final.how


@pytest.mark.slow
def test_a_comparison_runs_on_a_task_made_in_python_scores_its_test_data_and_resumes_without_training(tmp_path):
    import pandas as pd

    x, y = line_data(400)
    data = (x[:300], y[:300], x[300:], y[300:])

    def compare():
        return archsearch.compare(regression_task(), tmp_path, ("random", "ga"), seeds=1, budget=3, data=data,
                                  population=2, epochs=2, isolate=False)

    compare()
    results = pd.read_csv(tmp_path / "results.csv").set_index("strategy")
    assert sorted(results.index) == ["ga", "random"] and (results["evaluations"] == 3).all()
    runs = [json.loads((tmp_path / "runs" / f"{name}-seed0" / "config.json").read_text()) for name in results.index]
    assert all(run["fidelity"] == "off" and run["task"] == "keras" for run in runs)  # equal evaluations
    assert results["test_fitness"].between(0, 20).all()  # each run's best scored on the 100 test samples: test loss
    summary = (tmp_path / "summary.md").read_text()
    assert "median best val loss" in summary and "median test loss" in summary and "- fitness: val loss" in summary
    assert not (tmp_path / "vanilla.csv").exists()  # the vanilla autoencoder is the autoencoder's baseline
    first = (tmp_path / "evaluations.csv").read_text()
    compare()  # the same call again: everything is in the runs' journals
    assert (tmp_path / "evaluations.csv").read_text() == first


def test_a_failing_build_and_an_oversized_model_are_invalid_candidates_with_their_reason(tmp_path):
    from archsearch.core.data import split
    from archsearch.tasks.data import as_dataset
    from archsearch.tasks.evaluator import EpochSettings, KerasEvaluator

    task = regression_task()

    def build(params, input_shape):
        if len(params["layers"]) == 2:
            raise ValueError("two layers are not supported")
        return task.build(params, input_shape)

    splits = split(as_dataset(line_data()), None, 50, 0)
    evaluator = KerasEvaluator(regression_task(build=build), splits, EpochSettings(epochs=1, max_params=200))
    two = task.space.from_values({"layers": [{"units": 8}, {"units": 8}], "learning_rate": 0.01, "batch_size": 16})
    big = task.space.from_values({"layers": [{"units": 64}, {"units": 64}, {"units": 64}], "learning_rate": 0.01,
                                  "batch_size": 16})
    small = task.space.default
    assert evaluator.evaluate(two, 0).status == INVALID
    assert evaluator.evaluate(two, 0).reason == "build failed: ValueError: two layers are not supported"
    assert evaluator.evaluate(big, 0).reason == "8,641 parameters, over the limit of 200"
    assert evaluator.evaluate(small, 0).status == OK


@pytest.mark.parametrize("changes, message", [
    (dict(objective="accuracy"), "objective 'accuracy' is neither the loss nor one of its metrics"),
    (dict(optimizer="lbfgs"), "optimizer 'lbfgs' unknown"),
    (dict(build=None), "build must be a function"),
])
def test_a_badly_made_task_is_one_clear_error(changes, message):
    with pytest.raises(ArchsearchError, match=message):
        regression_task(**changes)


def test_an_accuracy_objective_is_minimised_as_the_error_and_named_so():
    task = regression_task(metrics=["accuracy"], objective="accuracy")
    assert task.maximized and task.fitness(0.9) == pytest.approx(0.1)
    assert task.fitness_label == "val error (1 - accuracy)"
    assert not regression_task().maximized and regression_task().fitness_label == "val loss"


def test_tasks_load_from_a_file_and_fail_in_one_line_naming_it(tmp_path):
    assert archsearch.load_task(str(EXAMPLES / "diabetes_mlp.py")).source == str(EXAMPLES / "diabetes_mlp.py")
    (tmp_path / "empty.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("import nonexistent_module_of_nobody\n")
    for source, message in [(tmp_path / "missing.py", "no such file"),
                            (tmp_path / "empty.py", "define one KerasTask named `task`"),
                            (tmp_path / "broken.py", "failed to load .ModuleNotFoundError"),
                            (f"{EXAMPLES / 'diabetes_mlp.py'}:space", "space is a Space, not a KerasTask"),
                            ("no_such_package.tasks:task", "not a .py file or an importable module")]:
        with pytest.raises(ArchsearchError, match=message):
            archsearch.load_task(str(source))


def test_data_takes_arrays_with_or_without_test_arrays_and_refuses_what_it_cannot_use():
    from archsearch.core.errors import DataError
    from archsearch.tasks.data import as_dataset

    x, y = line_data(60)
    held = as_dataset((x, y))
    assert len(held.x_train) == 50 and len(held.x_test) == 10 and held.y_test.shape == (10,)
    assert len(as_dataset((x[:40], y[:40], x[40:], y[40:])).x_test) == 20
    for bad, message in [((x, y[:10]), "60 samples of shape .3,. against 10 targets"), (x, "expected arrays"),
                         ((x[:5], y[:5]), "at least 10 are needed"),
                         ((x, y, x[:, :2], y), "x_test samples are .2,., x_train's .3,.")]:
        with pytest.raises(DataError, match=message):
            as_dataset(bad)
