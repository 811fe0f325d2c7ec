"""Transfer learning without gradients (`archsearch transfer --inner weights`): the frozen backbone runs
once, the trained layers evolve from the pretrained weights, and the search trains genes differing only
in backprop genes once."""

import json

import keras
import numpy as np
import pytest

from archsearch.cli.main import main
from archsearch.core.data import split
from archsearch.core.records import INVALID, OK
from archsearch.run.journal import Journal
from archsearch.transfer.config import TransferConfig
from archsearch.transfer.fine_tune import FineTuneSettings, TransferEvaluator, fine_tune
from archsearch.transfer.model import BackboneSource, build_classifier, split_at_frozen
from archsearch.transfer.space import transfer_genes, weight_evolution_key
from archsearch.weights.evolution import WeightEvolutionSettings

EVOLVED = WeightEvolutionSettings(strategy="snes", population=16, generations=40, batch_size=64,
                                  loss="crossentropy", options={"sigma": 0.1})


def test_the_split_classifier_computes_what_the_whole_one_does(labelled, backbone_file):
    backbone = BackboneSource(backbone_file).load((12, 12, 1))
    built = build_classifier(backbone, transfer_genes(4, 0.5, head_units=6), (12, 12, 1), 2)
    fixed, trained = split_at_frozen(built)
    images = labelled.x_test[:16]
    assert np.allclose(trained.predict(fixed.predict(images, verbose=0), verbose=0),
                       built.model.predict(images, verbose=0), atol=1e-6)
    # the frozen convolution is in the fixed part; the rest of the backbone and the head are trained
    assert [layer.name for layer in trained.layers] == [layer.name for layer in built.trained_layers]
    assert len(trained.trainable_weights) == 6  # dense 8, hidden 6, classes 2: kernels and biases


@pytest.mark.slow
def test_gradient_free_fine_tuning_learns_and_leaves_the_frozen_layers_alone(labelled, backbone_file):
    splits = split(labelled, 300, 100, seed=0)
    evaluator = TransferEvaluator(BackboneSource(backbone_file), splits, classes=2,
                                  settings=FineTuneSettings(weights=EVOLVED), score_test=True)
    genome = transfer_genes(4, 0.5)
    untrained = evaluator.build(genome)
    frozen_before = [np.array(w) for w in untrained.model.get_layer("backbone").layers[1].get_weights()]
    result = evaluator.evaluate(genome, seed=1)
    assert result.status == OK, result.reason
    assert result.epochs == 40  # generations
    assert result.fitness == pytest.approx(1 - result.metrics["val_accuracy"])
    assert result.metrics["val_accuracy"] > 0.8 and result.metrics["test_accuracy"] > 0.8  # chance is 0.5
    built = evaluator.build(genome)
    outcome = fine_tune(built, genome, splits, evaluator.settings, seed=1)
    conv = built.model.get_layer("backbone").layers[1]
    assert all(np.array_equal(a, b) for a, b in zip(frozen_before, conv.get_weights()))
    # the classifier itself holds the evolved weights: Keras' own accuracy is the evolution's
    probabilities = built.model.predict(splits.x_val, verbose=0)
    assert np.mean(probabilities.argmax(1) == splits.y_val) == pytest.approx(outcome.val_accuracy)


@pytest.mark.slow  # trains models: seconds
def test_a_layer_the_batched_pass_cannot_run_makes_the_genes_invalid(labelled, tmp_path):
    image = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(4, 3)(image)
    x = keras.layers.LayerNormalization()(x)
    path = tmp_path / "normed.keras"
    keras.Model(image, keras.layers.Flatten()(x)).save(path)
    splits = split(labelled, 300, 100, seed=0)
    evaluator = TransferEvaluator(BackboneSource(str(path)), splits, 2, FineTuneSettings(weights=EVOLVED))
    result = evaluator.evaluate(transfer_genes(3), seed=1)
    assert result.status == INVALID and "LayerNormalization" in result.reason
    assert evaluator.evaluate(transfer_genes(3, 2 / 3), seed=1).status == OK  # frozen: runs in Keras
    image = keras.Input((12, 12, 1))
    first = keras.layers.Conv2D(4, 3, padding="same")(image)
    branched = keras.layers.Add()([first, keras.layers.Conv2D(4, 3, padding="same")(first)])
    keras.Model(image, keras.layers.Flatten()(branched)).save(path)
    result = evaluator.evaluate(transfer_genes(3), seed=1)
    assert result.status == INVALID and result.reason.startswith("--inner weights:"), result.reason


@pytest.mark.slow
def test_a_gradient_free_transfer_search_trains_each_architecture_once_and_hands_over_a_classifier(
        tmp_path, labelled, backbone_file, capsys):
    out, data = tmp_path / "run", tmp_path / "blobs.npz"
    np.savez(data, x_train=labelled.x_train, y_train=labelled.y_train, x_test=labelled.x_test, y_test=labelled.y_test)
    code = main(["transfer", "--backbone", backbone_file, "--data", str(data), "--inner", "weights",
                 "--weight-generations", "20",
                 "--weight-population", "16", "--weight-option", "sigma=0.1", "--final-weight-generations", "30",
                 "--population", "4", "--generations", "1", "--train-size", "200", "--val-size", "100",
                 "--final-train-size", "300", "--in-process", "--out", str(out)])
    assert code == 0
    config = TransferConfig.load(out / "config.json")
    assert config.inner == "weights" and config.fidelity == "off"
    records = Journal(out / "journal.jsonl").read()
    assert len(records) == 8 and all(r.result.status == OK for r in records)
    by_architecture = {}
    for record in records:
        if record.cached_from is None:
            assert weight_evolution_key(record.genome) not in by_architecture  # trained once per architecture
            by_architecture[weight_evolution_key(record.genome)] = record
    comparison = (out / "best" / "comparison.csv").read_text()
    assert "whole backbone fine-tuned" in comparison and "linear classifier" in comparison
    metrics = json.loads((out / "best" / "metrics.json").read_text())
    assert metrics["epochs"] == 30 and metrics["test_accuracy"] > 0.7
    model = keras.models.load_model(out / "best" / "classifier.keras")
    assert model.output_shape == (None, 2)
    banner = " ".join(capsys.readouterr().err.split())  # rich folds long lines
    assert "trained layers evolve without gradients" in banner and "30 generations of snes" in banner


def test_gradient_free_transfer_refuses_fidelities_in_one_line(backbone_file, capsys):
    code = main(["transfer", "--backbone", backbone_file, "--inner", "weights", "--fidelity", "asha"])
    assert code == 2
    assert "--fidelity asha: transfer --inner weights trains each candidate once" in capsys.readouterr().err
