"""Weight inheritance (issue 5): how much training does an offspring save by starting from its parent's
trained weights, for the same final loss?

For each of --pairs parent/offspring pairs: a random parent genome of the space is trained from scratch
for --epochs epochs and its weights kept (`WeightStore`, as the search does); one mutation of it (the
GA's operator) gives the offspring, which is trained twice from the same seed: from scratch, and from
the parent's weights for the layers it shares with it (`inheritance.inherit`). The from-scratch run's
best validation MSE is the target; the table gives, for each, the epochs and seconds to reach it.
"Saved" = from scratch minus inherited; an inherited run that never reaches the target counts as the
full budget of epochs, and saves no seconds.

    python benchmarks/weight_inheritance.py [--pairs 12] [--epochs 6] [--train-size 2000] [--val-size 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from archsearch.core.quiet import import_quietly

import_quietly()

from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.autoencoder.backprop import compile_autoencoder  # noqa: E402
from archsearch.autoencoder.genome import Genome  # noqa: E402
from archsearch.autoencoder.inheritance import WeightStore, inherit, weighted_layers  # noqa: E402
from archsearch.autoencoder.model import build_autoencoder  # noqa: E402
from archsearch.autoencoder.space_file import load_space  # noqa: E402
from archsearch.core.data import load_dataset, split  # noqa: E402
from archsearch.core.errors import InvalidGenome  # noqa: E402
from archsearch.training.keras_parts import fresh_keras_state, mean_squared_error  # noqa: E402


@dataclass
class Curve:
    """Validation MSE before training (index 0) and after each epoch, with the seconds spent so far."""

    mse: list[float]
    seconds: list[float]

    def reach(self, target: float) -> tuple[int | None, float | None]:
        """The first epoch (0: before any training) at which the MSE is at most `target`, and its seconds."""
        for epoch, value in enumerate(self.mse):
            if value <= target * (1 + 1e-9):
                return epoch, self.seconds[epoch]
        return None, None


def train_curve(genome: Genome, splits, epochs: int, seed: int, parent=None) -> tuple[Curve, int, object]:
    fresh_keras_state(seed)
    built = build_autoencoder(genome, splits.image_shape, max_params=1_000_000)
    inherited = inherit(built.autoencoder, parent) if parent is not None else 0
    compile_autoencoder(built.autoencoder, genome.training)
    curve = Curve([mean_squared_error(built.autoencoder, splits.x_val)], [0.0])
    for _ in range(epochs):
        start = time.perf_counter()
        built.autoencoder.fit(splits.x_train, splits.x_train, batch_size=genome.training.batch_size, epochs=1,
                              verbose=0)
        curve.seconds.append(curve.seconds[-1] + time.perf_counter() - start)
        curve.mse.append(mean_squared_error(built.autoencoder, splits.x_val))
    return curve, inherited, built


def buildable(genome: Genome, shape) -> bool:
    try:
        build_autoencoder(genome, shape, max_params=1_000_000)
        return True
    except InvalidGenome:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train-size", type=int, default=2000)
    parser.add_argument("--val-size", type=int, default=500)
    parser.add_argument("--space", default="conv_autoencoder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    space, rng = load_space(args.space), np.random.default_rng(args.seed)
    splits = split(load_dataset(), args.train_size, args.val_size, args.seed)
    store = WeightStore(tempfile.mkdtemp(prefix="inheritance-"))
    rows = []
    while len(rows) < args.pairs:
        parent = space.sample(rng)
        child, operator = space.mutate(parent, rng)
        if not (buildable(parent, splits.image_shape) and buildable(child, splits.image_shape)):
            continue
        seed = int(rng.integers(2**31))
        _, _, trained_parent = train_curve(parent, splits, args.epochs, seed)
        store.save(parent.key, trained_parent.autoencoder)
        scratch, _, built = train_curve(child, splits, args.epochs, seed)
        inherited, layers, _ = train_curve(child, splits, args.epochs, seed, parent=store.load(parent.key))
        target = min(scratch.mse)
        scratch_epochs, scratch_seconds = scratch.reach(target)
        epochs, seconds = inherited.reach(target)
        rows.append({
            "pair": len(rows) + 1, "mutation": operator, "child": child.describe(),
            "layers inherited": f"{layers}/{len(weighted_layers(built.autoencoder))}",
            "target val MSE": target, "scratch epochs": scratch_epochs, "inherited epochs": epochs,
            "epochs saved": scratch_epochs - (args.epochs if epochs is None else epochs),
            # Never reaching the target saves nothing, however fast its epochs happened to run.
            "seconds saved": round(min(0.0, scratch_seconds - inherited.seconds[-1]) if seconds is None
                                   else scratch_seconds - seconds, 2),
            "scratch s": round(scratch_seconds, 2),
            "MSE before training, inherited": inherited.mse[0], "MSE before training, scratch": scratch.mse[0],
        })
        print(f"pair {len(rows)}: {operator}, {layers} layers inherited, epochs to {target:.5f}: scratch "
              f"{scratch_epochs}, inherited {epochs}", file=sys.stderr, flush=True)
    frame = pd.DataFrame(rows)
    print(markdown_table(frame.round(5)))
    saved = frame["epochs saved"]
    print(f"\n{args.pairs} pairs, {args.epochs} epochs each, {args.train_size} training images: epochs saved at "
          f"equal loss: median {saved.median():g}, mean {saved.mean():.2f}; seconds saved: median "
          f"{frame['seconds saved'].median():.2f} of a median {frame['scratch s'].median():.2f} s from scratch "
          f"({100 * (frame['seconds saved'] / frame['scratch s']).median():.0f}%); the inherited run reached "
          f"the target in {int(frame['inherited epochs'].notna().sum())} of {args.pairs} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
