"""One forward pass for a whole population of weight vectors: the core of weight evolution.

Instead of `set_weights` + `predict` per individual, every layer runs once for all P individuals:
dense layers as batched matrix products (`einsum` over the population axis), convolutions as image
patches times a batched kernel matrix, transposed convolutions as zero-insertion then such a
convolution with the flipped kernel. Written with `keras.ops` only, so any Keras backend runs it.

Supported: a chain of Dense, Conv2D, Conv2DTranspose ('same' padding), MaxPooling2D, UpSampling2D,
BatchNormalization (inference statistics), Dropout (identity), Flatten, Reshape, Cropping2D and
Activation layers, possibly nested in functional sub-models as the builder makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from archsearch.evaluation.weights import WeightLayout

Tensor = object
Op = Callable[[Tensor, dict[str, Tensor]], Tensor]


def layer_chain(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's layers in order, nested models expanded, input layers dropped."""
    chain = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        chain += layer_chain(layer) if isinstance(layer, keras.Model) else [layer]
    return chain


class PopulationForward:
    """`forward(population, x)`: the model's output for every row of `population` (P, n_params) on the
    images `x` (B, ...), shaped (P, B, ...)."""

    def __init__(self, model: keras.Model) -> None:
        self.layout = WeightLayout.of(model)
        self.index = {path: i for i, path in enumerate(self.layout.paths)}
        self.ops: list[Op] = [self._op(layer) for layer in layer_chain(model)]

    def forward(self, population, x):
        weights = [ops.convert_to_tensor(w) for w in self.layout.unflatten(np.asarray(population, np.float32))]
        population_size = len(population)
        x = ops.convert_to_tensor(np.asarray(x, np.float32))
        x = ops.broadcast_to(x[None], (population_size,) + tuple(x.shape))
        for op in self.ops:
            x = op(x, weights)
        return x

    def fitness(self, population, x, target=None, loss: str = "mse", chunk: int | None = None):
        """Per individual: mean squared (or absolute) reconstruction error on `x` (P,), as numpy.
        `chunk` evaluates that many individuals at a time: convolution patches grow with P x batch."""
        if chunk is not None and chunk < len(population):
            return np.concatenate([self.fitness(population[i:i + chunk], x, target, loss)
                                   for i in range(0, len(population), chunk)])
        output = self.forward(population, x)
        target = ops.convert_to_tensor(np.asarray(x if target is None else target, np.float32))[None]
        error = ops.square(output - target) if loss == "mse" else ops.abs(output - target)
        return ops.convert_to_numpy(ops.mean(ops.reshape(error, (len(population), -1)), axis=1))

    # ---- one op per layer -----------------------------------------------------------------------
    def _weights(self, layer: keras.layers.Layer) -> list[int]:
        return [self.index[w.path] for w in layer.trainable_weights]

    def _op(self, layer: keras.layers.Layer) -> Op:
        activation = getattr(layer, "activation", None) or (lambda t: t)
        ids = self._weights(layer)
        if isinstance(layer, keras.layers.Dense):
            return lambda x, w: activation(_dense(x, w[ids[0]], w[ids[1]] if layer.use_bias else None))
        if isinstance(layer, keras.layers.Conv2DTranspose):
            return lambda x, w: activation(_conv_transpose(x, w[ids[0]], w[ids[1]] if layer.use_bias else None,
                                                           layer.strides[0], layer.kernel_size[0]))
        if isinstance(layer, keras.layers.Conv2D):
            return lambda x, w: activation(_conv(x, w[ids[0]], w[ids[1]] if layer.use_bias else None,
                                                 layer.strides[0], layer.padding))
        if isinstance(layer, keras.layers.MaxPooling2D):
            return lambda x, w: _per_image(x, lambda t: ops.max_pool(t, layer.pool_size, layer.strides,
                                                                     layer.padding))
        if isinstance(layer, keras.layers.UpSampling2D):
            return lambda x, w: ops.repeat(ops.repeat(x, layer.size[0], axis=2), layer.size[1], axis=3)
        if isinstance(layer, keras.layers.BatchNormalization):
            return self._batchnorm(layer, ids)
        if isinstance(layer, keras.layers.Dropout):
            return lambda x, w: x
        if isinstance(layer, keras.layers.Flatten):
            return lambda x, w: ops.reshape(x, tuple(x.shape[:2]) + (-1,))
        if isinstance(layer, keras.layers.Reshape):
            return lambda x, w: ops.reshape(x, tuple(x.shape[:2]) + tuple(layer.target_shape))
        if isinstance(layer, keras.layers.Cropping2D):
            (top, bottom), (left, right) = layer.cropping
            return lambda x, w: x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right, :]
        if isinstance(layer, keras.layers.Activation):
            return lambda x, w: activation(x)
        raise ValueError(f"weight evolution does not support {type(layer).__name__} layers ({layer.name})")

    def _batchnorm(self, layer: keras.layers.BatchNormalization, ids: Sequence[int]) -> Op:
        mean = ops.convert_to_tensor(keras.ops.convert_to_numpy(layer.moving_mean))
        scale = ops.convert_to_tensor(1.0 / np.sqrt(keras.ops.convert_to_numpy(layer.moving_variance)
                                                    + layer.epsilon))

        def apply(x, w):
            gamma, beta = w[ids[0]], w[ids[1]]
            shape = (gamma.shape[0],) + (1,) * (len(x.shape) - 2) + (gamma.shape[-1],)
            return (x - mean) * scale * ops.reshape(gamma, shape) + ops.reshape(beta, shape)

        return apply


