"""Turns one planned layer into a Keras 3 layer. Backend-neutral: Keras layers only."""

from __future__ import annotations

import keras

from archsearch.autoencoder.plan import LayerPlan


def make_layer(plan: LayerPlan, name: str) -> keras.layers.Layer:
    gene = plan.gene
    if plan.op == "conv":
        return keras.layers.Conv2D(gene.filters, gene.kernel, strides=gene.stride, padding="same",
                                   activation=gene.activation, name=name)
    if plan.op == "conv_transpose":
        return keras.layers.Conv2DTranspose(gene.filters, gene.kernel, strides=gene.stride, padding="same",
                                            activation=gene.activation, name=name)
    if plan.op == "pool":
        return keras.layers.MaxPooling2D(2, padding="same", name=name)
    if plan.op == "upsample":
        return keras.layers.UpSampling2D(2, name=name)
    if plan.op == "batchnorm":
        return keras.layers.BatchNormalization(name=name)
    if plan.op == "dropout":
        return keras.layers.Dropout(gene.rate, name=name)
    if plan.op == "dense":
        # A dense gene carries its activation; a bridging dense layer (units only) uses relu.
        units, activation = (gene.units, gene.activation) if gene else (plan.units, "relu")
        return keras.layers.Dense(units, activation=activation, name=name)
    if plan.op == "latent":
        return keras.layers.Dense(plan.units, name=name)  # linear code, as in PCA
    if plan.op == "dense_output":
        return keras.layers.Dense(plan.units, activation="sigmoid", name=name)
    if plan.op == "output":
        return keras.layers.Conv2D(plan.shape[-1], 3, padding="same", activation="sigmoid", name=name)
    if plan.op == "flatten":
        return keras.layers.Flatten(name=name)
    if plan.op == "reshape":
        return keras.layers.Reshape(plan.shape, name=name)
    if plan.op == "crop":
        return keras.layers.Cropping2D(plan.crop, name=name)
    raise ValueError(f"unknown planned layer {plan.op!r}")
