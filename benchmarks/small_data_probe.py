"""Why the default search loses to PCA on small photo data (issue 33's third condition): on one data file that
`small_data.py --keep DIR` wrote, PCA at 16 components beside (a) the space's default genes trained as a run
trains them to several budgets and (b) an autoencoder built around PCA: its code and reconstruction are PCA's
linear maps (initialised from PCA fitted on the training images) plus a convolutional correction that starts
at zero, so it starts exactly at PCA's error and training can only move it from there.

Each is scored on the validation images (the same photos) and on the test images (a photo never trained on).

    python benchmarks/small_data_probe.py DIR/photos.npz [--budgets 50000,150000] [--augment none,turns]
        [--centre off,on] [--seeds 0,1] [--residual 3e-4@20,1e-3@20]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

LATENT = 16


def splits_of(path: str):
    from archsearch.core.data import load_npz, split

    dataset = load_npz(path)
    return split(dataset, None, len(dataset.x_train) // 6, 0)  # the split `archsearch search` fits to the file


def default_genes(job: tuple[str, int, str, bool, int]) -> str:
    from default_genes import variant

    from archsearch.autoencoder.backprop import BackpropEvaluator
    from archsearch.core.fidelity import Fidelity

    path, budget, augment, centred, seed = job
    s = splits_of(path)
    result = BackpropEvaluator(s.x_train, s.x_val, x_test=s.x_test, augment=augment, centred=centred).evaluate(
        variant("", LATENT), seed, fidelity=Fidelity(budget=budget, schedule_budget=budget))
    return (f"| default genes, {budget:,} images seen, augmented: {augment}, centred: {'yes' if centred else 'no'}, "
            f"seed {seed} | {result.fitness:.5f} | {result.metrics['test_mse']:.5f} | {result.seconds:.0f} |")


def around_pca(job: tuple[str, float, int]) -> str:
    import keras
    from keras import layers
    from sklearn.decomposition import PCA

    path, rate, epochs = job
    s = splits_of(path)
    shape, size = s.x_train.shape[1:], int(np.prod(s.x_train.shape[1:]))
    pca = PCA(LATENT, random_state=0).fit(s.x_train.reshape(len(s.x_train), -1))
    w, mean = pca.components_.T.astype("float32"), pca.mean_.astype("float32")
    keras.utils.set_random_seed(0)
    images = keras.Input(shape)
    linear_code = layers.Dense(LATENT, kernel_initializer=keras.initializers.Constant(w),
                               bias_initializer=keras.initializers.Constant(-mean @ w))(layers.Flatten()(images))
    h = images if len(shape) == 3 else layers.Reshape((*shape, 1))(images)
    for filters in (32, 48):
        h = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(h)
    code = layers.Add()([linear_code, layers.Dense(LATENT, kernel_initializer="zeros")(layers.Flatten()(h))])
    linear_out = layers.Dense(size, kernel_initializer=keras.initializers.Constant(w.T),
                              bias_initializer=keras.initializers.Constant(mean))(code)
    side = shape[0] // 4
    g = layers.Reshape((side, side, 48))(layers.Dense(side * side * 48, activation="relu")(code))
    g = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(g)
    g = layers.Conv2DTranspose(shape[-1] if len(shape) == 3 else 1, 3, strides=2, padding="same",
                               kernel_initializer="zeros")(g)
    model = keras.Model(images, layers.Reshape(shape)(layers.Add()([linear_out, layers.Flatten()(g)])))
    steps = epochs * (len(s.x_train) // 64)
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(rate, steps)), "mse")
    started = time.perf_counter()
    model.fit(s.x_train, s.x_train, batch_size=64, epochs=epochs, verbose=0)
    return (f"| around PCA, Adam {rate:g}, {epochs} passes | {model.evaluate(s.x_val, s.x_val, verbose=0):.5f} | "
            f"{model.evaluate(s.x_test, s.x_test, verbose=0):.5f} | {time.perf_counter() - started:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a .npz that small_data.py --keep wrote")
    parser.add_argument("--budgets", default="50000,150000", help="images seen by the default genes")
    parser.add_argument("--augment", default="none", help="comma-separated augmentations of the default genes' "
                                                          "training (training.augment.AUGMENTATIONS)")
    parser.add_argument("--centre", default="off", help="comma-separated: off, on (the channel means in the code)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds of the default genes' training")
    parser.add_argument("--residual", default="3e-4@20,1e-3@20", help="RATE@PASSES of the model around PCA")
    args = parser.parse_args()
    from archsearch.analysis.baselines import pca_test_mse

    s = splits_of(args.data)
    print(f"{args.data}: {len(s.x_train)} training, {len(s.x_val)} validation, {len(s.x_test)} test images")
    print("| model | val MSE | test MSE (unseen photo) | seconds |\n| --- | ---: | ---: | ---: |")
    print(f"| PCA-{LATENT} | {pca_test_mse(s.x_train, s.x_val, LATENT):.5f} | "
          f"{pca_test_mse(s.x_train, s.x_test, LATENT):.5f} | |", flush=True)
    jobs = [(default_genes, (args.data, int(b), a, c == "on", int(seed))) for b in args.budgets.split(",") if b
            for a in args.augment.split(",") for c in args.centre.split(",") for seed in args.seeds.split(",")]
    jobs += [(around_pca, (args.data, float(r), int(p))) for r, p in
             (item.split("@") for item in args.residual.split(",") if item)]
    with ProcessPoolExecutor(2) as pool:
        for future in [pool.submit(function, job) for function, job in jobs]:
            print(future.result(), flush=True)


if __name__ == "__main__":
    main()