def _per_image(x, function):
    """Applies an image op to (P, B, H, W, C) by folding the population into the batch."""
    p, b = x.shape[0], x.shape[1]
    out = function(ops.reshape(x, (p * b,) + tuple(x.shape[2:])))
    return ops.reshape(out, (p, b) + tuple(out.shape[1:]))


def _dense(x, kernel, bias):
    out = ops.einsum("pbi,pio->pbo", x, kernel)
    return out if bias is None else out + bias[:, None, :]


def _conv(x, kernel, bias, stride: int, padding: str):
    """Patches (P, B, H', W', k*k*C) times the kernel (P, k*k*C, F): one batched matrix product."""
    k, channels, filters = kernel.shape[1], kernel.shape[3], kernel.shape[4]
    patches = _per_image(x, lambda t: ops.image.extract_patches(t, k, strides=stride, padding=padding))
    p, b, h, w = patches.shape[:4]
    flat = ops.reshape(patches, (p, b * h * w, k * k * channels))
    out = ops.einsum("pnk,pkf->pnf", flat, ops.reshape(kernel, (p, k * k * channels, filters)))
    out = ops.reshape(out, (p, b, h, w, filters))
    return out if bias is None else out + bias[:, None, None, None, :]


def _conv_transpose(x, kernel, bias, stride: int, k: int):
    """A 'same' transposed convolution: insert stride - 1 zeros between pixels, pad, then convolve with
    the spatially flipped kernel whose in/out channels are swapped."""
    p, b, h, w, c = x.shape
    if stride > 1:
        x = ops.reshape(x, (p, b, h, 1, w, 1, c))
        x = ops.pad(x, [(0, 0), (0, 0), (0, 0), (0, stride - 1), (0, 0), (0, stride - 1), (0, 0)])
        x = ops.reshape(x, (p, b, h * stride, w * stride, c))[:, :, : (h - 1) * stride + 1, : (w - 1) * stride + 1, :]
    total = k - stride  # the full transposed output, k - stride too large, is cropped to h * stride
    before = total // 2
    pads = (k - 1 - before, k - 1 - (total - before))
    x = ops.pad(x, [(0, 0), (0, 0), pads, pads, (0, 0)])
    flipped = ops.transpose(ops.flip(ops.flip(kernel, axis=1), axis=2), (0, 1, 2, 4, 3))
    return _conv(x, flipped, bias, 1, "valid")
