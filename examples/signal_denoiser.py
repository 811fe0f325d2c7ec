"""A 1-D signal denoiser on generated data: noisy sums of three sines in, the clean signal out. Which
stack of convolutions (plain with a dilation, or depthwise-separable; batch-norm between), activation,
residual output and learning rate denoise best.

    archsearch search --task examples/signal_denoiser.py --out results/runs/denoiser
"""

import keras
import numpy as np

from archsearch import Choice, Float, Group, KerasTask, OneOf, Repeated, Space

LENGTH = 128  # samples per signal

space = Space({
    "layers": Repeated(OneOf(conv=Group(filters=Choice([8, 16, 32], default=16), kernel=Choice([3, 5, 9]),
                                        dilation=Choice([1, 2, 4])),
                             separable=Group(filters=Choice([8, 16, 32]), kernel=Choice([3, 5, 9])),
                             batchnorm=Group()),
                       min_length=1, max_length=5),
    "activation": Choice(["relu", "gelu", "tanh"]),
    "residual": Choice([True, False]),  # predict the noise and subtract it, or the clean signal itself
    "learning_rate": Float(3e-4, 1e-2, log=True, default=2e-3),
})


def build(params, input_shape):
    inputs = x = keras.Input(input_shape)
    for layer in params["layers"]:
        if layer["kind"] == "conv":
            x = keras.layers.Conv1D(layer["filters"], layer["kernel"], dilation_rate=layer["dilation"],
                                    padding="same", activation=params["activation"])(x)
        elif layer["kind"] == "separable":
            x = keras.layers.SeparableConv1D(layer["filters"], layer["kernel"], padding="same",
                                             activation=params["activation"])(x)
        else:
            x = keras.layers.BatchNormalization()(x)
    output = keras.layers.Conv1D(1, 1)(x)
    return keras.Model(inputs, keras.layers.Subtract()([inputs, output]) if params["residual"] else output)


def data(count=2400, seed=0):
    rng = np.random.default_rng(seed)
    shape = (count, 3, 1)  # three sines a signal
    frequency, phase = rng.uniform(1, 12, shape), rng.uniform(0, 2 * np.pi, shape)
    amplitude = rng.uniform(0.2, 1, shape)
    clean = (amplitude * np.sin(2 * np.pi * frequency * np.linspace(0, 1, LENGTH) + phase)).sum(axis=1)
    noisy = clean + rng.normal(0.0, 0.4, clean.shape)
    return noisy[..., None].astype("float32"), clean[..., None].astype("float32")


task = KerasTask(space=space, build=build, data=data, loss="mse", name="signal_denoiser")
