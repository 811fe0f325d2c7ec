"""A user's small data set, with no flags: does the default search fit itself to 1,500 images of 16x16
and still beat PCA at its latent size? (issue 14)

Makes `small.npz`: the first 1,500 Fashion-MNIST training images and the first 2,000 test images,
average-pooled from 28x28 to 16x16 (bilinear resize), then runs `archsearch search --data small.npz`
with nothing else and prints the chosen sizes and budgets, the wall time and the final test MSE beside
PCA's.

    python benchmarks/small_data.py [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def small_fashion_mnist(path: Path, train: int = 1500, test: int = 2000, side: int = 16) -> None:
    from archsearch.core.data import load_fashion_mnist

    dataset = load_fashion_mnist()

    def resize(images: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        resized = tf.image.resize(images, (side, side), method="bilinear", antialias=True).numpy()
        return np.clip(np.round(resized * 255), 0, 255).astype(np.uint8)

    np.savez(path, x_train=resize(dataset.x_train[:train]), x_test=resize(dataset.x_test[:test]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the data file and run directory here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        small_fashion_mnist(where / "small.npz")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "archsearch", "search", "--data", "small.npz", "--seed",
                               str(args.seed), "--out", "run"], cwd=where, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        config = json.loads((where / "run" / "config.json").read_text())
        metrics = json.loads((where / "run" / "best" / "metrics.json").read_text())
    print(f"train {config['train_size']}, validation {config['val_size']}, budgets up to {config['max_budget']:,} "
          f"images seen; {wall:.0f} s")
    print(f"test MSE {metrics['test_mse']:.5f}, PCA-{metrics['latent_size']} {metrics['pca_test_mse']:.5f}: "
          f"{metrics['test_mse'] / metrics['pca_test_mse']:.3f}x")


if __name__ == "__main__":
    main()
