"""`archsearch latent`: what an autoencoder's latent space knows about the classes, before and after
training, beside PCA codes of the same size (the Keras side; the metrics are in
`analysis.latent_quality`, the pictures in `analysis.latent_plots`)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from archsearch.analysis.baselines import fit_pca, pca_codes
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.model import build_autoencoder, carries_means
from archsearch.core.data import Dataset, require_labels
from archsearch.core.errors import ArchsearchError
from archsearch.latent.metrics import encode
from archsearch.latent.plots import save_latent_maps
from archsearch.latent.quality import latent_quality
from archsearch.training.saved import ENCODER, encoder_part, load_model_file

UNTRAINED, TRAINED = "untrained (start of training)", "trained"


def load_exported(spec: Path) -> tuple[keras.Model, Genome | None]:
    """An exported model directory (model.keras, and genome.json if there) or a .keras file."""
    path = spec / "model.keras" if spec.is_dir() else spec
    if not path.is_file():
        raise ArchsearchError(f"{spec}: no model here (give an exported model directory or a .keras file)")
    model = load_model_file(path, str(spec))
    genome_file = path.parent / "genome.json"
    if not genome_file.is_file():
        return model, None
    return model, Genome.from_file(genome_file)


def encoder_of(model: keras.Model, name: str = "model") -> keras.Model:
    encoder = encoder_part(model)
    if encoder is None:
        raise ArchsearchError(f"{name}: no sub-model named '{ENCODER}' (archsearch's exports have one)")
    return encoder


def latent_report(spec: Path, dataset: Dataset, out: Path, fit_size: int = 10_000, test_size: int | None = None,
                  tsne_points: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Scores the codes of the model (and of the same genome untrained, when its genome.json is there,
    and of PCA with as many components) on test images: k-means against the classes and a linear
    probe fitted on `fit_size` training images. Writes latent_quality.csv and latent_tsne.png to `out`."""
    require_labels(dataset, "latent quality needs")
    model, genome = load_exported(spec)
    encoder = encoder_of(model, str(spec))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(dataset.x_train), min(fit_size, len(dataset.x_train)), replace=False)
    x_fit, y_fit = dataset.x_train[chosen], dataset.y_train[chosen]
    x_eval, y_eval = dataset.x_test[:test_size], dataset.y_test[:test_size]
    latent = int(np.prod(encoder.output.shape[1:]))

    codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if genome is not None:
        keras.utils.set_random_seed(seed)
        untrained = encoder_of(build_autoencoder(genome, tuple(model.input.shape[1:]),
                                                 centred=carries_means(encoder)).autoencoder)
        codes[UNTRAINED] = (encode(untrained, x_fit), encode(untrained, x_eval))
    codes[TRAINED] = (encode(encoder, x_fit), encode(encoder, x_eval))
    mean, basis = fit_pca(x_fit, latent)
    codes[f"PCA, {latent} components"] = (pca_codes(x_fit, mean, basis), pca_codes(x_eval, mean, basis))

    frame = pd.DataFrame([{"codes": name, "latent size": latent,
                           **latent_quality(fit, y_fit, evaluation, y_eval, seed).to_dict()}
                          for name, (fit, evaluation) in codes.items()])
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "latent_quality.csv", index=False)
    shown = min(tsne_points, len(x_eval))
    save_latent_maps({name: evaluation[:shown] for name, (_, evaluation) in codes.items()}, y_eval[:shown],
                     out / "latent_tsne.png", seed,
                     title=f"t-SNE of {shown} test images' latent codes (size {latent}), coloured by class")
    return frame
