"""Share of a search's core-seconds not spent training (goal: under 5%).

Runs the default search (the settings `archsearch search` resolves for Fashion-MNIST: GA, multi-fidelity
rungs of images seen, 48 candidates) through the engine, in one or more modes: a pool of single-threaded
worker processes, one per core (the default), one worker process, or in this process. It splits the
core-seconds of the run (wall x workers, worker start-up included) into
- training: each evaluation's fitting and validation scoring (`train_seconds`; graph tracing included);
- per-evaluation overhead: clearing the session, building, compiling, loading and saving checkpoints;
- outside the evaluations: strategy, promotion, journal (an fsync per line), worker start-up, transfers,
  and workers idle while the last jobs finish.
overhead = 1 - training / (wall x workers).

    python benchmarks/overhead.py [--modes pool,worker,inprocess] [--fidelity asha|off] [--population 8]
                                  [--generations 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np

from archsearch.core.quiet import import_quietly

import_quietly()

from archsearch.autoencoder.config import SearchConfig, fit_to_data  # noqa: E402
from archsearch.autoencoder.inner_loops import make_evaluator  # noqa: E402
from archsearch.autoencoder.space_file import load_space  # noqa: E402
from archsearch.core.data import load_fashion_mnist, split  # noqa: E402
from archsearch.run.engine import AsyncEngine  # noqa: E402
from archsearch.run.journal import Journal  # noqa: E402
from archsearch.run.pool import WorkerPool, default_workers  # noqa: E402
from archsearch.strategies import make_strategy  # noqa: E402


def measure(make_pool, config: SearchConfig, directory: Path, workers: int) -> dict[str, float]:
    strategy = make_strategy(config.strategy, load_space(config.space), np.random.default_rng(config.seed),
                             population=config.population)
    (directory / "checkpoints").mkdir(parents=True)
    start = time.perf_counter()
    with make_pool() as evaluator:  # worker start-up counts: it is part of a search's wall time
        engine = AsyncEngine(strategy, evaluator, config.seed, config.rungs, directory / "checkpoints",
                             Journal(directory / "journal.jsonl"))
        records = engine.run(config.evaluations)
    wall = time.perf_counter() - start
    trained = [r for r in records if r.cached_from is None]
    training = sum(r.result.train_seconds for r in trained)
    evaluating = sum(r.result.seconds for r in trained)
    return {"evaluations": len(records), "workers": workers, "wall": wall, "training": training,
            "in_evaluation": evaluating - training, "outside": wall * workers - evaluating,
            "overhead_share": 1 - training / (wall * workers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="pool", help="comma-separated: pool, worker, inprocess")
    parser.add_argument("--fidelity", default=None, help="asha or off (default: what `archsearch search` uses)")
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    dataset = load_fashion_mnist()
    config = fit_to_data(SearchConfig(population=args.population, generations=args.generations, seed=args.seed,
                                      fidelity=args.fidelity), len(dataset.x_train))
    splits = split(dataset, config.train_size, config.val_size, config.seed)
    evaluator = make_evaluator(config, splits)
    workers = default_workers()
    modes = {"pool": (f"pool of {workers} (default)", lambda: WorkerPool(evaluator, workers), workers),
             "worker": ("1 worker process", lambda: WorkerPool(evaluator, 1), 1),
             "inprocess": ("in this process", lambda: contextlib.nullcontext(evaluator), 1)}
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, name in enumerate(args.modes.split(",")):
            label, make, count = modes[name]
            rows[label] = measure(make, config, Path(tmp) / str(number), count)

    print(f"{config.strategy} on {config.space}: {config.evaluations} candidates, {config.candidate_training()}\n")
    header = (f"{'mode':<24}{'evals':>6}{'wall s':>9}{'training s':>12}{'in-eval s':>11}{'outside s':>11}"
              f"{'overhead':>10}")
    print(header)
    print("-" * len(header))
    for mode, r in rows.items():
        print(f"{mode:<24}{r['evaluations']:>6}{r['wall']:>9.1f}{r['training']:>12.1f}{r['in_evaluation']:>11.1f}"
              f"{r['outside']:>11.1f}{100 * r['overhead_share']:>9.1f}%")


if __name__ == "__main__":
    main()
