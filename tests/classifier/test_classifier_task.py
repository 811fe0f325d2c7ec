"""The classifier search, a task on the public API: its space builds for any labelled images, it learns,
and hands over a classifier with its test accuracy and confusion matrix."""

import json

import keras
import numpy as np
import pytest

import archsearch
from archsearch.classifier.task import build, space, task
from archsearch.tasks.keras_task import Targets


def test_every_sampled_candidate_builds_a_classifier_for_small_and_large_images():
    rng = np.random.default_rng(0)
    for shape, classes in (((12, 12, 1), 2), ((28, 28, 1), 10), ((32, 32, 3), 5)):
        for _ in range(6):
            model = build(space.sample(rng), shape, Targets((), classes))
            assert model.output_shape == (None, classes)
            keras.backend.clear_session(free_memory=False)


def test_it_is_built_on_the_public_api_only():
    from pathlib import Path

    source = (Path(archsearch.__file__).parent / "classifier" / "task.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert [line for line in imports if "archsearch" in line] == [
        "from archsearch import Choice, Float, Group, KerasTask, OneOf, Repeated, Space, load_dataset"]


@pytest.mark.slow
def test_a_search_on_labelled_images_learns_and_hands_over_accuracy_and_a_confusion_matrix(blobs, tmp_path):
    x_train, y_train = blobs(400, 0)
    x_test, y_test = blobs(100, 1)
    report = archsearch.search(task, tmp_path / "run", data=(x_train, y_train, x_test, y_test), population=2,
                               generations=0, min_budget=384, max_budget=1152, time_limit=0, isolate=False)
    best = tmp_path / "run" / "best"
    metrics = json.loads((best / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.9 and len(metrics["per_class_accuracy"]) == 2
    assert report.best[0].result.fitness == pytest.approx(1 - metrics["val_accuracy"], abs=1e-6)
    assert (best / "confusion_matrix.png").stat().st_size > 10_000
    model = keras.models.load_model(best / "model.keras")
    assert np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test) == pytest.approx(
        metrics["test_accuracy"], abs=1e-6)
