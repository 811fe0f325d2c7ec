"""Population evaluations per second: the batched forward pass against a per-individual Keras loop,
and the batched pass's achieved GFLOP/s against this machine's measured matrix-multiply GFLOP/s.

Goals (issue 4): batched at least 10x faster than the loop; at least half the matmul rate.
The loop is measured twice: the naive way (`set_weights` + `predict` per individual) and a tuned way
(assigning the variables + `predict_on_batch`). Networks: the 784-32-2-32-784 dense autoencoder, the
seed experiment's conv autoencoder and a conv autoencoder from the search space, on
Fashion-MNIST-shaped random images (the arithmetic does not depend on the pixel values).

    python benchmarks/weight_evolution.py [--population 64] [--batch 256] [--repeats 5] [--formulation all]
                                          [--precision bfloat16]

It prints the machine first (CPU flags, oneDNN on or off, the matmul rate; `machine.py`) and, per network,
the formulation the pass ran (`weights/kernels.py`): grouped convolutions as one `grouped` call or `split`
into one per individual, strided transposed ones as TensorFlow's grouped input `gradient` (a kernel only
oneDNN has) or as `phases`. `TF_ENABLE_ONEDNN_OPTS=0` runs it as a CPU without AVX-512 does.
"""

from __future__ import annotations

import argparse

import numpy as np

from archsearch.core.quiet import import_quietly

import_quietly()

import keras  # noqa: E402
from machine import best_seconds, describe, matmul_gflops  # noqa: E402

from archsearch.autoencoder.genome import Genome, LayerGene  # noqa: E402
from archsearch.autoencoder.model import build_autoencoder  # noqa: E402
from archsearch.weights.kernels import Formulation, fastest_formulation, runnable_formulations  # noqa: E402
from archsearch.weights.layout import WeightLayout  # noqa: E402
from archsearch.weights.population_forward import PopulationForward, layer_chain  # noqa: E402
from archsearch.weights.precision import PRECISIONS  # noqa: E402
from archsearch.weights.seed_network import build_seed_network  # noqa: E402

NETWORKS = {
    "dense 784-32-2-32-784": lambda: build_autoencoder(
        Genome((LayerGene("dense", units=32, activation="tanh"),), 2), (28, 28, 1)).autoencoder,
    "seed network (conv, latent 2)": lambda: build_seed_network().autoencoder,
    "conv c8k5s2 c16k5s2 z16": lambda: build_autoencoder(
        Genome((LayerGene("conv", 8, 5, 2, "relu"), LayerGene("conv", 16, 5, 2, "relu")), 16),
        (28, 28, 1)).autoencoder,
}


def flops_per_image(model: keras.Model) -> float:
    """Multiply-adds x 2 of the dense and convolution layers (the work that matters)."""
    total = 0.0
    for layer in layer_chain(model):
        if isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            # a convolution computes each output pixel; a transposed one scatters each input pixel
            pixels = (layer.input if isinstance(layer, keras.layers.Conv2DTranspose) else layer.output).shape
            k = layer.kernel.shape
            total += 2 * k[0] * k[1] * k[2] * k[3] * pixels[1] * pixels[2]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=64)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--formulation", default="fastest",
                        help="how the pass runs its grouped layers: 'fastest' (what it picks here, tried once "
                             "per process), 'all' (a row for each this process can run), or one such as "
                             "split+phases")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS, help="the dtype the pass runs in")
    args = parser.parse_args()
    formulations = {"fastest": (fastest_formulation(),), "all": runnable_formulations()}.get(args.formulation) \
        or (Formulation.parse(args.formulation),)
    rng = np.random.default_rng(0)
    images = rng.random((args.batch, 28, 28, 1), dtype=np.float32)
    print(describe() + "\n")
    peak = matmul_gflops()
    print(f"{'network':<31}{'params':>8}{'formulation':>18}{'naive loop':>12}{'tuned loop':>12}{'batched':>10}"
          f"{'vs naive':>10}{'vs tuned':>10}{'GFLOP/s':>9}{'of matmul':>11}   (evals/s)")
    for name, build in NETWORKS.items():
        model = build()
        layout = WeightLayout.of(model)
        population = rng.normal(0, 0.1, (args.population, layout.n_params)).astype(np.float32)

        def naive_loop():
            for weights in population:
                model.set_weights([w[0] for w in layout.unflatten(weights[None])])
                float(np.mean((model.predict(images, verbose=0) - images) ** 2))

        def tuned_loop():
            for weights in population:
                layout.assign(model, weights)
                float(np.mean((model.predict_on_batch(images) - images) ** 2))

        naive = args.population / best_seconds(naive_loop, 1)
        tuned = args.population / best_seconds(tuned_loop, args.repeats)
        for formulation in formulations:
            forward = PopulationForward(model, formulation)
            batched = args.population / best_seconds(
                lambda: forward.fitness(population, images, precision=args.precision), args.repeats)
            gflops = flops_per_image(model) * args.batch * batched / 1e9
            print(f"{name:<31}{layout.n_params:>8,}{str(formulation):>18}{naive:>12.1f}{tuned:>12.1f}"
                  f"{batched:>10.1f}{batched / naive:>9.1f}x{batched / tuned:>9.1f}x{gflops:>9.1f}"
                  f"{gflops / peak:>10.0%}", flush=True)


if __name__ == "__main__":
    main()
