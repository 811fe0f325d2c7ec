"""A user's own small data set, with no flags: does the default search fit itself to the data and beat PCA
at its code size on images it never trained on? (issues 14 and 33)

Three data sets, each written as a `.npz` of `x_train` and `x_test` and searched with `archsearch search
--data FILE --seed S` and nothing else:
- `fashion16`: the first 1,500 Fashion-MNIST training images and the first 2,000 test images, resized
  from 28x28 to 16x16;
- `photos`: 3,000 random 32x32 RGB patches of the two photos scikit-learn ships (`china.jpg`,
  `flower.jpg`), tested on 1,000 patches of a photo it never trained on (matplotlib's `grace_hopper.jpg`);
- `grey`: 300 grey 24x24 images, each a random 72x72 crop of the same two photos shrunk 3x, tested on
  500 made the same way from the third photo.
The photos come with the installed packages: nothing is downloaded.

    python benchmarks/small_data.py [--data fashion16,photos,grey] [--seed 0] [--keep DIR]
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


def resize(images: np.ndarray, side: int) -> np.ndarray:
    """Images (N, H, W, C) of uint8 or [0, 1] floats, resized with antialiasing to side x side uint8."""
    import tensorflow as tf

    scale = 255.0 if images.dtype == np.uint8 else 1.0
    resized = tf.image.resize(images / scale, (side, side), method="bilinear", antialias=True).numpy()
    return np.clip(np.round(resized * 255), 0, 255).astype(np.uint8)


def small_fashion_mnist(train: int = 1500, test: int = 2000, side: int = 16) -> dict[str, np.ndarray]:
    from archsearch.core.data import load_fashion_mnist

    dataset = load_fashion_mnist()
    return {"x_train": resize(dataset.x_train[:train], side), "x_test": resize(dataset.x_test[:test], side)}


def photos() -> tuple[list[np.ndarray], np.ndarray]:
    """The training photos (scikit-learn's two) and the unseen one (matplotlib's), as uint8 RGB arrays."""
    import matplotlib.cbook
    import matplotlib.image
    from sklearn.datasets import load_sample_images

    unseen = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))
    return list(load_sample_images().images), np.asarray(unseen)


def crops(images: list[np.ndarray], count: int, side: int, rng: np.random.Generator) -> np.ndarray:
    """`count` random side x side crops, taken evenly from each image."""
    out = []
    for index in range(count):
        image = images[index % len(images)]
        top = rng.integers(0, image.shape[0] - side + 1)
        left = rng.integers(0, image.shape[1] - side + 1)
        out.append(image[top:top + side, left:left + side])
    return np.stack(out)


def photo_patches(train: int = 3000, test: int = 1000, side: int = 32) -> dict[str, np.ndarray]:
    seen, unseen = photos()
    rng = np.random.default_rng(0)
    return {"x_train": crops(seen, train, side, rng), "x_test": crops([unseen], test, side, rng)}


def grey_images(train: int = 300, test: int = 500, side: int = 24, shrink: int = 3) -> dict[str, np.ndarray]:
    seen, unseen = photos()
    rng = np.random.default_rng(1)

    def grey(images: np.ndarray) -> np.ndarray:
        return images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0

    def made(source: list[np.ndarray], count: int) -> np.ndarray:
        return resize(grey(crops(source, count, side * shrink, rng))[..., None], side)[..., 0]

    return {"x_train": made(seen, train), "x_test": made([unseen], test)}


DATA = {"fashion16": small_fashion_mnist, "photos": photo_patches, "grey": grey_images}


def search(name: str, seed: int, where: Path) -> dict:
    """Writes the data set and runs the default search on it as a user would; its settings, time and scores."""
    where.mkdir(parents=True, exist_ok=True)
    arrays = DATA[name]()
    np.savez(where / f"{name}.npz", **arrays)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "archsearch", "search", "--data", f"{name}.npz", "--seed",
                           str(seed), "--out", f"run-{name}"], cwd=where, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    run = where / f"run-{name}"
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "best" / "metrics.json").read_text())
    return {"data": name, "shape": list(arrays["x_train"].shape), "test_images": len(arrays["x_test"]),
            "seed": seed, "wall_s": round(wall, 1), "train_size": config["train_size"],
            "val_size": config["val_size"], "max_budget": config["max_budget"], "latent": metrics["latent_size"],
            "test_mse": metrics["test_mse"], "pca_test_mse": metrics["pca_test_mse"],
            "ratio": metrics["test_mse"] / metrics["pca_test_mse"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="fashion16,photos,grey", help="comma-separated: " + ", ".join(DATA))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the data files and run directories here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.data.split(","):
            row = search(name, args.seed, args.keep or Path(tmp))
            print(f"{name} {tuple(row['shape'])}: train {row['train_size']}, validation {row['val_size']}, "
                  f"budgets up to {row['max_budget']:,} images seen; {row['wall_s']:.0f} s; test MSE "
                  f"{row['test_mse']:.5f}, PCA-{row['latent']} {row['pca_test_mse']:.5f}: {row['ratio']:.3f}x",
                  flush=True)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
