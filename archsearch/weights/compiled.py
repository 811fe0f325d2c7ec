"""Compiles a pure `keras.ops` function with the running backend, once per input shape.

Weight evolution calls the same population forward pass thousands of times; run eagerly, dispatching
each op costs more than the arithmetic on small networks. TensorFlow gets a graph (`tf.function`,
one per input shape, without XLA: on CPU, XLA's grouped convolutions ran 5x slower than TensorFlow's own, measured in
`benchmarks/weight_evolution.py`), JAX gets `jax.jit`, PyTorch runs eagerly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import keras


def compile_function(function: Callable) -> Callable:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        logger = tf.get_logger()
        if not any(isinstance(f, _DropRetracingNotice) for f in logger.filters):
            logger.addFilter(_DropRetracingNotice())
        graphs: dict[tuple, Callable] = {}

        def call(*tensors):
            """One graph per input shapes, each traced once (`reduce_retracing` would hide the static
            shapes the pass needs)."""
            key = tuple(tuple(t.shape) for t in tensors)
            if key not in graphs:
                graphs[key] = tf.function(function)
            return graphs[key](*tensors)

        return call
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function


class _DropRetracingNotice(logging.Filter):
    """TensorFlow warns when one function traces for several shapes in a row; tracing once per shape
    is this module's design (a population, one solution, the test set), so that notice is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def convolution(x, kernel, strides: int, padding: str, split: bool = False):
    """`keras.ops.conv`, except grouped convolutions (input channels a multiple of the kernel's) on
    TensorFlow. Keras compiles those with XLA, whose CPU kernel ran 5x slower than TensorFlow's own
    `tf.nn.conv2d` with the same numbers, so that runs them; `split` runs one convolution per group
    instead and concatenates them (faster with TensorFlow's Eigen kernels; `kernels.Formulation`)."""
    groups = x.shape[-1] // kernel.shape[-2]
    if groups > 1 and split:
        c, f = kernel.shape[-2], kernel.shape[-1] // groups
        return keras.ops.concatenate([convolution(x[..., g * c:(g + 1) * c], kernel[..., g * f:(g + 1) * f],
                                                  strides, padding) for g in range(groups)], axis=-1)
    if groups > 1 and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.nn.conv2d(x, kernel, strides, padding.upper())
    return keras.ops.conv(x, kernel, strides=strides, padding=padding)


def grouped_transposed_convolution(x, kernel, groups: int, output_size: tuple[int, int], strides: int, padding: str):
    """A transposed convolution in `groups` groups on TensorFlow, as the input gradient of the grouped
    convolution it transposes (`kernel` (k, k, out per group, in)): exact, and 1.2-2x faster than
    the phase convolutions at stride 2 (benchmarks/README.md). Only oneDNN's kernels run it in more
    than one group (`kernels.Formulation` checks before it is asked for)."""
    import tensorflow as tf

    sizes = [x.shape[0], output_size[0], output_size[1], kernel.shape[-2] * groups]
    return tf.raw_ops.Conv2DBackpropInput(input_sizes=sizes, filter=kernel, out_backprop=x,
                                          strides=[1, strides, strides, 1], padding=padding.upper())
