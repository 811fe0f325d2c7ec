"""The space's default genes (every search's first candidate) trained to the top rung as the default run
trains them, at other learning rates, architectures or batch sizes: what the default first trial
should be, measured, not guessed. The default run often returns its first candidate, so its result is
this candidate's.

Each variant trains on the default run's stream (every training image but the 2,000 validation ones) for
the top rung's budget under its cosine schedule, and is scored on the validation images and on the test
images against PCA at the code size. Seeds vary the initialisation and the stream's order.

    python benchmarks/default_genes.py [--seeds 0,1] [--budget 162048] [--variants lr=0.002,lr=0.006]
        [--workers 2]

A variant is `lr=X`, `bs=N`, or `arch=ENCODER` in `describe()`'s words (c32k3s2,c48k3s1: '+' between
layers, as `arch=c32k3s2+c48k3s1`), combined with '/', e.g. `arch=c32k3s2+c48k3s1/lr=0.004`.
"""

from __future__ import annotations

import argparse
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from archsearch.analysis.baselines import pca_test_mse
from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.autoencoder.space import with_latent
from archsearch.autoencoder.space_file import load_space
from archsearch.core.data import load_dataset, split
from archsearch.core.fidelity import Fidelity

CONV = re.compile(r"c(\d+)k(\d+)s(\d+)")


def variant(name: str, latent: int) -> Genome:
    """The default genes with `name`'s changes."""
    genome = with_latent(load_space("conv_autoencoder"), latent).default
    for part in filter(None, name.split("/")):
        key, value = part.split("=")
        if key == "lr":
            genome = replace(genome, training=replace(genome.training, learning_rate=float(value)))
        elif key == "bs":
            genome = replace(genome, training=replace(genome.training, batch_size=int(value)))
        elif key == "arch":
            layers = tuple(LayerGene("conv", filters=int(f), kernel=int(k), stride=int(s), activation="relu")
                           for f, k, s in (CONV.fullmatch(layer).groups() for layer in value.split("+")))
            genome = replace(genome, encoder=layers)
        else:
            raise SystemExit(f"unknown variant part {part!r}")
    return genome


def train(job: tuple[str, int, int, int]) -> dict:
    name, seed, budget, latent = job
    from archsearch.autoencoder.backprop import BackpropEvaluator

    splits = split(load_dataset(), None, 2000, seed)
    genome = variant(name, latent)
    result = BackpropEvaluator(splits.x_train, splits.x_val, x_test=splits.x_test).evaluate(
        genome, seed, fidelity=Fidelity(budget=budget, schedule_budget=budget))
    return {"variant": name or "default", "seed": seed, "val": result.fitness,
            "test": result.metrics.get("test_mse", float("nan")), "seconds": result.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--budget", type=int, default=162048)
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--variants", default=",lr=0.004,lr=0.008")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.variants.split(",")
    for name in names:
        variant(name, args.latent)  # a malformed variant fails before any training
    jobs = [(name, seed, args.budget, args.latent) for name in names for seed in seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(train, jobs))
    data = load_dataset()
    pca = {}
    for seed in seeds:
        splits = split(data, None, 2000, seed)
        pca[seed] = pca_test_mse(splits.x_train, splits.x_test, args.latent)
    print(f"| variant | seeds | val MSE (median) | test MSE / PCA-{args.latent} per seed | seconds (median) |")
    print("| --- | --- | ---: | --- | ---: |")
    for name in names:
        mine = [r for r in rows if r["variant"] == (name or "default")]
        ratios = ", ".join(f"{r['test'] / pca[r['seed']]:.3f}" for r in mine)
        print(f"| {name or 'default'} | {len(mine)} | {np.median([r['val'] for r in mine]):.5f} | {ratios} | "
              f"{np.median([r['seconds'] for r in mine]):.0f} |")


if __name__ == "__main__":
    main()
