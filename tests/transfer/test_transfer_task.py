"""Transfer fitness and the transfer search: real fine-tuning on tiny labelled images, the run record
and resume, the command line's errors, and the whole pipeline on a Fashion-MNIST subset."""

import json

import keras
import numpy as np
import pytest

from archsearch.autoencoder.export import export
from archsearch.cli.main import main
from archsearch.core.data import split
from archsearch.core.errors import ArchsearchError
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import INVALID, OK
from archsearch.transfer.config import TransferConfig
from archsearch.transfer.fine_tune import TransferEvaluator
from archsearch.transfer.model import BackboneSource
from archsearch.transfer.space import frozen_count, transfer_genes
from archsearch.transfer.task import transfer_search


@pytest.mark.slow  # trains models: seconds
def test_fitness_is_the_validation_error_of_the_fine_tuned_classifier(labelled, backbone_file):
    splits = split(labelled, 300, 100, seed=0)
    evaluator = TransferEvaluator(BackboneSource(backbone_file), splits, classes=2, score_test=True)
    result = evaluator.evaluate(transfer_genes(3, learning_rate=3e-3, batch_size=32), seed=1)
    assert result.status == OK, result.reason
    assert result.fitness == pytest.approx(1 - result.metrics["val_accuracy"])
    assert result.metrics["val_accuracy"] > 0.8 and result.metrics["test_accuracy"] > 0.8  # chance is 0.5
    too_deep = evaluator.evaluate(transfer_genes(9), seed=1)
    assert too_deep.status == INVALID and "4 cut points" in too_deep.reason


@pytest.mark.slow
def test_transfer_search_records_every_evaluation_and_resumes_exactly(tmp_path, labelled, backbone_file):
    config = TransferConfig(backbone=backbone_file, population=4, generations=1, train_size=200, val_size=100,
                            epochs=1, final_train_size=300, final_epochs=1, isolate=False, baselines=False,
                            fidelity="off")
    first = transfer_search(config, tmp_path / "run", dataset=labelled)
    assert len(first.records) == 8 and first.depth == 4
    assert all(frozen_count(r.genome) <= r.genome["included"] <= 4 for r in first.records)
    assert (tmp_path / "run" / "best" / "classifier.keras").is_file()
    longer = transfer_search(config.with_overrides(generations=2), tmp_path / "run", resume=True, dataset=labelled)
    assert [r.genome.key for r in longer.records[:8]] == [r.genome.key for r in first.records]
    assert [r.result.fitness for r in longer.records[:8]] == [r.result.fitness for r in first.records]
    assert len(longer.records) == 12
    lines = [json.loads(line) for line in (tmp_path / "run" / "journal.jsonl").read_text().splitlines()]
    evaluations = [line for line in lines if "issued" not in line]
    assert len(evaluations) == 12 == len(lines) - 12  # and an issued line for each
    assert evaluations[0]["genome"]["kind"] == "params" and "included" in evaluations[0]["genome"]["values"]
    with pytest.raises(ArchsearchError, match="a transfer run"):
        export(tmp_path / "run")


@pytest.mark.slow
def test_continued_fine_tuning_equals_uninterrupted_fine_tuning(labelled, backbone_file, tmp_path):
    splits = split(labelled, 256, 100, seed=0)
    evaluator = TransferEvaluator(BackboneSource(backbone_file), splits, classes=2)
    genome = transfer_genes(4, 0.25, learning_rate=3e-3, dropout=0.2, head_units=8, batch_size=32)
    straight = evaluator.evaluate(genome, 5, (), Fidelity(768, 768, checkpoint=str(tmp_path / "straight.npz")))
    steps, start = [], 0
    for budget in (256, 768):  # a new model each step, as a promoted candidate in another process
        steps.append(evaluator.evaluate(genome, 5, (), Fidelity(budget, 768, start, str(tmp_path / f"{start}.npz")
                                                                if start else None, str(tmp_path / f"{budget}.npz"))))
        start = budget
    assert all(r.ok for r in [straight, *steps])
    assert steps[-1].fitness == pytest.approx(straight.fitness, abs=1e-9)
    assert steps[-1].metrics["val_loss"] == pytest.approx(straight.metrics["val_loss"], rel=1e-4)
    assert steps[-1].metrics["val_accuracy"] > 0.8 and steps[-1].epochs == 3  # 768 images seen of 256
    restored = [evaluator.restore(genome, tmp_path / name).model.get_weights() for name in ("straight.npz", "768.npz")]
    for a, b in zip(*restored):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_a_multi_fidelity_transfer_search_hands_over_its_top_rung_classifier(tmp_path, labelled, backbone_file):
    config = TransferConfig(backbone=backbone_file, population=4, generations=1, val_size=100, final_train_size=256,
                            final_epochs=3, isolate=False)
    report = transfer_search(config, tmp_path / "run", dataset=labelled)
    saved = TransferConfig.load(tmp_path / "run" / "config.json")
    assert (saved.fidelity, saved.train_size, saved.max_budget) == ("asha", 256, 768)  # the final regime
    assert saved.rungs.budgets == (128, 256, 768)
    assert sum(r.continued_from is None for r in report.records) == 8
    promoted = [r for r in report.records if r.continued_from is not None]
    assert {r.budget for r in promoted} == {256, 768}
    assert report.records[0].genome == transfer_genes(4)  # Keras defaults come first
    assert report.best[0].budget == 768
    # the winner is the search's own top-rung classifier: nothing retrained
    assert report.final.val_accuracy == pytest.approx(1 - report.best[0].result.fitness)
    classifier = keras.models.load_model(tmp_path / "run" / "best" / "classifier.keras")
    splits = split(labelled, 256, 100, seed=0)
    predicted = classifier.predict(splits.x_test, verbose=0).argmax(axis=1)
    assert float(np.mean(predicted == splits.y_test)) == pytest.approx(report.final.test_accuracy)
    reference = report.comparison.set_index("classifier").loc["whole backbone fine-tuned, defaults"]
    assert reference["epochs"] == 3 and reference["train_images"] == 256  # (a) in the winner's regime
    assert report.final.val_accuracy >= reference["val_accuracy"]  # the defaults were a candidate


