"""Which grouped-convolution kernels the running TensorFlow has, found by trying each once per process,
and so how the batched pass runs its grouped layers (`Formulation`).

TensorFlow picks its CPU kernels when it starts: oneDNN's where the CPU has AVX-512 (or where
`TF_ENABLE_ONEDNN_OPTS=1` asks for them), Eigen's elsewhere. The two sets differ in what they can run:
Eigen's has no grouped `Conv2DBackpropInput` ("Gradients for grouped convolutions are not supported on
CPU"), which the batched pass uses for strided transposed convolutions. Reading CPU flags or
environment variables would guess at that; running the op once on tiny inputs, and checking its answer
against the same result computed one group at a time, knows. Where a kernel fails, the batched pass
takes a formulation that does without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

# How the batched pass runs a convolution with one group per individual (the population's channels):
GROUPED = "grouped"  # one grouped convolution (`tf.nn.conv2d`; `keras.ops.conv` on other backends)
SPLIT = "split"  # one convolution per individual, concatenated: TensorFlow's Eigen kernels group slowly
CONVOLUTIONS = (GROUPED, SPLIT)
# ... and a strided transposed convolution there:
GRADIENT = "gradient"  # TensorFlow's input gradient of the grouped convolution (oneDNN kernels only)
PHASES = "phases"  # stride x stride phase convolutions, interleaved: keras.ops, every backend and CPU
TRANSPOSED = (GRADIENT, PHASES)


@dataclass(frozen=True)
class Formulation:
    """How the batched pass runs its grouped layers. Every formulation gives Keras' numbers (to float
    rounding; tests/weights/test_population_forward.py); they differ in speed and in which kernels they need."""

    convolution: str = GROUPED
    transposed: str = GRADIENT

    def __str__(self) -> str:
        return f"{self.convolution}+{self.transposed}"

    @classmethod
    def parse(cls, text: str) -> "Formulation":
        """'split+phases' -> Formulation(SPLIT, PHASES); a one-line ValueError for anything else, or for
        a formulation this process cannot run."""
        convolution, _, transposed = text.partition("+")
        if convolution not in CONVOLUTIONS or transposed not in TRANSPOSED:
            raise ValueError(f"a formulation is one of {', '.join(map(str, every_formulation()))}, not {text!r}")
        return cls(convolution, transposed).checked()

    def checked(self) -> "Formulation":
        if self.transposed == GRADIENT and not grouped_transposed_convolution_works():
            raise ValueError(f"the formulation {self} cannot run here: this TensorFlow has no grouped "
                             "Conv2DBackpropInput kernel (only oneDNN's kernels have one); use phases")
        if self.convolution == GROUPED and keras.backend.backend() == "tensorflow" \
                and not grouped_convolution_works():
            raise ValueError(f"the formulation {self} cannot run here: this TensorFlow's conv2d does not "
                             "run grouped convolutions; use split")
        return self


def every_formulation() -> tuple[Formulation, ...]:
    return tuple(Formulation(c, t) for c in CONVOLUTIONS for t in TRANSPOSED)


def runnable_formulations() -> tuple[Formulation, ...]:
    """The formulations this process can run (`checked` passes), the fastest first."""
    ordered = sorted(every_formulation(), key=lambda f: f != fastest_formulation())
    return tuple(f for f in ordered if _runs(f))


def fastest_formulation() -> Formulation:
    """Where TensorFlow's grouped input gradient runs, its oneDNN kernels are on, and their grouped
    convolution and gradient are the fastest measured (`benchmarks/README.md`). Elsewhere (its Eigen
    kernels, on a CPU without AVX-512) the gradient is missing and its grouped convolution ran 1.2-2.3x
    slower than one convolution per individual layer by layer (1.05-1.24x on whole networks), so the
    pass splits and runs the phases. Other backends run `keras.ops.conv` grouped, and the phases."""
    if keras.backend.backend() != "tensorflow":
        return Formulation(GROUPED, PHASES)
    if grouped_transposed_convolution_works() and grouped_convolution_works():
        return Formulation(GROUPED, GRADIENT)
    return Formulation(SPLIT, PHASES)


def describe(formulation: Formulation) -> str:
    """One line for a command's banner: the formulation, and where oneDNN's kernels are off, what
    turning them on would buy (measured on a CPU held to AVX2: benchmarks/README.md)."""
    if keras.backend.backend() != "tensorflow" or formulation == Formulation(GROUPED, GRADIENT):
        return f"batched pass: {formulation}"
    return (f"batched pass: {formulation} (TensorFlow's oneDNN kernels are off; TF_ENABLE_ONEDNN_OPTS=1 before "
            "the command ran conv networks' passes 2-3x faster on a CPU held to AVX2, with slightly different "
            "rounding)")


def _runs(formulation: Formulation) -> bool:
    try:
        formulation.checked()
    except ValueError:
        return False
    return True


@functools.cache
def grouped_convolution_works() -> bool:
    """Whether `tf.nn.conv2d` runs a grouped convolution (input channels a multiple of the kernel's)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    x, kernel = _probe_arrays(channels=4, kernel_shape=(3, 3, 2, 4))

    def convolution(x, kernel, groups=2):  # the groups follow from the shapes
        return tf.nn.conv2d(x, kernel, 1, "SAME")

    return kernel_works(convolution, _two_groups_apart(convolution), x, kernel)


@functools.cache
def grouped_transposed_convolution_works() -> bool:
    """Whether `Conv2DBackpropInput` runs in groups (a kernel whose output depth is a part of the input's)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    x, kernel = _probe_arrays(channels=4, kernel_shape=(3, 3, 1, 4))  # 2 groups: 2 channels in, 1 out each

    def transposed(x, kernel, groups=2):  # the output's depth says how many groups
        return tf.raw_ops.Conv2DBackpropInput(input_sizes=[1, 10, 10, kernel.shape[-2] * groups], filter=kernel,
                                              out_backprop=x, strides=[1, 2, 2, 1], padding="SAME")

    return kernel_works(transposed, _two_groups_apart(transposed), x, kernel)


def kernel_works(candidate: Callable, reference: Callable, *inputs) -> bool:
    """Whether `candidate`, compiled as the batched pass compiles it, runs and agrees with `reference`.
    Any error TensorFlow raises running it (a missing kernel, a shape it rejects) means no. Run outside
    any graph being traced, with TensorFlow's notice of the failure kept off the terminal."""
    import tensorflow as tf

    from archsearch.core.quiet import muted_stderr

    with tf.init_scope(), muted_stderr():
        try:
            got = tf.function(candidate)(*inputs).numpy()
        except (tf.errors.OpError, ValueError, TypeError):
            return False
        expected = tf.function(reference)(*inputs).numpy()
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=1e-4))


def _two_groups_apart(op: Callable) -> Callable:
    """`op(x, kernel, groups)` run in one group on each half of the channels and of the kernel's last
    axis, concatenated: the reference the same op in two groups must equal."""
    import tensorflow as tf

    def apart(x, kernel):
        c, f = x.shape[-1] // 2, kernel.shape[-1] // 2
        return tf.concat([op(x[..., g * c:(g + 1) * c], kernel[..., g * f:(g + 1) * f], groups=1) for g in range(2)],
                         axis=-1)

    return apart


def _probe_arrays(channels: int, kernel_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((1, 5, 5, channels)).astype(np.float32),
            rng.standard_normal(kernel_shape).astype(np.float32))
