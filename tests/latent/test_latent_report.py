"""`archsearch latent` end to end on tiny labelled images: an exported model directory in, the
latent-quality table (untrained, trained, PCA) and t-SNE maps out; clear errors otherwise."""

import keras
import numpy as np
import pandas as pd
import pytest

from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.autoencoder.model import build_autoencoder
from archsearch.cli.main import main


@pytest.fixture
def exported(tmp_path, blobs):
    """A model directory as `archsearch export` writes one (model.keras, genome.json), and its data."""
    (x_train, y_train), (x_test, y_test) = blobs(120, 0), blobs(60, 1)
    genome = Genome((LayerGene("dense", units=8, activation="tanh"),), 2)
    keras.utils.set_random_seed(0)
    model = build_autoencoder(genome, (12, 12, 1)).autoencoder
    model.compile("adam", "mse")
    model.fit(x_train, x_train, epochs=3, verbose=0)
    directory = tmp_path / "best"
    directory.mkdir()
    model.save(directory / "model.keras")
    (directory / "genome.json").write_text(genome.to_json())
    data = tmp_path / "blobs.npz"
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return directory, data


@pytest.mark.slow  # trains a model: seconds
def test_latent_scores_the_untrained_and_trained_codes_beside_pca(exported, capsys):
    directory, data = exported
    assert main(["latent", str(directory), "--data", str(data), "--tsne-points", "50"]) == 0
    table = pd.read_csv(directory / "latent" / "latent_quality.csv").set_index("codes")
    assert list(table.index) == ["untrained (start of training)", "trained", "PCA, 2 components"]
    assert (table["latent size"] == 2).all()
    for column in ("cluster_accuracy", "linear_probe_accuracy"):
        assert table[column].between(0.5, 1.0).all()  # two classes: chance is 1/2 at worst
    # left against right is PCA's first direction on these images: a linear probe separates it
    assert table.loc["PCA, 2 components", "linear_probe_accuracy"] > 0.9
    assert (directory / "latent" / "latent_tsne.png").stat().st_size > 10_000
    assert "linear_probe_accuracy" in capsys.readouterr().out


@pytest.mark.slow  # trains a model: seconds
def test_latent_refuses_data_without_labels_and_a_directory_without_a_model(exported, tmp_path, capsys):
    directory, data = exported
    unlabelled = tmp_path / "unlabelled.npz"
    np.savez(unlabelled, x_train=np.load(data)["x_train"])
    assert main(["latent", str(directory), "--data", str(unlabelled)]) == 2
    assert "needs class labels" in capsys.readouterr().err
    assert main(["latent", str(tmp_path / "nothing"), "--data", str(data)]) == 2
    assert "no model here" in capsys.readouterr().err
    assert main(["latent", str(directory), "--data", str(data), "--fit-size", "1"]) == 2
    assert "--fit-size 1: must be at least 2" in capsys.readouterr().err
    (directory / "genome.json").write_bytes(bytes(range(128, 256)))  # a damaged genome file beside the model
    assert main(["latent", str(directory), "--data", str(data)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "genome.json: not a readable genome file" in error, error
