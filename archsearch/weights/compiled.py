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

from archsearch.weights.kernels import grouped_convolution_works


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


def convolution(x, kernel, strides: int, padding: str):
    """`keras.ops.conv`, except grouped convolutions on TensorFlow where its kernel runs them. Keras
    compiles those with XLA because TensorFlow's CPU kernel once failed on them; TensorFlow 2.21's gives
    the same numbers as one convolution per group (checked in tests/weights/test_population_forward.py)
    and runs 5x faster than XLA's. Whether it runs is tried once per process (`kernels.py`)."""
    if keras.backend.backend() == "tensorflow" and x.shape[-1] != kernel.shape[-2] and grouped_convolution_works():
        import tensorflow as tf

        return tf.nn.conv2d(x, kernel, strides, padding.upper())
    return keras.ops.conv(x, kernel, strides=strides, padding=padding)


def grouped_transposed_convolution(x, kernel, groups: int, output_size: tuple[int, int], strides: int, padding: str):
    """A transposed convolution in `groups` groups on TensorFlow, as the input gradient of the grouped
    convolution it transposes (`kernel` (k, k, out per group, in)): exact, and 1.2-2x faster than
    the phase convolutions at stride 2 (benchmarks/README.md). Only oneDNN's kernels run it in more
    than one group: callers ask `kernels.transposed_formulation()` first."""
    import tensorflow as tf

    sizes = [x.shape[0], output_size[0], output_size[1], kernel.shape[-2] * groups]
    return tf.raw_ops.Conv2DBackpropInput(input_sizes=sizes, filter=kernel, out_backprop=x,
                                          strides=[1, strides, strides, 1], padding=padding.upper())
