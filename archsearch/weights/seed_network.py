"""The conv autoencoder of the published weight-evolution attempt that issue 4 reproduces.

conv 5x5 -> pool -> conv 5x5 -> pool -> dense 5 (sigmoid) -> 2 -> 5 -> 160 -> reshape 4x4x10 ->
unpool -> transposed conv 5x5 -> unpool -> transposed conv 5x5, 'valid' padding throughout
(28 -> 24 -> 12 -> 8 -> 4 and back). It is fixed, not searched: it needs 'valid' convolutions, which
the search space does not offer, so it is built here as the same `Autoencoder` the builder returns.
"""

from __future__ import annotations

import keras
from keras import layers

from archsearch.autoencoder.model import Autoencoder
from archsearch.autoencoder.plan import ModelPlan

SEED_NETWORK = "seed-network"


def build_seed_network(filters: int = 10) -> Autoencoder:
    image = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(filters, 5, activation="relu", name="enc0_conv")(image)
    x = layers.MaxPooling2D(2, name="enc1_pool")(x)
    x = layers.Conv2D(filters, 5, activation="relu", name="enc2_conv")(x)
    x = layers.MaxPooling2D(2, name="enc3_pool")(x)
    x = layers.Flatten(name="enc4_flatten")(x)
    x = layers.Dense(5, activation="sigmoid", name="enc5_dense")(x)
    encoder = keras.Model(image, layers.Dense(2, name="enc6_latent")(x), name="encoder")
    code = keras.Input(shape=(2,), name="code")
    y = layers.Dense(5, activation="sigmoid", name="dec0_dense")(code)
    y = layers.Dense(4 * 4 * filters, activation="relu", name="dec1_dense")(y)
    y = layers.Reshape((4, 4, filters), name="dec2_reshape")(y)
    y = layers.UpSampling2D(2, name="dec3_unpool")(y)
    y = layers.Conv2DTranspose(filters, 5, activation="relu", name="dec4_tconv")(y)
    y = layers.UpSampling2D(2, name="dec5_unpool")(y)
    y = layers.Conv2DTranspose(1, 5, activation="sigmoid", name="dec6_tconv")(y)
    decoder = keras.Model(code, y, name="decoder")
    autoencoder = keras.Model(image, decoder(encoder(image)), name="autoencoder")
    plan = ModelPlan(input_shape=(28, 28, 1), encoder=(), decoder=(), latent_size=2)
    return Autoencoder(encoder, decoder, autoencoder, plan)
