"""Gradient-free training on full Fashion-MNIST (latent 2), against backprop and PCA.

Issue 4's goal: a weight-evolved autoencoder (no gradients anywhere) whose test MSE beats PCA with 2
components within 15 minutes on 2 cores. This evolves one network's weights for a wall-clock budget
(minibatches of the training images, the validation MSE of the solution watched as it goes), then
trains the same network from the same initial weights by backprop (Adam) for comparison, and scores
both and PCA on the whole test set. Writes README.md (table and command), curves.csv,
mse_vs_seconds.png, reconstructions.png and the evolved model.keras to --out.

    python benchmarks/fashion_mnist_weights.py [--seconds 900] [--strategy snes] [--population 128] \
        [--batch 128] [--option sigma=0.05 ...] [--out results/reference/fashion_mnist_weights]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from archsearch.core.quiet import import_quietly

import_quietly()

import keras  # noqa: E402

from archsearch.analysis.baselines import pca_test_mse  # noqa: E402
from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.autoencoder.genome import Genome, LayerGene  # noqa: E402
from archsearch.autoencoder.model import build_autoencoder  # noqa: E402
from archsearch.cli.options import parse_options  # noqa: E402
from archsearch.core.data import load_dataset, split  # noqa: E402
from archsearch.weights.evolution import WeightEvolutionSettings, evolve_weights, starting_from  # noqa: E402
from archsearch.weights.layout import WeightLayout  # noqa: E402
from archsearch.weights.plots import save_loss_against_seconds, save_reconstruction_strip  # noqa: E402
from archsearch.weights.population_forward import PopulationForward  # noqa: E402
from archsearch.weights.strategies import make_weight_strategy  # noqa: E402


def network(hidden: int, activation: str) -> Genome:
    """784-hidden-2-hidden-784, the decoder mirroring the encoder, sigmoid output."""
    return Genome((LayerGene("dense", units=hidden, activation=activation),), 2)


def evolve(genome: Genome, x_train, x_val, initial, args) -> tuple[keras.Model, list[float], list[float], int]:
    keras.utils.set_random_seed(args.seed)
    model = build_autoencoder(genome, x_train.shape[1:]).autoencoder
    forward = PopulationForward(model)
    settings = WeightEvolutionSettings(strategy=args.strategy, population=args.population, generations=10**9,
                                       batch_size=args.batch, time_limit=args.seconds, monitor_every=args.monitor_every,
                                       options=parse_options(args.option, "--option"))

    last_print = [0.0]

    def report(record, strategy) -> None:
        if record.monitor is not None and record.seconds - last_print[0] >= 30:
            last_print[0] = record.seconds
            print(f"  {record.seconds:6.0f} s  generation {record.generation:6d}  val MSE {record.monitor:.5f}",
                  flush=True)

    outcome = evolve_weights(model, x_train, settings, np.random.default_rng(args.seed),
                             starting_from(initial, make_weight_strategy),
                             monitor=x_val, on_generation=report, forward=forward)
    watched = [r for r in outcome.history if r.monitor is not None]
    return model, [r.seconds for r in watched], [r.monitor for r in watched], outcome.generations


def backprop(genome: Genome, x_train, x_val, initial, epochs: int, seed: int):
    keras.utils.set_random_seed(seed)
    model = build_autoencoder(genome, x_train.shape[1:]).autoencoder
    WeightLayout.of(model).assign(model, initial)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    seconds, val = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        model.fit(x_train, x_train, batch_size=256, epochs=1, verbose=0, shuffle=True)
        seconds.append(time.perf_counter() - start)
        val.append(float(np.mean((model.predict(x_val, batch_size=1024, verbose=0) - x_val) ** 2)))
    return model, seconds, val


def test_mse(model: keras.Model, images: np.ndarray) -> float:
    return float(np.mean((model.predict(images, batch_size=1024, verbose=0) - images) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=900, help="wall-clock budget of the evolution")
    parser.add_argument("--strategy", default="snes")
    parser.add_argument("--population", type=int, default=128)
    parser.add_argument("--batch", type=int, default=128, help="training images scored per generation")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--monitor-every", type=int, default=100)
    parser.add_argument("--backprop-epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("results/reference/fashion_mnist_weights"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    dataset = load_dataset(None, None)
    splits = split(dataset, None, 5000, args.seed)
    x_train, x_val, x_test = splits.x_train, splits.x_val, splits.x_test
    genome = network(args.hidden, args.activation)
    keras.utils.set_random_seed(args.seed)
    initial = WeightLayout.of(build_autoencoder(genome, x_train.shape[1:]).autoencoder).initial(
        np.random.default_rng(args.seed), 1)[0]
    print(f"{genome.describe()}: {len(initial):,} weights; {len(x_train)} training, {len(x_val)} validation, "
          f"{len(x_test)} test images", flush=True)

    print(f"evolving with {args.strategy} for {args.seconds:.0f} s ...", flush=True)
    evolved, evolved_seconds, evolved_val, generations = evolve(genome, x_train, x_val, initial, args)
    print(f"backprop, {args.backprop_epochs} epochs ...", flush=True)
    trained, trained_seconds, trained_val = backprop(genome, x_train, x_val, initial, args.backprop_epochs, args.seed)
    pca = pca_test_mse(x_train, x_test, 2)
    rows = [
        {"method": f"{args.strategy} (no gradients)", "test MSE": test_mse(evolved, x_test),
         "best val MSE": min(evolved_val), "seconds": round(evolved_seconds[-1], 1),
         "steps": f"{generations} generations x {args.population}"},
        {"method": "backprop (Adam 1e-3, batch 256)", "test MSE": test_mse(trained, x_test),
         "best val MSE": min(trained_val), "seconds": round(trained_seconds[-1], 1),
         "steps": f"{args.backprop_epochs} epochs"},
        {"method": "PCA, 2 components", "test MSE": pca, "best val MSE": None, "seconds": None, "steps": "-"},
    ]
    frame = pd.DataFrame(rows)
    evolved.save(args.out / "model.keras")
    pd.DataFrame([{"method": name, "seconds": round(s, 2), "val_mse": v}
                  for name, (ss, vv) in (("evolution", (evolved_seconds, evolved_val)),
                                         ("backprop", (trained_seconds, trained_val)))
                  for s, v in zip(ss, vv)]).to_csv(args.out / "curves.csv", index=False)
    save_loss_against_seconds({f"{args.strategy} (no gradients)": (evolved_seconds, evolved_val),
                               "backprop": (trained_seconds, trained_val)},
                              args.out / "mse_vs_seconds.png", "mse", {"PCA-2 (test)": pca},
                              title=f"{genome.describe()} on Fashion-MNIST: validation MSE")
    shown = x_test[:10]
    save_reconstruction_strip(shown, [(f"{args.strategy}", evolved.predict(shown, verbose=0)),
                                      ("backprop", trained.predict(shown, verbose=0))],
                              args.out / "reconstructions.png", title="test images, then reconstructions")
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    table = markdown_table(frame)
    (args.out / "README.md").write_text(
        f"# Fashion-MNIST, latent 2: weight evolution against backprop and PCA\n\nMade by `{command}`\n\n"
        f"Network: {genome.describe()} ({len(initial):,} weights), both methods from the same initial weights; "
        f"{len(x_train)} training, {len(x_val)} validation, {len(x_test)} test images.\n\n" + table
        + "\n\n![validation MSE against seconds](mse_vs_seconds.png)\n\n![reconstructions](reconstructions.png)\n")
    (args.out / "settings.json").write_text(json.dumps({k: str(v) for k, v in vars(args).items()}, indent=2))
    print(table)


if __name__ == "__main__":
    main()
