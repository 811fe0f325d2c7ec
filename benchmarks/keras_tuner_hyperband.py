"""Keras Tuner's Hyperband on archsearch's space, data split, budgets and wall time: the outside peer of
the equal-time comparison (`benchmarks/equal_time.py`). Needs the benchmark extra (`pip install -e
".[benchmark]"`); archsearch itself never imports Keras Tuner.

The same terms as the comparison's runs of one seed, read from its `compare.json`:
- the space: every candidate's genes are drawn through Keras Tuner's HyperParameters with the very
  conditional parameters archsearch's Optuna strategies use (`optuna_space.suggest_genome`), repaired
  and built by archsearch's builder, and trained with the genome's optimizer, learning rate, batch
  size and loss;
- the data: archsearch's split for the seed (training, validation and test images);
- the budgets: Keras Tuner's resource is epochs, so an "epoch" here is the lowest rung's images
  (6,016 by default) on an endless shuffled stream, and Hyperband's `max_epochs` is the top budget in
  those epochs (27, factor 3): its rungs are archsearch's. It continues promoted trials from their
  checkpoints, as archsearch does;
- the time: no trial starts after `--seconds` (the one running then finishes), and the best model is
  chosen among the trials finished by then, as `compare --seconds` does.

What a Keras Tuner user writes, and no more: a constant learning rate (archsearch's candidates follow a
cosine decay over the top budget), TensorFlow's own threading in one process.

    python benchmarks/keras_tuner_hyperband.py --compare DIR --seed 0 --seconds 300 --out DIR/kt-seed0.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import keras
import keras_tuner
import numpy as np
import tensorflow as tf

from archsearch.autoencoder.config import SearchConfig
from archsearch.autoencoder.model import build_autoencoder
from archsearch.autoencoder.space_file import load_space
from archsearch.core.data import load_dataset, split
from archsearch.strategies.optuna_space import suggest_genome
from archsearch.training.keras_parts import make_loss, make_optimizer, mean_squared_error


class HyperParameterTrial:
    """Optuna's suggest_* calls answered by Keras Tuner's HyperParameters: one space, two libraries."""

    def __init__(self, hp: keras_tuner.HyperParameters) -> None:
        self.hp = hp

    def suggest_categorical(self, name, choices):
        return self.hp.Choice(name, list(choices))

    def suggest_int(self, name, low, high, log=False):
        return self.hp.Int(name, low, high, sampling="log" if log else "linear")

    def suggest_float(self, name, low, high, log=False):
        return self.hp.Float(name, low, high, sampling="log" if log else "linear")


class ArchsearchSpace(keras_tuner.HyperModel):
    """archsearch's space as a Keras Tuner hypermodel, trained on a stream in 'epochs' of `epoch_images`."""

    def __init__(self, space, input_shape, max_params: int, epoch_images: int, seed: int) -> None:
        super().__init__()
        self.space, self.input_shape, self.max_params = space, input_shape, max_params
        self.epoch_images, self.seed = epoch_images, seed
        self.scores: list[dict] = []  # every trained trial's model as it ended
        self.started = time.monotonic()  # reset when the search starts

    def genome(self, hp):
        return self.space.repair(suggest_genome(HyperParameterTrial(hp), self.space), np.random.default_rng(0))

    def build(self, hp):
        genome = self.genome(hp)
        model = build_autoencoder(genome, self.input_shape, self.max_params).autoencoder
        model.compile(optimizer=make_optimizer(genome.training), loss=make_loss(genome.training),
                      metrics=[keras.metrics.MeanSquaredError(name="mse")])
        return model

    def fit(self, hp, model, x, validation_data=None, x_test=None, **kwargs):
        """Trains as Keras Tuner asks, then scores the trained model on the validation and test images
        (kept in `scores`: the chosen model is judged as it ended, as archsearch's checkpoints are)."""
        genome = self.genome(hp)
        batch = genome.training.batch_size
        stream = (tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=self.seed).repeat().batch(batch)
                  .map(lambda images: (images, images)))
        history = model.fit(stream, steps_per_epoch=max(1, self.epoch_images // batch),
                            validation_data=validation_data, **{"verbose": 0, **kwargs})
        self.scores.append({"wall_seconds": round(time.monotonic() - self.started, 3),
                            "val_mse": mean_squared_error(model, validation_data[0]),
                            "test_mse": mean_squared_error(model, x_test), "epochs": kwargs.get("epochs"),
                            "architecture": genome.describe(), "latent_size": genome.latent_size})
        return history


class TimedHyperband(keras_tuner.Hyperband):
    """Hyperband that starts no trial after `seconds`."""

    def __init__(self, *args, seconds: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seconds, self.started = seconds, time.monotonic()
        self.hypermodel.started = self.started
        populate = self.oracle.populate_space

        def populate_until_time(trial_id):
            if time.monotonic() - self.started >= self.seconds:
                return {"status": keras_tuner.engine.trial.TrialStatus.STOPPED, "values": None}
            return populate(trial_id)

        self.oracle.populate_space = populate_until_time


def run(compare_dir: Path, seed: int, seconds: float) -> dict:
    setup = json.loads((compare_dir / "compare.json").read_text())
    base = SearchConfig.from_dict(setup["base"])
    rungs = base.rungs
    dataset = load_dataset(base.data_dir, base.data_file)
    splits = split(dataset, base.train_size, base.val_size, seed, base.test_size)
    keras.utils.set_random_seed(seed)
    epoch_images = rungs.budgets[0]
    hypermodel = ArchsearchSpace(load_space(base.space), splits.x_train.shape[1:], base.max_params, epoch_images, seed)
    with tempfile.TemporaryDirectory() as directory:
        tuner = TimedHyperband(hypermodel, objective=keras_tuner.Objective("val_mse", "min"),
                               max_epochs=round(rungs.budgets[-1] / epoch_images), factor=rungs.eta,
                               hyperband_iterations=1000, seed=seed, directory=directory, project_name="kt",
                               max_consecutive_failed_trials=1000, seconds=seconds)
        tuner.search(splits.x_train, validation_data=(splits.x_val, splits.x_val), x_test=splits.x_test, verbose=0)
        wall = time.monotonic() - tuner.started
    best = min((score for score in hypermodel.scores if score["wall_seconds"] <= seconds),
               key=lambda score: score["val_mse"])  # judged as it stood at its time, as `compare` judges
    return {"seed": seed, "seconds": seconds, "wall_seconds": round(wall, 1), "trials": hypermodel.scores,
            "best_val_mse": best["val_mse"], "test_mse": best["test_mse"], "epochs_of_best": best["epochs"],
            "latent_size": best["latent_size"], "architecture": best["architecture"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, required=True, help="the comparison directory (its compare.json)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True, help="where to write the result (JSON)")
    args = parser.parse_args()
    result = run(args.compare, args.seed, args.seconds)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"seed {args.seed}: {len(result['trials'])} trials in {result['wall_seconds']} s, best val MSE "
          f"{result['best_val_mse']:.5f}, test MSE {result['test_mse']:.5f} ({result['architecture']})")


if __name__ == "__main__":
    main()
