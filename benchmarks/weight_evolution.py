"""Population evaluations per second: the batched forward pass against a per-individual Keras loop,
and the batched pass's achieved GFLOP/s against this machine's measured matrix-multiply GFLOP/s.

Goals (issue 4): batched at least 10x faster than the loop; at least half the matmul rate.
Networks: the 784-32-2-32-784 dense autoencoder and a small conv autoencoder, on Fashion-MNIST-shaped
random images (the arithmetic does not depend on the pixel values).

    python benchmarks/weight_evolution.py [--population 64] [--batch 256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from archsearch.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

import keras  # noqa: E402

from archsearch.builder import build_autoencoder  # noqa: E402
from archsearch.evaluation.population_forward import PopulationForward, layer_chain  # noqa: E402
from archsearch.genome import Genome, LayerGene  # noqa: E402

# name: (genome, individuals per batched call: convolution patches grow with population x images)
NETWORKS = {
    "dense 784-32-2-32-784": (Genome((LayerGene("dense", units=32, activation="tanh"),), 2), None),
    "conv c8k5s2 c16k5s2 z16": (Genome((LayerGene("conv", 8, 5, 2, "relu"),
                                        LayerGene("conv", 16, 5, 2, "relu")), 16), 4),
}


def flops_per_image(model: keras.Model) -> float:
    """Multiply-adds x 2 of the dense and convolution layers (the work that matters)."""
    total = 0.0
    for layer in layer_chain(model):
        if isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            out = layer.output.shape
            k = layer.kernel.shape
            total += 2 * k[0] * k[1] * k[2] * k[3] * out[1] * out[2]
    return total


def best_seconds(function, repeats: int) -> float:
    function()  # warm-up: tracing, allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    a = keras.ops.convert_to_tensor(np.random.default_rng(0).random((size, size), dtype=np.float32))
    seconds = best_seconds(lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, a)), repeats)
    return 2 * size**3 / seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=64)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = rng.random((args.batch, 28, 28, 1), dtype=np.float32)
    peak = matmul_gflops()
    print(f"machine: {peak:.1f} GFLOP/s float32 matrix multiply (2048x2048, keras.ops.matmul, "
          f"{keras.backend.backend()} backend)\n")
    print(f"{'network':<26}{'params':>8}{'loop evals/s':>14}{'batched evals/s':>17}{'speed-up':>10}"
          f"{'batched GFLOP/s':>17}{'of matmul':>11}")
    for name, (genome, chunk) in NETWORKS.items():
        model = build_autoencoder(genome, (28, 28, 1)).autoencoder
        forward = PopulationForward(model)
        population = rng.normal(0, 0.1, (args.population, forward.layout.n_params)).astype(np.float32)

        def loop():
            for weights in population:
                forward.layout.assign(model, weights)
                reconstruction = model.predict_on_batch(images)
                float(np.mean((reconstruction - images) ** 2))

        loop_seconds = best_seconds(loop, args.repeats)
        batched_seconds = best_seconds(lambda: forward.fitness(population, images, chunk=chunk), args.repeats)
        gflops = flops_per_image(model) * args.batch * args.population / batched_seconds / 1e9
        print(f"{name:<26}{forward.layout.n_params:>8,}{args.population / loop_seconds:>14.1f}"
              f"{args.population / batched_seconds:>17.1f}{loop_seconds / batched_seconds:>9.1f}x"
              f"{gflops:>17.1f}{gflops / peak:>10.0%}")


if __name__ == "__main__":
    main()
