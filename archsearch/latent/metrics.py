"""A trained candidate's latent metrics, for searches that weigh them (`archsearch.core.objectives`).

The probe is fitted on the codes of the run's training images and everything is scored on the
validation codes, so the search never sees the test set. A metric that cannot be computed (codes that
are NaN or infinite) is NaN: the objective is then the worst, and the candidate's loss still counts.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from archsearch.core.objectives import LATENT_PREFIX
from archsearch.latent.quality import LatentQuality, latent_quality

Labels = tuple[np.ndarray, np.ndarray]  # (training labels, validation labels)


def encode(encoder: keras.Model, images: np.ndarray) -> np.ndarray:
    """The latent codes of `images`, one flat row each."""
    return encoder.predict(images, batch_size=1024, verbose=0).reshape(len(images), -1)


def latent_metrics(encoder: keras.Model, x_train: np.ndarray, x_val: np.ndarray, labels: Labels,
                   seed: int) -> dict[str, float]:
    """The `LatentQuality` metrics of the encoder's codes, keyed `latent_<name>` for the result's metrics."""
    codes_train, codes_val = encode(encoder, x_train), encode(encoder, x_val)
    if np.isfinite(codes_train).all() and np.isfinite(codes_val).all():
        quality = latent_quality(codes_train, labels[0], codes_val, labels[1], seed).to_dict()
    else:
        quality = {name: math.nan for name in LatentQuality.__dataclass_fields__}
    return {LATENT_PREFIX + name: value for name, value in quality.items()}
