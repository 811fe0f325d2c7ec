"""Keras Tuner's Hyperband beside an `archsearch compare --seconds T` of the autoencoder, on the very terms of
each of its runs (issue 33's second condition: the default beats a fair Keras Tuner Hyperband at equal wall
time). Needs the benchmark extra (`pip install -e ".[benchmark]"`); archsearch itself never imports Keras Tuner.

Per seed, Keras Tuner runs on the terms read from the comparison's run of that seed (`runs/STRATEGY-seedK`):
- the space: the run's space at its code size, asked parameter by parameter through Keras Tuner's
  HyperParameters (the define-by-run walk TPE uses), each parameter's default the default genes' value;
  repaired and built by archsearch's builder, with the genome's optimizer, loss and parameter limit;
- the first trial: the default genes trained to the top budget, as our engine trains its first candidate
  (outside Hyperband's brackets, which then run as usual); every trial's weights drawn from the seed our
  evaluator gives its genes, so the first starts from the weights ours starts from;
- the data: the run's split (the same training, validation and test images);
- the schedule: an "epoch" is the lowest rung's images on an endless shuffled stream, Hyperband's `max_epochs`
  the top budget in those epochs, its factor the run's eta, so its brackets use our rungs; the learning rate
  follows the same cosine decay over the top budget (a promoted trial continues it from its step, though its
  optimizer's moments restart: Keras Tuner keeps weights only);
- parallel trials: as many worker processes as the run had workers, each with one thread as ours, around
  Keras Tuner's own chief oracle (its gRPC distribution);
- the clock: T seconds from the moment the first worker starts searching (after its imports and data, as
  our time box counts searching); no trial starts later, and the result is the best among the trials
  finished by then, as `compare --seconds` judges ours;
- the selection rule: ours (the trial trained furthest, then the lowest validation MSE), and Keras Tuner's own
  (the lowest validation MSE at any epoch) beside it. A trial's model is Keras Tuner's checkpoint of its best
  epoch.

    python benchmarks/autoencoder_vs_keras_tuner.py COMPARE_DIR [--strategy ga] [--seeds 0-9]

Writes COMPARE_DIR/keras_tuner.csv (one row per seed, kept across calls) and prints the paired one-sided
Wilcoxon tests of every strategy of the comparison against it on test MSE.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from keras_tuner_parts import (  # noqa: E402
    ROLE,
    candidate_of,
    default_values,
    defaults_first_hyperband,
    logged_tuner,
    start_distributed,
    stop,
)

GRACE_SECONDS = 90  # after the clock: imports and data loading before it started, a trial's end


def our_run(run_dir: Path):
    """The settings, space and data split of our run of the seed, as Keras Tuner is to get them."""
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.autoencoder.space import with_latent
    from archsearch.autoencoder.space_file import load_space
    from archsearch.core.data import load_dataset, split

    config = SearchConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    space = with_latent(load_space(run_dir / "space.toml"), config.latent)
    splits = split(load_dataset(config.data_dir, config.data_file), config.train_size, config.val_size, config.seed,
                   config.test_size)
    return config, space, splits


def peer_model(genome, config, splits, init: int = 0):
    """The peer's model of `genome`: archsearch's builder, the genome's optimizer and loss, the learning rate
    decaying (cosine) over the run's top budget, as our evaluator compiles it; its weights drawn from the seed
    our evaluator gives the genome (`init` after it), so the first trial starts from the weights ours starts
    from. Left to Keras Tuner's random state, the default genes' first trial scored 2.4-2.7% worse than our
    training of them on three seeds of three; seeded so, it scores as the same training outside Keras Tuner
    (`peer_training_probe.py`, 2026-12-06)."""
    from archsearch.autoencoder.backprop import compile_autoencoder
    from archsearch.autoencoder.model import build_autoencoder
    from archsearch.run.candidates import candidate_seed
    from archsearch.training.keras_parts import fresh_keras_state

    fresh_keras_state(candidate_seed(config.seed, genome) + init)
    model = build_autoencoder(genome, splits.x_train.shape[1:], config.max_params).autoencoder
    compile_autoencoder(model, genome.training, config.rungs.budgets[-1], report_mse=True)
    return model


def peer_fit(model, genome, config, splits, **kwargs):
    """The peer's training: Keras's `fit` on an endless shuffled stream of the training images, an "epoch"
    being the lowest rung's images, the learning-rate schedule going on from `initial_epoch`."""
    import tensorflow as tf

    batch, epoch_images = genome.training.batch_size, config.rungs.budgets[0]
    steps = max(1, epoch_images // batch)
    model.optimizer.iterations.assign(kwargs.get("initial_epoch", 0) * steps)  # the schedule goes on
    stream = (tf.data.Dataset.from_tensor_slices(splits.x_train).shuffle(len(splits.x_train), seed=config.seed)
              .repeat().batch(batch).map(lambda images: (images, images)))
    return model.fit(stream, steps_per_epoch=steps, validation_data=(splits.x_val, splits.x_val),
                     **{"verbose": 0, **kwargs})


def keras_tuner_part(role: str, run_dir: Path, work: Path, seconds: float) -> None:
    """One process of Keras Tuner's distributed search: the chief (its oracle) or a worker (trials)."""
    import keras
    import keras_tuner

    config, space, splits = our_run(run_dir)
    rungs = config.rungs
    epoch_images, top = rungs.budgets[0], rungs.budgets[-1]
    defaults = default_values(space)
    clock_file = work / "clock"  # when the first worker began searching: the start of the T seconds

    def genome_of(hp):
        return candidate_of(hp, space, defaults)

    class AutoencoderSpace(keras_tuner.HyperModel):
        def build(self, hp):
            return peer_model(genome_of(hp), config, splits)

        def fit(self, hp, model, *args, **kwargs):
            return peer_fit(model, genome_of(hp), config, splits, **kwargs)

    def begin() -> None:
        if not clock_file.exists():
            clock_file.write_text(str(time.time()))

    def entry(trial, history) -> dict:
        genome = genome_of(trial.hyperparameters)
        return {"best_val_mse": min(history.history["val_mse"]), "genome": genome.to_dict(),
                "is_default": genome == space.default}

    oracle_class = defaults_first_hyperband(
        lambda: clock_file.exists() and time.time() - float(clock_file.read_text()) >= seconds)
    tuner_class = logged_tuner(work / f"trials-{role}.jsonl", entry, on_search=begin)
    keras.utils.set_random_seed(config.seed)
    oracle = oracle_class(objective=keras_tuner.Objective("val_mse", "min"), max_epochs=round(top / epoch_images),
                          factor=rungs.eta, hyperband_iterations=1000, seed=config.seed,
                          max_consecutive_failed_trials=1000)
    tuner = tuner_class(oracle=oracle, hypermodel=AutoencoderSpace(), directory=str(work), project_name="kt",
                        max_model_size=config.max_params)
    tuner.search(verbose=0)


def keras_tuner_search(run_dir: Path, work: Path, seconds: float, workers: int) -> dict:
    """Keras Tuner's search on our run's terms; the test MSE of the model each rule chooses among the trials
    finished within `seconds` of its start."""
    chief, parts = start_distributed(__file__, [str(run_dir), str(work), str(seconds)], work, workers, "1",
                                     str(BENCHMARKS.parent))
    deadline = time.time() + seconds + GRACE_SECONDS
    while any(part.poll() is None for part in parts) and time.time() < deadline:
        time.sleep(1)
    for process in [*parts, chief]:  # a trial still running after the clock cannot count: no need to wait
        stop(process)
    clock = float((work / "clock").read_text())
    trials = [json.loads(line) for file in work.glob("trials-tuner*.jsonl") for line in file.read_text().splitlines()]
    in_time = [t for t in trials if t["ended"] <= clock + seconds]
    if not in_time:
        raise SystemExit(f"Keras Tuner finished no trial in {seconds} s: see {work}/*.log")
    ours = min(in_time, key=lambda t: (-t["epochs"], t["best_val_mse"]))  # top rung first, as ours
    own = min(in_time, key=lambda t: t["best_val_mse"])
    return {"trials": len(trials), "trials in time": len(in_time),
            "first trial is the default genes": min(trials, key=lambda t: t["trial"])["is_default"],
            "its epochs": min(trials, key=lambda t: t["trial"])["epochs"],
            "val mse": ours["best_val_mse"], "epochs": ours["epochs"], "test mse": test_mse(run_dir, ours),
            "test mse, its own rule": test_mse(run_dir, own)}


def test_mse(run_dir: Path, trial: dict) -> float:
    from archsearch.autoencoder.genome import Genome
    from archsearch.autoencoder.model import build_autoencoder
    from archsearch.training.keras_parts import mean_squared_error

    config, _, splits = our_run(run_dir)
    genome = Genome.from_dict(trial["genome"])
    model = build_autoencoder(genome, splits.x_train.shape[1:], config.max_params).autoencoder
    model.load_weights(trial["checkpoint"])
    return mean_squared_error(model, splits.x_test)


def default_genes_test_mse(run_dir: Path) -> float:
    """The test MSE of the space's default genes as our run trained them (to the top rung it took them to): what
    a search returning only its first candidate would score, beside what the search itself returned."""
    from archsearch.comparison.statistics import test_fitness
    from archsearch.run.journal import Journal
    from archsearch.strategies.base import DEFAULT_GENES

    runs = [r for r in Journal(run_dir / "journal.jsonl").read() if r.operator == DEFAULT_GENES and r.result.ok]
    return test_fitness(max(runs, key=lambda r: r.rung)) if runs else float("nan")


def seeds_of(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--part":
        keras_tuner_part(os.environ[ROLE], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("compare_dir", type=Path)
    parser.add_argument("--strategy", default="ga", help="the run whose terms Keras Tuner gets (default: ga)")
    parser.add_argument("--seeds", default="0-9", help="a seed or a range, e.g. 0-9 (default: 0-9)")
    args = parser.parse_args()
    import pandas as pd
    from machine import describe
    from scipy.stats import wilcoxon

    from archsearch.analysis.tables import markdown_table
    from archsearch.autoencoder.config import SearchConfig

    print(describe(), flush=True)
    setup = json.loads((args.compare_dir / "compare.json").read_text())
    seconds = float(setup["seconds"])
    table = args.compare_dir / "keras_tuner.csv"
    rows = pd.read_csv(table).to_dict("records") if table.exists() else []
    for seed in seeds_of(args.seeds):
        if any(row["seed"] == seed for row in rows):
            continue
        run_dir = args.compare_dir / "runs" / f"{args.strategy}-seed{seed}"
        config = SearchConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
        work = args.compare_dir / "keras_tuner" / f"seed{seed}"
        work.mkdir(parents=True, exist_ok=True)
        for stale in work.glob("*"):
            if stale.is_file():
                stale.unlink()
        result = keras_tuner_search(run_dir, work, seconds, config.workers or os.cpu_count() or 1)
        rows.append({"seed": seed, **result})
        print(rows[-1], flush=True)
        pd.DataFrame(rows).sort_values("seed").to_csv(table, index=False)
    frame = pd.DataFrame(rows).sort_values("seed").set_index("seed")
    ours = pd.read_csv(args.compare_dir / "results.csv")
    print(markdown_table(frame.reset_index()))
    for strategy, runs in ours.groupby("strategy"):
        mine = runs.set_index("seed")["test_fitness"].reindex(frame.index).dropna()
        theirs = frame.loc[mine.index, "test mse"]
        if len(mine) == 0:
            continue
        p = wilcoxon(mine, theirs, alternative="less").pvalue if len(mine) >= 5 and (mine != theirs).any() else None
        print(f"{strategy}: median test MSE {mine.median():.5f} against Keras Tuner's {theirs.median():.5f}, lower on "
              f"{int((mine < theirs).sum())} of {len(mine)} seeds" + (f", paired one-sided Wilcoxon p = {p:.4f}"
                                                                       if p is not None else ""))
        defaults = pd.Series({seed: default_genes_test_mse(args.compare_dir / "runs" / f"{strategy}-seed{seed}")
                              for seed in mine.index})
        print(f"  its default genes alone (its first candidate, as it trained them): median test MSE "
              f"{defaults.median():.5f}; the search's winner lower than them on {int((mine < defaults).sum())}, Keras "
              f"Tuner's on {int((theirs < defaults).sum())} of {len(mine)} seeds")


if __name__ == "__main__":
    main()
