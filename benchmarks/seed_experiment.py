"""The seed experiment of issue 4, reproduced: how close does each weight strategy get to backprop?

The network is the published attempt's conv autoencoder with a 2-D latent (`seed-network`, 7,323
weights), the data one Fashion-MNIST training image per class (10 images), the targets scaled to
[0.1, 0.9], the fitness their mean absolute error. Backprop (Adam, full batch) trains the same network
from the same initial weights to its best MAE; each weight strategy then gets the same wall-clock budget.
The table gives, for backprop and each strategy, the seconds and generations (epochs for backprop) to
come within 50%, 20% and 10% of backprop's best MAE. Writes README.md (table and command), table.csv,
curves.csv, mae_vs_seconds.png and reconstructions.png to --out.

    python benchmarks/seed_experiment.py [--seconds 120] [--out results/reference/seed_experiment]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from archsearch.core.quiet import import_quietly

import_quietly()

import keras  # noqa: E402

from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.core.data import load_dataset  # noqa: E402
from archsearch.weights.evolution import WeightEvolutionSettings, evolve_weights, starting_from  # noqa: E402
from archsearch.weights.evolve import sample_split  # noqa: E402
from archsearch.weights.layout import WeightLayout  # noqa: E402
from archsearch.weights.plots import save_loss_against_seconds, save_reconstruction_strip  # noqa: E402
from archsearch.weights.population_forward import PopulationForward  # noqa: E402
from archsearch.weights.seed_network import build_seed_network  # noqa: E402
from archsearch.weights.strategies import make_weight_strategy  # noqa: E402

TARGET_RANGE = (0.1, 0.9)
MARGINS = (0.5, 0.2, 0.1)  # "within 50%": MAE <= 1.5 x backprop's best
# Each strategy's settings: the best of short trials on this problem (see README.md).
STRATEGIES = {
    "es": (128, {"sigma": 0.03, "learning_rate": 0.03}),
    "snes": (64, {"sigma": 0.1, "sigma_learning_rate": 0.2}),
    "ga": (64, {}),
    "ga-mutation": (64, {}),  # the published baseline: 10 weights perturbed by U[-1, 1]
    "cma-es": (32, {"sigma": 0.05}),
}


@dataclass
class Curve:
    """The solution's MAE on the 10 images after each generation (or epoch), with the time it was reached."""

    name: str
    settings: str
    steps: list[int]
    seconds: list[float]
    mae: list[float]
    reconstruction: np.ndarray

    def first_within(self, limit: float) -> tuple[float, int] | None:
        for step, second, value in zip(self.steps, self.seconds, self.mae):
            if value <= limit:
                return second, step
        return None


def backprop(images, targets, initial, epochs: int, learning_rate: float) -> Curve:
    keras.utils.set_random_seed(0)
    model = build_seed_network().autoencoder
    WeightLayout.of(model).assign(model, initial)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mae")
    steps, seconds, mae = [], [], []
    best: list = [np.inf, None]  # the best epoch's MAE and weights: Adam can spike late

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            steps.append(epoch + 1)
            seconds.append(time.perf_counter() - start)
            mae.append(float(np.mean(np.abs(self.model.predict_on_batch(images) - targets))))
            if mae[-1] < best[0]:
                best[:] = [mae[-1], self.model.get_weights()]

    start = time.perf_counter()
    model.fit(images, targets, batch_size=len(images), epochs=epochs, verbose=0, callbacks=[Record()])
    model.set_weights(best[1])
    return Curve("backprop", f"Adam lr {learning_rate}, full batch, {epochs} epochs (best epoch kept)", steps,
                 seconds, mae, model.predict_on_batch(images))


