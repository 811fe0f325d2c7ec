"""One forward pass for a whole population of weight vectors: the core of weight evolution.

Instead of `set_weights` + `predict` per individual, every layer runs once for all P individuals.
Activations travel in one of four layouts, whichever makes the next layer one large kernel call:
- `shared` (B, ...): before the first weighted layer every individual sees the same images, so the
  first layer is one ordinary dense or convolution whose output units are the population's stacked
  (a (B, d) x (d, P*units) product instead of P small ones);
- `stacked` (P, B, ...): the population axis first, for reshapes and batch-norm;
- `features` (P, units, B): dense layers run as one batched matrix product over the population axis,
  kernel-transposed times activations, so the images are the product's long axis (a 784-unit output
  layer ran at 139 GFLOP/s this way, 53 in the (P, B, units) layout);
- `channels` (B, H, W, P*C): the population is folded into the channels, so a convolution is one
  grouped convolution (P groups) and pooling or upsampling needs no reshaping at all.
Strided transposed convolutions run as TensorFlow's input gradient of the grouped convolution where
its kernels have one, else as stride x stride phase convolutions, interleaved; grouped convolutions as
one kernel call, or one call per individual where TensorFlow's kernels group slowly (`kernels.py`
decides once per process; `formulation=` forces one; all give Keras' numbers). The pass
is written with `keras.ops` only and compiled once per shape by the backend (`compile_function`), so
the JAX and PyTorch backends run it too.

Supported: a chain of Dense, Conv2D, Conv2DTranspose, MaxPooling2D, UpSampling2D, GlobalAveragePooling2D,
GlobalMaxPooling2D, BatchNormalization (inference statistics), Dropout (identity), Flatten, Reshape,
Cropping2D and Activation layers,
possibly nested in functional sub-models as the builder makes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from archsearch.weights.compiled import compile_function, convolution, grouped_transposed_convolution
from archsearch.weights.kernels import GRADIENT, SPLIT, Formulation, fastest_formulation
from archsearch.weights.layout import WeightLayout
from archsearch.weights.losses import CLASSIFICATION_LOSSES, LOSSES
from archsearch.weights.precision import require_known

SHARED, STACKED, CHANNELS, FEATURES = "shared", "stacked", "channels", "features"
LAST_AXIS_ACTIVATIONS = ("softmax", "log_softmax")  # activations along the last axis: not in `features`


@dataclass(frozen=True)
class Activations:
    """A population's activations in one of the three layouts (see the module docstring)."""

    tensor: object
    layout: str
    population: int
    sample_shape: tuple | None = None  # `features` only: one image's activations, as stacked() shapes them

    def stacked(self) -> "Activations":
        t, p = self.tensor, self.population
        if self.layout == FEATURES:
            t = ops.reshape(ops.transpose(t, (0, 2, 1)), (p, t.shape[2]) + self.sample_shape)
        elif self.layout == SHARED:
            t = ops.broadcast_to(t[None], (p,) + tuple(t.shape))
        elif self.layout == CHANNELS:
            b, h, w, pc = t.shape
            t = ops.transpose(ops.reshape(t, (b, h, w, p, pc // p)), (3, 0, 1, 2, 4))
        return Activations(t, STACKED, p)

    def channels(self) -> "Activations":
        t, p = self.tensor, self.population
        if self.layout == FEATURES:
            return self.stacked().channels()
        if self.layout == SHARED:
            t = ops.tile(t, (1, 1, 1, p))
        elif self.layout == STACKED:
            _, b, h, w, c = t.shape
            t = ops.reshape(ops.transpose(t, (1, 2, 3, 0, 4)), (b, h, w, p * c))
        return Activations(t, CHANNELS, p)

    def map(self, function: Callable) -> "Activations":
        return Activations(function(self.tensor), self.layout, self.population, self.sample_shape)


Op = Callable[[Activations, list], Activations]


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
    images `x` (B, ...), shaped (P, B, ...); `fitness(...)`: each row's reconstruction error.
    `formulation` says how the grouped layers run (`kernels.Formulation`); by default the fastest this
    process can run, kept in `self.formulation`."""

    def __init__(self, model: keras.Model, formulation: Formulation | None = None) -> None:
        self.model = model
        self.formulation = formulation.checked() if formulation else fastest_formulation()
        self.layout = WeightLayout.of(model)
        self.index = {path: i for i, path in enumerate(self.layout.paths)}
        self.ops: list[Op] = [self._op(layer) for layer in layer_chain(model)]
        self._forward = compile_function(lambda population, x: self._run(population, x).stacked().tensor)
        self._errors: dict[tuple[str, str], Callable] = {}  # compiled per (loss, precision) when first asked

    def forward(self, population, x):
        return self._forward(_tensor(population), _tensor(x))

    def fitness(self, population, x, target=None, loss: str = "mse", chunk: int | None = None,
                precision: str = "float32") -> np.ndarray:
        """Per individual, as a (P,) numpy array: the mean squared (or absolute) error between the output
        on `x` and `target` (default `x` itself); or, for a classifier (a softmax output), the
        cross-entropy or the error rate (1 - accuracy) against `target`'s integer labels. `chunk`
        evaluates that many individuals per call, to bound memory on large populations. `precision`
        "bfloat16" runs the layers in bfloat16 (the error itself in float32): faster where the CPU has
        bfloat16 instructions, close to but not exactly Keras' float32 outputs (`precision.check_precision`
        tells first whether this process can run it: on some CPUs trying aborts the process)."""
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        require_known(precision)
        if loss in CLASSIFICATION_LOSSES and target is None:
            raise ValueError(f"loss {loss!r} needs the images' class labels as the target")
        population = np.asarray(population, np.float32)
        if chunk is not None and chunk < len(population):
            return np.concatenate([self.fitness(population[i:i + chunk], x, target, loss, precision=precision)
                                   for i in range(0, len(population), chunk)])
        target = _tensor(x if target is None else target)
        if (loss, precision) not in self._errors:
            self._errors[loss, precision] = compile_function(
                lambda population, x, target: _error(self._run(population, x, precision), target, loss))
        return ops.convert_to_numpy(self._errors[loss, precision](_tensor(population), _tensor(x), target))

    def _run(self, population, x, precision: str = "float32") -> Activations:
        if precision != "float32":
            population, x = ops.cast(population, precision), ops.cast(x, precision)
        weights = [ops.reshape(population[:, o:o + n], (population.shape[0],) + shape)
                   for o, n, shape in zip(self.layout.offsets, self.layout.sizes, self.layout.shapes)]
        state = Activations(x, SHARED, population.shape[0])
        for op in self.ops:
            state = op(state, weights)
        return state

    # ---- one op per layer -----------------------------------------------------------------------
    def _op(self, layer: keras.layers.Layer) -> Op:
        ids = [self.index[w.path] for w in layer.trainable_weights]
        activation = getattr(layer, "activation", None) or (lambda t: t)
        along_last_axis = getattr(activation, "__name__", "") in LAST_AXIS_ACTIVATIONS

        def weighted(function: Callable) -> Op:
            """The layer's function of (state, kernel, bias), then its activation."""
            def apply(state, w):
                bias = w[ids[1]] if getattr(layer, "use_bias", False) else None
                out = function(state, w[ids[0]], bias)
                return (out.stacked() if along_last_axis else out).map(activation)
            return apply

        if isinstance(layer, keras.layers.Dense):
            return weighted(lambda s, k, b: _dense(s, k, b, self.formulation))
        if isinstance(layer, keras.layers.Conv2DTranspose):
            return weighted(lambda s, k, b: _conv_transpose(s, k, b, layer.strides[0], layer.padding,
                                                            self.formulation))
        if isinstance(layer, keras.layers.Conv2D):
            return weighted(lambda s, k, b: _conv(s, k, b, layer.strides[0], layer.padding, self.formulation))
        if isinstance(layer, keras.layers.MaxPooling2D):
            return _image_op(lambda t: ops.max_pool(t, layer.pool_size, layer.strides, layer.padding))
        if isinstance(layer, keras.layers.UpSampling2D):
            return _image_op(lambda t: ops.repeat(ops.repeat(t, layer.size[0], axis=1), layer.size[1], axis=2))
        if isinstance(layer, keras.layers.Cropping2D):
            (top, bottom), (left, right) = layer.cropping
            return _image_op(lambda t: t[:, top:t.shape[1] - bottom, left:t.shape[2] - right, :])
        if isinstance(layer, (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)) \
                and not layer.keepdims and layer.data_format == "channels_last":
            pool = ops.mean if isinstance(layer, keras.layers.GlobalAveragePooling2D) else ops.max
            return lambda state, w: _global_pool(state, pool)
        if isinstance(layer, keras.layers.BatchNormalization):
            return _batchnorm(layer, ids)
        if isinstance(layer, keras.layers.Dropout):
            return lambda state, w: state
        if isinstance(layer, keras.layers.Activation):
            return lambda state, w: (state.stacked() if along_last_axis else state).map(activation)
        if isinstance(layer, (keras.layers.Flatten, keras.layers.Reshape)):
            shape = (-1,) if isinstance(layer, keras.layers.Flatten) else tuple(layer.target_shape)
            return lambda state, w: _reshape(state, shape)
        raise ValueError(f"weight evolution does not support {type(layer).__name__} layers ({layer.name})")


def _tensor(array):
    return ops.convert_to_tensor(np.asarray(array, np.float32))


def _error(state: Activations, target, loss: str):
    """Per-individual mean error against `target` (B, ...), computed in the output's own layout, in float32."""
    state = state.map(lambda t: ops.cast(t, "float32"))
    if loss in CLASSIFICATION_LOSSES:
        return _classification_error(state.stacked().tensor, target, loss)
    if state.layout == FEATURES:  # (P, d, B) against the targets flattened per image, transposed
        difference = state.tensor - ops.transpose(ops.reshape(target, (target.shape[0], -1)))[None]
        axes = (1, 2)
    elif state.layout == CHANNELS:
        b, h, w, pc = state.tensor.shape
        output = ops.reshape(state.tensor, (b, h, w, state.population, pc // state.population))
        difference = output - target[:, :, :, None]
        axes = (0, 1, 2, 4)
    else:
        difference = state.stacked().tensor - target[None]
        axes = tuple(range(1, len(difference.shape)))
    error = ops.square(difference) if loss == "mse" else ops.abs(difference)
    return ops.mean(error, axis=axes)


def _classification_error(probabilities, labels, loss: str):
    """(P, B, classes) class probabilities against (B,) integer labels: the mean cross-entropy, clipped
    as Keras clips it, or the share of images whose most probable class is wrong."""
    labels = ops.cast(labels, "int32")
    if loss == "error_rate":
        wrong = ops.not_equal(ops.cast(ops.argmax(probabilities, axis=-1), "int32"), labels[None])
        return ops.mean(ops.cast(wrong, "float32"), axis=1)
    picked = ops.sum(probabilities * ops.one_hot(labels, probabilities.shape[-1])[None], axis=-1)
    epsilon = keras.backend.epsilon()
    return ops.mean(-ops.log(ops.clip(picked, epsilon, 1.0 - epsilon)), axis=1)


def _image_op(function: Callable) -> Op:
    """A weightless per-channel image op: runs as is on shared or channels activations."""
    def apply(state, w):
        return state.map(function) if state.layout == SHARED else state.channels().map(function)
    return apply


def _global_pool(state: Activations, pool: Callable) -> Activations:
    """Average (or maximum) over each image's pixels: (B, C) on a shared input, else (P, B, C)."""
    if state.layout == SHARED:
        return state.map(lambda t: pool(t, axis=(1, 2)))
    pooled = pool(state.channels().tensor, axis=(1, 2))  # (B, P*C)
    p = state.population
    return Activations(ops.transpose(ops.reshape(pooled, (pooled.shape[0], p, -1)), (1, 0, 2)), STACKED, p)


def _reshape(state: Activations, shape: tuple) -> Activations:
    if state.layout == SHARED:
        return state.map(lambda t: ops.reshape(t, (t.shape[0],) + shape))
    if state.layout == FEATURES:  # the data stays put; only the shape it stands for changes
        size = state.tensor.shape[1]
        known = int(np.prod([d for d in shape if d != -1]))
        return Activations(state.tensor, FEATURES, state.population,
                           tuple(size // known if d == -1 else d for d in shape))
    stacked = state.stacked().tensor
    return Activations(ops.reshape(stacked, tuple(stacked.shape[:2]) + shape), STACKED, state.population)


def _stack_kernels(kernel):
    """(P, ..., C, F) -> (..., C, P*F): one kernel whose output units are the population's, in order."""
    p, *spatial, c, f = kernel.shape
    moved = ops.moveaxis(kernel, 0, -2)
    return ops.reshape(moved, tuple(spatial) + (c, p * f))


def _dense(state: Activations, kernel, bias, formulation: Formulation) -> Activations:
    """Output in the `features` layout (P, units, B)."""
    p, units = kernel.shape[0], kernel.shape[-1]
    if state.layout == FEATURES and len(state.sample_shape) > 1:
        state = state.stacked()
    if len(state.tensor.shape) == (4 if state.layout != STACKED else 5):  # a dense on images: a 1x1 conv
        return _conv(state, ops.reshape(kernel, (p, 1, 1) + tuple(kernel.shape[1:])), bias, 1, "valid", formulation)
    if state.layout == SHARED:
        out = ops.matmul(state.tensor, _stack_kernels(kernel))  # (B, P*units)
        out = ops.transpose(ops.reshape(out, (out.shape[0], p, units)), (1, 2, 0))
    else:
        features = state.tensor if state.layout == FEATURES else ops.transpose(state.tensor, (0, 2, 1))
        out = ops.matmul(ops.transpose(kernel, (0, 2, 1)), features)
    return Activations(out if bias is None else out + bias[:, :, None], FEATURES, p, (units,))


def _conv(state: Activations, kernel, bias, stride: int, padding: str, formulation: Formulation) -> Activations:
    """Shared input: one convolution with the stacked kernels; otherwise a grouped convolution with
    one group per individual (the input's channels are the population's, in order)."""
    x = state.tensor if state.layout == SHARED else state.channels().tensor
    p, filters = state.population, kernel.shape[-1]
    if state.layout != SHARED and filters == 1 and kernel.shape[-2] > 1:
        # one output channel per group: a depthwise convolution summed over each group's channels ran
        # 4x faster than the grouped one (benchmarks/README.md)
        depthwise = ops.reshape(ops.moveaxis(kernel, 0, 2), tuple(kernel.shape[1:3]) + (-1, 1))
        out = ops.depthwise_conv(x, depthwise, strides=stride, padding=padding)
        out = ops.sum(ops.reshape(out, tuple(out.shape[:3]) + (p, -1)), axis=-1)
    else:
        out = convolution(x, _stack_kernels(kernel), stride, padding, split=formulation.convolution == SPLIT)
    if bias is not None:
        out = out + ops.reshape(bias, (-1,))
    return Activations(out, CHANNELS, state.population)


def _conv_transpose(state: Activations, kernel, bias, stride: int, padding: str,
                    formulation: Formulation) -> Activations:
    """Keras' transposed convolution without inserting zeros: output pixels u = i * stride + j fall into
    stride x stride phases (u mod stride); each phase is a stride-1 convolution of the input with every
    stride-th kernel tap, flipped. All phases run as one convolution (their kernels stacked as output
    channels) and are then interleaved, and the full output is cropped as 'same' or 'valid' asks."""
    p, k, _, filters, channels = kernel.shape  # Keras stores (k, k, out, in) per individual
    s = stride
    x = state.tensor if state.layout == SHARED else state.channels().tensor
    rows, cols = x.shape[1], x.shape[2]
    if padding == "same" and k < s:
        raise ValueError(f"a 'same' transposed convolution needs kernel >= stride, got {k} < {s}")
    size = (rows * s, cols * s) if padding == "same" else ((rows - 1) * s + max(k, s), (cols - 1) * s + max(k, s))
    # Strided: TensorFlow's input gradient of the grouped convolution, one group per individual (or one
    # transposed convolution to every individual's filters, on a shared input), ran 1.2-2x faster than
    # the phases; at stride 1 the single phase is one grouped convolution (or a depthwise one, 2x faster).
    if s > 1 and formulation.transposed == GRADIENT:
        shape = (k, k, p * filters, channels) if state.layout == SHARED else (k, k, filters, p * channels)
        stacked = ops.reshape(ops.moveaxis(kernel, 0, 2 if state.layout == SHARED else 3), shape)
        out = grouped_transposed_convolution(x, stacked, 1 if state.layout == SHARED else p, size, s, padding)
        return Activations(out if bias is None else out + ops.reshape(bias, (-1,)), CHANNELS, p)
    m = -(-k // s)  # taps per phase
    taps = ops.pad(kernel, [(0, 0), (0, m * s - k), (0, m * s - k), (0, 0), (0, 0)])
    taps = ops.flip(ops.flip(ops.reshape(taps, (p, m, s, m, s, filters, channels)), axis=1), axis=3)
    phase_kernel = ops.reshape(ops.transpose(taps, (0, 1, 3, 6, 2, 4, 5)), (p, m, m, channels, s * s * filters))
    padded = Activations(ops.pad(x, [(0, 0), (m - 1, m - 1), (m - 1, m - 1), (0, 0)]),
                         state.layout if state.layout == SHARED else CHANNELS, p)
    phases = _conv(padded, phase_kernel, None, 1, "valid", formulation).tensor  # (B, H + m - 1, W + m - 1, P*s*s*F)
    b, h, w, _ = phases.shape
    out = ops.reshape(phases, (b, h, w, p, s, s, filters))
    out = ops.reshape(ops.transpose(out, (0, 1, 4, 2, 5, 3, 6)), (b, h * s, w * s, p * filters))
    before = (k - s) // 2 if padding == "same" else 0
    out = out[:, before:before + size[0], before:before + size[1], :]
    if bias is not None:
        out = out + ops.reshape(bias, (-1,))
    return Activations(out, CHANNELS, p)


def _batchnorm(layer: keras.layers.BatchNormalization, ids: list[int]) -> Op:
    """Inference-mode batch-norm: the moving statistics are shared, gamma and beta are evolved."""
    mean = ops.convert_to_numpy(layer.moving_mean)
    scale = 1.0 / np.sqrt(ops.convert_to_numpy(layer.moving_variance) + layer.epsilon)

    def apply(state, w):
        gamma, beta = w[ids[0]], w[ids[1]]
        p = state.population
        if state.layout != STACKED and len(state.tensor.shape) == 4:
            state = state.channels()
            a, m = ops.reshape(gamma, (-1,)) * np.tile(scale, p), np.tile(mean, p)
            return state.map(lambda t: (t - m) * a + ops.reshape(beta, (-1,)))
        if state.layout == FEATURES and len(state.sample_shape) == 1:  # (P, C, B): the units are axis 1
            g, b = ops.reshape(gamma, (p, -1, 1)), ops.reshape(beta, (p, -1, 1))
            return state.map(lambda t: (t - mean[:, None]) * scale[:, None] * g + b)
        state = state.stacked()
        shape = (p,) + (1,) * (len(state.tensor.shape) - 2) + (gamma.shape[-1],)
        return state.map(lambda t: (t - mean) * scale * ops.reshape(gamma, shape) + ops.reshape(beta, shape))

    return apply
