"""Which grouped-convolution kernels the running TensorFlow has, found by trying each once per process.

TensorFlow picks its CPU kernels when it starts: oneDNN's where the CPU has AVX-512 (or where
`TF_ENABLE_ONEDNN_OPTS=1` asks for them), Eigen's elsewhere. The two sets differ in what they can run:
Eigen's has no grouped `Conv2DBackpropInput` ("Gradients for grouped convolutions are not supported on
CPU"), which the batched pass uses for strided transposed convolutions. Reading CPU flags or
environment variables would guess at that; running the op once on tiny inputs, and checking its answer
against the same result computed one group at a time, knows. Where a kernel fails, the batched pass
takes the formulation written with `keras.ops` alone (the one JAX and PyTorch run).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import numpy as np

# How the batched pass runs a strided transposed convolution on the population's channels:
GRADIENT = "gradient"  # TensorFlow's input gradient of the grouped convolution (oneDNN kernels only)
PHASES = "phases"  # stride x stride phase convolutions, interleaved: keras.ops, every backend and CPU
TRANSPOSED_FORMULATIONS = (GRADIENT, PHASES)


def transposed_formulation() -> str:
    """The fastest formulation this process can run: `gradient` where its kernel works, else `phases`."""
    return GRADIENT if grouped_transposed_convolution_works() else PHASES


def check_transposed_formulation(formulation: str) -> str:
    """`formulation` if this process can run it; a one-line ValueError naming why not otherwise."""
    if formulation not in TRANSPOSED_FORMULATIONS:
        raise ValueError(f"transposed convolutions run as one of {', '.join(TRANSPOSED_FORMULATIONS)}, "
                         f"not {formulation!r}")
    if formulation == GRADIENT and not grouped_transposed_convolution_works():
        raise ValueError("transposed convolutions cannot run as 'gradient' here: this TensorFlow has no grouped "
                         "Conv2DBackpropInput kernel (its oneDNN kernels are off); use 'phases'")
    return formulation


@functools.cache
def grouped_convolution_works() -> bool:
    """Whether `tf.nn.conv2d` runs a grouped convolution (input channels a multiple of the kernel's)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    x, kernel = _probe_arrays(channels=4, kernel_shape=(3, 3, 2, 4))

    def grouped(x, kernel):
        return tf.nn.conv2d(x, kernel, 1, "SAME")

    def by_group(x, kernel):
        return tf.concat([tf.nn.conv2d(x[..., 2 * g:2 * g + 2], kernel[..., 2 * g:2 * g + 2], 1, "SAME")
                          for g in range(2)], axis=-1)

    return kernel_works(grouped, by_group, x, kernel)


@functools.cache
def grouped_transposed_convolution_works() -> bool:
    """Whether `Conv2DBackpropInput` runs in groups (a kernel whose output depth is a part of the input's)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    x, kernel = _probe_arrays(channels=4, kernel_shape=(3, 3, 1, 4))  # 2 groups: 2 channels in, 1 out each

    def transposed(x, kernel, depth):
        return tf.raw_ops.Conv2DBackpropInput(input_sizes=[1, 10, 10, depth], filter=kernel, out_backprop=x,
                                              strides=[1, 2, 2, 1], padding="SAME")

    def grouped(x, kernel):
        return transposed(x, kernel, 2)

    def by_group(x, kernel):
        return tf.concat([transposed(x[..., 2 * g:2 * g + 2], kernel[..., 2 * g:2 * g + 2], 1) for g in range(2)],
                         axis=-1)

    return kernel_works(grouped, by_group, x, kernel)


def kernel_works(candidate: Callable, reference: Callable, *inputs) -> bool:
    """Whether `candidate`, compiled as the batched pass compiles it, runs and agrees with `reference`.
    Any error TensorFlow raises running it (a missing kernel, a shape it rejects) means no. Run outside
    any graph being traced, with TensorFlow's notice of the failure kept off the terminal."""
    import tensorflow as tf

    from archsearch.run.quiet import muted_stderr

    with tf.init_scope(), muted_stderr():
        try:
            got = tf.function(candidate)(*inputs).numpy()
        except (tf.errors.OpError, ValueError, TypeError):
            return False
        expected = tf.function(reference)(*inputs).numpy()
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=1e-4))


def _probe_arrays(channels: int, kernel_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((1, 5, 5, channels)).astype(np.float32),
            rng.standard_normal(kernel_shape).astype(np.float32))
