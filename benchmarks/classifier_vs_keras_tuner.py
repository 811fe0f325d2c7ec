"""`archsearch search --task classifier` against Keras Tuner's Hyperband at equal wall time (issue 32's second
goal: median test error over the seeds at most 0.9x Keras Tuner's). Needs the benchmark extra (`pip install
-e ".[benchmark]"`); archsearch itself never imports Keras Tuner.

Per seed, first our command as a user runs it (`classifier_search.run_once`), then Keras Tuner on the terms
read from that run's `config.json`:
- the space: the classifier's `Space`, asked parameter by parameter through Keras Tuner's HyperParameters
  (the define-by-run walk TPE uses), each parameter's default the space's default candidate's value; the
  model is built by the classifier's own `build`, with its loss, metric and parameter limit;
- the first trial: the space's defaults trained to the top budget, as our engine trains its first candidate
  (outside Hyperband's brackets; before 2026-12-06, Hyperband's first random trial at its lowest epochs);
  every trial's weights drawn from the seed our engine gives the same candidate (since 2026-12-06; before,
  from Keras Tuner's random state, which cost the autoencoder peer's first trial 2.4-2.7%);
- the data: our split for the seed (the same training, validation and test images);
- the schedule: an "epoch" is the lowest rung's samples on an endless shuffled stream, Hyperband's
  `max_epochs` is the top budget in those epochs, factor 3, so its brackets use our rungs; the learning rate
  follows the same cosine decay over the top budget (a promoted trial continues it from its step, though its
  optimizer's moments restart: Keras Tuner keeps weights only);
- parallel trials: as many worker processes as our run had workers, each with the same threads, around
  Keras Tuner's own chief oracle (its gRPC distribution);
- the clock: no trial starts after our time limit (one running then finishes: more time than we get, since
  our engine starts no job that would end after it); wall time is counted from start-up to the test score.
  Its result is given as it stood when our whole command's wall time had passed (the trials finished by
  then: equal wall time), and as it ended;
- the selection rule: ours, the trial trained furthest first, then the best validation accuracy (Keras
  Tuner's best-epoch checkpoint of it); Keras Tuner's own (the best validation accuracy at any epoch) is
  given beside it.

    python benchmarks/classifier_vs_keras_tuner.py [--seeds 5] [--keep DIR] [-- extra search arguments]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
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


def our_run(run_dir: Path):
    """The settings and data split of our run of the seed, as Keras Tuner is to get them."""
    from archsearch.classifier.task import task
    from archsearch.core.data import split
    from archsearch.tasks.run import task_data
    from archsearch.tasks.settings import TaskSettings

    config = TaskSettings.from_dict(json.loads((run_dir / "config.json").read_text()))
    dataset = task_data(task)
    return config, split(dataset, config.train_size, config.val_size, config.seed, config.test_size)


def keras_tuner_part(role: str, run_dir: Path, work: Path) -> None:
    """One process of Keras Tuner's distributed search: the chief (its oracle) or a worker (trials)."""
    import keras
    import keras_tuner
    import tensorflow as tf

    from archsearch.classifier.task import task
    from archsearch.run.candidates import candidate_seed
    from archsearch.tasks.evaluator import compile_model
    from archsearch.tasks.keras_task import targets_of
    from archsearch.training.keras_parts import fresh_keras_state

    config, splits = our_run(run_dir)
    space, rungs = task.space, config.rungs
    epoch_samples, top = rungs.budgets[0], rungs.budgets[-1]
    defaults = default_values(space)
    targets = targets_of(splits.y_train, splits.y_val, splits.y_test)

    def params_of(hp):
        return candidate_of(hp, space, defaults)

    class ClassifierSpace(keras_tuner.HyperModel):
        def build(self, hp):
            params = params_of(hp)
            fresh_keras_state(candidate_seed(config.seed, params))  # the weights our engine draws for them
            model = task.make_model(params, splits.x_train.shape[1:], targets)
            compile_model(task, model, params, schedule_budget=top)
            return model

        def fit(self, hp, model, *args, **kwargs):
            batch = task.training(params_of(hp)).batch_size
            steps = max(1, epoch_samples // batch)
            model.optimizer.iterations.assign(kwargs.get("initial_epoch", 0) * steps)  # the schedule goes on
            stream = (tf.data.Dataset.from_tensor_slices((splits.x_train, splits.y_train))
                      .shuffle(len(splits.x_train), seed=config.seed).repeat().batch(batch))
            return model.fit(stream, steps_per_epoch=steps, validation_data=(splits.x_val, splits.y_val),
                             **{"verbose": 0, **kwargs})

    started = time.monotonic()
    oracle_class = defaults_first_hyperband(lambda: time.monotonic() - started >= config.time_limit)
    tuner_class = logged_tuner(work / f"trials-{role}.jsonl", lambda trial, history: {
        "best_val_accuracy": max(history.history["val_accuracy"]), "params": params_of(trial.hyperparameters).plain})
    keras.utils.set_random_seed(config.seed)
    oracle = oracle_class(objective=keras_tuner.Objective("val_accuracy", "max"),
                          max_epochs=round(top / epoch_samples), factor=rungs.eta, hyperband_iterations=1000,
                          seed=config.seed, max_consecutive_failed_trials=1000)
    tuner = tuner_class(oracle=oracle, hypermodel=ClassifierSpace(), directory=str(work), project_name="kt",
                        max_model_size=config.max_params)
    tuner.search(verbose=0)


def keras_tuner_search(run_dir: Path, work: Path, our_wall: float) -> dict:
    """Keras Tuner's whole search on our run's terms, then its chosen model's test accuracy: as it ended, and
    among the trials it had finished after `our_wall` seconds."""
    from archsearch.tasks.settings import TaskSettings

    config = TaskSettings.from_dict(json.loads((run_dir / "config.json").read_text()))
    workers = config.workers or os.cpu_count()
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    started, started_at = time.perf_counter(), time.time()
    chief, parts = start_distributed(__file__, [str(run_dir), str(work)], work, workers, threads,
                                     str(BENCHMARKS.parent))
    for part in parts:
        part.wait()
    stop(chief)  # it would wait for more workers
    wall = time.perf_counter() - started
    trials = [json.loads(line) for file in work.glob("trials-tuner*.jsonl") for line in file.read_text().splitlines()]
    if not trials:
        raise SystemExit(f"Keras Tuner finished no trial: see {work}/*.log")
    chosen = max(trials, key=lambda t: (t["epochs"], t["best_val_accuracy"]))  # top rung first, as ours
    in_time = [t for t in trials if t["ended"] <= started_at + our_wall]
    chosen_in_time = max(in_time, key=lambda t: (t["epochs"], t["best_val_accuracy"])) if in_time else None
    own_rule = max(in_time, key=lambda t: t["best_val_accuracy"]) if in_time else None
    return {"wall s": round(wall, 1), "test accuracy": round(test_accuracy(run_dir, chosen), 4),
            "test accuracy at our wall time": round(test_accuracy(run_dir, chosen_in_time), 4) if in_time else None,
            "test accuracy at our wall time, its own rule": round(test_accuracy(run_dir, own_rule), 4)
            if in_time else None,
            "val accuracy": round(chosen["best_val_accuracy"], 4), "trials": len(trials),
            "epochs of chosen": chosen["epochs"],
            "top epochs": round(config.rungs.budgets[-1] / config.rungs.budgets[0]),
            "chosen is the default": chosen["trial"] == min(t["trial"] for t in trials)}


def test_accuracy(run_dir: Path, trial: dict) -> float:
    from archsearch.classifier.task import task
    from archsearch.core.space.params import Params
    from archsearch.tasks.evaluator import compile_model, scores
    from archsearch.tasks.keras_task import targets_of

    _, splits = our_run(run_dir)
    params = Params(trial["params"])
    model = task.make_model(params, splits.x_train.shape[1:], targets_of(splits.y_train, splits.y_val, splits.y_test))
    compile_model(task, model, params)
    model.load_weights(trial["checkpoint"])
    return scores(model, splits.x_test, splits.y_test, "test_")["test_accuracy"]


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--part":
        keras_tuner_part(os.environ[ROLE], Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the run directories here")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    sys.path.insert(0, str(BENCHMARKS))
    import numpy as np
    import pandas as pd
    from classifier_search import run_once
    from machine import describe
    from scipy.stats import wilcoxon

    from archsearch.analysis.tables import markdown_table

    print(describe(), flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        rows = []
        for seed in range(args.seeds):
            ours = run_once(seed, extra, directory)
            work = directory / f"kt-seed{seed}"
            work.mkdir(parents=True, exist_ok=True)
            theirs = keras_tuner_search(directory / f"seed{seed}", work, ours["wall s"])
            rows.append({"seed": seed, "ours wall s": ours["wall s"], "ours test accuracy": ours["test accuracy"],
                         "ours winner is the default": ours["winner is the default"],
                         **{f"kt {name}": value for name, value in theirs.items()}})
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    print(markdown_table(frame))
    ours = 1 - frame["ours test accuracy"]
    for column in ("kt test accuracy at our wall time", "kt test accuracy at our wall time, its own rule",
                   "kt test accuracy"):
        theirs = 1 - frame[column]
        print(f"median test error: ours {ours.median():.4f}, Keras Tuner Hyperband ({column[3:]}) "
              f"{theirs.median():.4f}, ratio {ours.median() / theirs.median():.3f} (goal <= 0.9); "
              f"wins {int(np.sum(ours < theirs))} of {len(frame)}"
              + (f", paired one-sided Wilcoxon p = {wilcoxon(ours, theirs, alternative='less').pvalue:.3f}"
                 if len(frame) >= 5 else ""))


if __name__ == "__main__":
    main()
