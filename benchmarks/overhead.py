"""Share of a search's wall time not spent training (goal: under 5%).

Runs the same small GA search on Fashion-MNIST three ways: a pool of single-threaded worker processes,
one per core (the default), one worker process, and in this process. It splits the wall time of the
search loop into
- training: `model.fit` of every candidate, graph tracing of its first epoch included;
- per-candidate overhead inside the evaluation: clearing the session, building, compiling, scoring;
- outside the evaluations: strategy, operators, journal (fsync per record), worker start-up and transfers.
With several workers the budget is wall x workers (core-seconds): overhead = 1 - training / (wall x workers).

    python benchmarks/overhead.py [--population 8] [--generations 5] [--train-size 2000] [--epochs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np

from archsearch.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from archsearch.evaluation.backprop import BackpropEvaluator, TrainingSettings  # noqa: E402
from archsearch.evaluation.data import load_fashion_mnist, split  # noqa: E402
from archsearch.evaluation.pool import WorkerPool, default_workers  # noqa: E402
from archsearch.run.journal import Journal  # noqa: E402
from archsearch.run.engine import AsyncEngine  # noqa: E402
from archsearch.space_file import load_space  # noqa: E402
from archsearch.strategies import make_strategy  # noqa: E402


def measure(evaluator, args, space, directory: Path, workers: int = 1) -> dict[str, float]:
    strategy = make_strategy("ga", space, np.random.default_rng(args.seed), population=args.population)
    engine = AsyncEngine(strategy, evaluator, args.seed, journal=Journal(directory / "journal.jsonl"))
    start = time.perf_counter()
    records = engine.run(args.population * (args.generations + 1))
    wall = time.perf_counter() - start
    trained = [r for r in records if r.cached_from is None]
    training = sum(r.result.train_seconds for r in trained)
    evaluating = sum(r.result.seconds for r in trained)
    return {"evaluations": len(records), "workers": workers, "wall": wall, "training": training,
            "in_evaluation": evaluating - training, "outside": wall * workers - evaluating,
            "overhead_share": 1 - training / (wall * workers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--train-size", type=int, default=2000)
    parser.add_argument("--val-size", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    splits = split(load_fashion_mnist(), args.train_size, args.val_size, args.seed)
    space = load_space("conv_autoencoder")
    backprop = BackpropEvaluator(splits.x_train, splits.x_val, TrainingSettings(epochs=args.epochs))
    workers = default_workers()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        modes = [(f"pool of {workers} (default)", lambda: WorkerPool(backprop, workers), workers),
                 ("1 worker process", lambda: WorkerPool(backprop, 1), 1),
                 ("in this process", lambda: contextlib.nullcontext(backprop), 1)]
        for number, (mode, make, count) in enumerate(modes):
            (Path(tmp) / str(number)).mkdir()
            with make() as evaluator:  # worker start-up counts: it is part of a search's wall time
                rows[mode] = measure(evaluator, args, space, Path(tmp) / str(number), count)

    print(f"GA on conv_autoencoder: population {args.population}, {args.generations} generations, "
          f"{args.train_size} training images, {args.epochs} epochs\n")
    header = (f"{'mode':<24}{'evals':>6}{'wall s':>9}{'training s':>12}{'in-eval s':>11}{'outside s':>11}"
              f"{'overhead':>10}{'speed-up':>10}")
    serial = rows["in this process"]["wall"]
    print(header)
    print("-" * len(header))
    for mode, r in rows.items():
        print(f"{mode:<24}{r['evaluations']:>6}{r['wall']:>9.1f}{r['training']:>12.1f}{r['in_evaluation']:>11.1f}"
              f"{r['outside']:>11.1f}{100 * r['overhead_share']:>9.1f}%{serial / r['wall']:>9.2f}x")


if __name__ == "__main__":
    main()
