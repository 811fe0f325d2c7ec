"""Scores a tiny population in bfloat16 and exits 0 if it could: the child process `precision.py` runs.

    python -m archsearch.weights.bfloat16_probe
"""

from __future__ import annotations

import sys


def score_a_tiny_population() -> None:
    """Every kind of layer the pass batches in one small network: transposed convolutions on the shared
    images and on the population's, grouped convolutions, pooling, upsampling, batch-norm, a dense layer
    on images, a convolution to one channel, dense layers and a softmax."""
    from archsearch.core.quiet import import_quietly

    import_quietly()
    import keras
    import numpy as np

    from archsearch.weights.population_forward import PopulationForward

    image = keras.Input((8, 8, 1))
    x = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(image)  # 16x16
    x = keras.layers.Conv2D(2, 3, strides=2, padding="same", activation="relu")(x)  # 8x8
    x = keras.layers.MaxPooling2D()(keras.layers.Conv2D(3, 3, padding="same")(x))  # 4x4
    x = keras.layers.Dense(2)(keras.layers.BatchNormalization()(x))
    x = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(keras.layers.UpSampling2D()(x))  # 16x16
    x = keras.layers.Conv2D(1, 3, padding="same")(x)
    x = keras.layers.Dense(4, activation="tanh")(keras.layers.Flatten()(x))
    forward = PopulationForward(keras.Model(image, keras.layers.Dense(3, activation="softmax")(x)))
    rng = np.random.default_rng(0)
    population = forward.layout.initial(rng, 4)
    images, labels = rng.random((5, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, 5)
    losses = forward.fitness(population, images, labels, "crossentropy", precision="bfloat16")
    if not np.isfinite(losses).all():
        sys.exit(f"bfloat16 gave {losses}")


if __name__ == "__main__":
    score_a_tiny_population()