def test_command_line_errors_are_one_line(tmp_path, capsys, backbone_file, blobs):
    unlabelled = tmp_path / "unlabelled.npz"
    np.savez(unlabelled, x_train=blobs(60, 0)[0])
    cases = [
        ([], "--backbone: name the pretrained network"),
        (["--backbone", "nosuchnet", "--in-process"], "--backbone nosuchnet: not a file"),
        (["--backbone", backbone_file, "--population", "1"], "--population 1"),
        (["conv_autoencoder", "--backbone", backbone_file], "archsearch search"),
        (["--backbone", backbone_file, "--data", str(unlabelled), "--in-process"], "needs class labels"),
    ]
    for arguments, message in cases:
        assert main(["transfer", *arguments, "--out", str(tmp_path / "never")]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and message in error[0], error
    assert not (tmp_path / "never").exists()


@pytest.mark.integration
def test_pipeline_autoencoder_search_then_transfer_search_on_fashion_mnist(tmp_path, fashion_mnist):
    """Autoencoder search -> exported encoder -> transfer search -> best classifier as a .keras file
    that loads and scores the test accuracy it reports."""
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.autoencoder.task import search

    # without fidelities: the default genes would climb to 20 passes over the 500 images (the ladder has
    # tests of its own; this one is about handing an encoder over)
    autoencoder = search(SearchConfig(population=2, generations=0, train_size=500, val_size=200, epochs=1,
                                      final_train_size=1000, final_epochs=1, test_size=500, isolate=False,
                                      fidelity="off"),
                         tmp_path / "autoencoder", dataset=fashion_mnist)
    encoder_dir = autoencoder.run_dir / "best"
    assert (encoder_dir / "encoder.keras").is_file()
    config = TransferConfig(backbone=str(encoder_dir), population=4, generations=1, train_size=1000, val_size=300,
                            epochs=2, final_train_size=2000, final_epochs=2, test_size=1000, isolate=False)
    report = transfer_search(config, tmp_path / "transfer", dataset=fashion_mnist)
    first = [r for r in report.records if r.continued_from is None]
    assert len(first) == 8 and sum(r.result.ok for r in first) >= 6
    classifier = keras.models.load_model(tmp_path / "transfer" / "best" / "classifier.keras")
    predicted = classifier.predict(fashion_mnist.x_test[:1000], verbose=0).argmax(axis=1)
    test_accuracy = float(np.mean(predicted == fashion_mnist.y_test[:1000]))
    assert test_accuracy == pytest.approx(report.final.test_accuracy)
    assert test_accuracy > 0.5  # ten classes: chance is 0.1
    comparison = report.comparison.set_index("classifier")["test_accuracy"]
    assert len(comparison) == 3 and comparison["linear classifier on raw pixels"] > 0.7


def test_the_backbone_files_are_what_dask_workers_must_reach(labelled, backbone_file, tmp_path):
    splits = split(labelled, 64, 32, seed=0)
    assert TransferEvaluator(BackboneSource(backbone_file), splits, 2).shared_paths() == {backbone_file: "--backbone"}
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "encoder.keras").write_bytes(b"")
    assert TransferEvaluator(BackboneSource(str(tmp_path / "exported")), splits, 2).shared_paths() == {
        str(tmp_path / "exported" / "encoder.keras"): "--backbone"}
    named = TransferEvaluator(BackboneSource("MobileNetV2", "/data/mobilenet.h5"), splits, 2)
    assert named.shared_paths() == {"/data/mobilenet.h5": "--backbone-weights"}