def evolve(name: str, population: int, options: dict, images, initial, seconds: float, seed: int) -> Curve:
    keras.utils.set_random_seed(0)
    model = build_seed_network().autoencoder
    forward = PopulationForward(model)
    settings = WeightEvolutionSettings(strategy=name, population=population, generations=10**9, batch_size=None,
                                       loss="mae", target_range=TARGET_RANGE, time_limit=seconds, monitor_every=1,
                                       options=options)

    outcome = evolve_weights(model, images, settings, np.random.default_rng(seed),
                             starting_from(initial, make_weight_strategy), monitor=images, forward=forward)
    described = ", ".join(f"{k} {v}" for k, v in options.items()) or "defaults"
    return Curve(name, f"population {population}, {described}", [r.generation for r in outcome.history],
                 [r.seconds for r in outcome.history], [r.monitor for r in outcome.history],
                 np.asarray(forward.forward(outcome.solution[None], images))[0])


def table(curves: list[Curve], reference: float) -> pd.DataFrame:
    rows = []
    for curve in curves:
        row = {"method": curve.name, "settings": curve.settings, "best MAE": round(min(curve.mae), 4),
               "seconds run": round(curve.seconds[-1], 1), "generations (epochs) run": curve.steps[-1]}
        for margin in MARGINS:
            hit = curve.first_within((1 + margin) * reference)
            row[f"within {margin:.0%}: s"] = round(hit[0], 1) if hit else None
            row[f"within {margin:.0%}: gens"] = str(hit[1]) if hit else None
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120, help="wall-clock budget of each weight strategy")
    parser.add_argument("--epochs", type=int, default=3000, help="backprop epochs (full batch)")
    parser.add_argument("--learning-rate", type=float, default=0.01, help="backprop's Adam learning rate")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("results/reference/seed_experiment"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    images, _ = sample_split(load_dataset(None, None), 10, 1, args.seed)  # one image per class
    low, high = TARGET_RANGE
    targets = low + (high - low) * images
    keras.utils.set_random_seed(0)
    initial = WeightLayout.of(build_seed_network().autoencoder).initial(np.random.default_rng(args.seed), 1)[0]

    print(f"backprop: {args.epochs} epochs ...", flush=True)
    curves = [backprop(images, targets, initial, args.epochs, args.learning_rate)]
    reference = min(curves[0].mae)
    print(f"  best MAE {reference:.4f} in {curves[0].seconds[-1]:.0f} s", flush=True)
    for name in args.strategies.split(","):
        population, options = STRATEGIES[name]
        print(f"{name}: {args.seconds:.0f} s ...", flush=True)
        curves.append(evolve(name, population, options, images, initial, args.seconds, args.seed))
        print(f"  best MAE {min(curves[-1].mae):.4f} after {curves[-1].steps[-1]} generations", flush=True)

    frame = table(curves, reference)
    frame.to_csv(args.out / "table.csv", index=False)
    pd.DataFrame([{"method": c.name, "step": s, "seconds": round(t, 3), "mae": m}
                  for c in curves for s, t, m in zip(c.steps, c.seconds, c.mae)]).to_csv(args.out / "curves.csv",
                                                                                          index=False)
    save_loss_against_seconds({c.name: (c.seconds, c.mae) for c in curves}, args.out / "mae_vs_seconds.png", "mae",
                              {f"backprop +{m:.0%}": (1 + m) * reference for m in MARGINS},
                              title="seed network on 10 Fashion-MNIST images: MAE of the solution")
    save_reconstruction_strip(targets, [(c.name, c.reconstruction) for c in curves], args.out / "reconstructions.png",
                              title="targets (top) and each method's final reconstruction")
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    markdown = markdown_table(frame, missing="not reached")
    (args.out / "README.md").write_text(
        f"# Seed experiment: weight strategies against backprop\n\nMade by `{command}`\n\n"
        f"Backprop's best MAE: **{reference:.4f}**; within 50% / 20% / 10% means MAE at most "
        f"{1.5 * reference:.4f} / {1.2 * reference:.4f} / {1.1 * reference:.4f}.\n\n{markdown}\n\n"
        f"![MAE against seconds](mae_vs_seconds.png)\n\n![reconstructions](reconstructions.png)\n")
    (args.out / "settings.json").write_text(json.dumps({"strategies": STRATEGIES, **{k: str(v) for k, v in
                                                                                     vars(args).items()}}, indent=2))
    print(markdown)


if __name__ == "__main__":
    main()
