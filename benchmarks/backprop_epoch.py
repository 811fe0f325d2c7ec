"""Seconds for one epoch of backprop training, as a search's worker runs it (one thread): the figure
that says what TensorFlow's oneDNN kernels are worth to a search on this machine.

    python benchmarks/backprop_epoch.py                                   # TensorFlow's default here
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/backprop_epoch.py           # Eigen's kernels (a CPU without AVX-512)
    ONEDNN_MAX_CPU_ISA=AVX2 TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/backprop_epoch.py   # oneDNN held to AVX2

The network is the conv space's default genes (c32k3s2 c48k3s2 z16, Adam, batch 64) on 10,000 random
Fashion-MNIST-shaped images; the best of three epochs after a warm-up epoch that traces the graph. (The
machine line's matmul rate is one thread's here.)
"""

from __future__ import annotations

import os
import time

os.environ.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")  # as a search's workers run

from archsearch.core.quiet import import_quietly  # noqa: E402

import_quietly()

import numpy as np  # noqa: E402
from machine import describe  # noqa: E402

from archsearch.autoencoder.genome import Genome, LayerGene  # noqa: E402
from archsearch.autoencoder.model import build_autoencoder  # noqa: E402


def main() -> None:
    print(describe())
    genome = Genome((LayerGene("conv", 32, 3, 2, "relu"), LayerGene("conv", 48, 3, 2, "relu")), 16)
    model = build_autoencoder(genome, (28, 28, 1)).autoencoder
    model.compile("adam", "mse")
    images = np.random.default_rng(0).random((10_000, 28, 28, 1), dtype=np.float32)
    model.fit(images[:640], images[:640], batch_size=64, epochs=1, verbose=0)
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        model.fit(images, images, batch_size=64, epochs=1, verbose=0)
        seconds.append(time.perf_counter() - start)
    print(f"one epoch of 10,000 images, one thread: {min(seconds):.2f} s (best of 3: "
          f"{', '.join(f'{s:.2f}' for s in seconds)})")


if __name__ == "__main__":
    main()
