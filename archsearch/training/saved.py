"""Reading back what the builder made: a saved `.keras` model, and the encoder inside an autoencoder.

`archsearch latent`, `archsearch transfer` and `archsearch evolve-weights` all load the user's model
files through here, so they fail with the same one-line error and find the encoder the same way.
"""

from __future__ import annotations

from pathlib import Path

import keras

from archsearch.core.errors import ArchsearchError

ENCODER = "encoder"  # the name `build_autoencoder` (and so every export) gives the encoder sub-model


def load_model_file(path: Path, what: str) -> keras.Model:
    """The model in `path`, uncompiled; `what` names it in the error (a flag, or the path itself)."""
    if not path.is_file():
        raise ArchsearchError(f"{what}: no such model file")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:
        raise ArchsearchError(f"{what}: not a Keras model file ({type(exc).__name__})") from None


def encoder_part(model: keras.Model) -> keras.Model | None:
    """The encoder sub-model of an archsearch autoencoder, or None when the model has none."""
    try:
        encoder = model.get_layer(ENCODER)
    except ValueError:
        return None
    return encoder if isinstance(encoder, keras.Model) else None
