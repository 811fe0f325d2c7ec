"""The Dask executor against archsearch's own worker pool: throughput, and the cost of each task.

1. Evaluations per minute with 1 and 2 workers, local pool and Dask `LocalCluster` side by side (goal:
   Dask within 5% of the local executor). The same candidates on both: a random search whose candidates
   all train to one budget of Fashion-MNIST images seen (the default run's second rung), so the work
   does not depend on the order results come back in. Wall time counts from the pool's start (worker
   start-up included, as in a search) to the last result; the records must match.
2. Memory of a long-lived Dask worker: one worker evaluates `--memory-candidates` candidates (each to the
   lowest default rung); the resident memory of the worker process and of its training children is
   sampled every 10 evaluations (goal: flat, as the children are replaced every 20 evaluations).
3. Scheduling overhead per task: a stub evaluator (no TensorFlow, sleeps `--stub-seconds`) on 32
   single-threaded Dask workers, 32 tasks always in flight, each through the whole path a candidate takes
   (client -> scheduler -> worker -> training child and back). Extra time per task (goal: under 20 ms) =
   the mean time from a slot's submit to its next submit, less the sleep, while every slot is busy; and
   over the whole row, wall x 32 / tasks - sleep, which adds the row's start and end: the slots drift
   apart by the jitter of each task and finish one by one. With the training children replaced every 20
   evaluations as in a search, then never (what is left is the cluster's own cost); latency from submit
   to result, and the CPU time per task of this process (client and scheduler), of the Dask workers and
   of their training children.
   Then Dask's client message window (archsearch's 2 ms against Dask's own 10 ms, `--dask-windows`),
   the two taking turns every 320 tasks within one row, so both see the same load on this shared machine.
   And a stub that returns at once: the tasks per second one client and scheduler serve, from which the
   load of a cluster of any size can be read off.

    python benchmarks/dask_executor.py [--candidates 16] [--budget 18048] [--repeats 2] [--memory-candidates 80]
                                       [--tasks 3200] [--stub-seconds 0.5] [--dask-windows 2,10]
                                       [--parts throughput,memory,overhead]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path

import numpy as np
from stub_evaluator import Stub

from archsearch.autoencoder.config import SearchConfig
from archsearch.autoencoder.space_file import load_space
from archsearch.core.rungs import Rungs
from archsearch.run.dask_pool import DaskPool, send_promptly
from archsearch.run.engine import AsyncEngine
from archsearch.run.pool import WorkerPool
from archsearch.strategies import make_strategy

# Nothing here imports TensorFlow at the top: the Dask workers are spawned processes, which import this
# script again (as `__mp_main__`), and each would hold a TensorFlow of its own for nothing.
POOLS = {"local": WorkerPool, "dask": DaskPool}


def real_evaluator() -> tuple:
    """The default search's backprop evaluator on Fashion-MNIST, and its settings."""
    from archsearch.core.quiet import import_quietly

    import_quietly()
    from archsearch.autoencoder.config import fit_to_data
    from archsearch.autoencoder.inner_loops import make_evaluator
    from archsearch.core.data import load_fashion_mnist, split

    dataset = load_fashion_mnist()
    config = fit_to_data(SearchConfig(population=8, seed=0), len(dataset.x_train))
    return make_evaluator(config, split(dataset, config.train_size, config.val_size, config.seed)), config


def throughput(kind: str, workers: int, evaluator, config: SearchConfig, candidates: int, budget: int,
               directory: Path) -> dict:
    strategy = make_strategy("random", load_space(config.space), np.random.default_rng(config.seed),
                             population=config.population)
    directory.mkdir(parents=True)
    start = time.perf_counter()
    with POOLS[kind](evaluator, workers) as pool:
        started = time.perf_counter() - start
        records = AsyncEngine(strategy, pool, config.seed, Rungs(budget, budget), directory).run(candidates)
    wall = time.perf_counter() - start
    return {"wall": wall, "start": started, "per_minute": 60 * len(records) / wall,
            "training": sum(r.result.train_seconds for r in records),
            "records": {(r.genome.key, r.result.status, r.result.fitness) for r in records}}


def memory(evaluator, config: SearchConfig, candidates: int, budget: int, directory: Path) -> list[tuple]:
    """(evaluations done, worker process MiB, its children's MiB) every 10 evaluations on one Dask worker."""
    import psutil

    strategy = make_strategy("random", load_space(config.space), np.random.default_rng(config.seed),
                             population=config.population)
    directory.mkdir(parents=True)
    samples = []
    with DaskPool(evaluator, 1) as pool:
        worker = psutil.Process(next(iter(pool.client.run(os.getpid).values())))

        class Sampled:  # counts evaluations, sampling memory every 10th
            name, inherits = pool.name, pool.inherits
            workers = 1

            def submit(self, *task):
                future = pool.submit(*task)
                future.add_done_callback(lambda _: sample())
                return future

        def sample() -> None:
            children = 0
            for child in worker.children(recursive=True):
                try:
                    children += child.memory_info().rss
                except psutil.Error:  # a training child retired meanwhile
                    pass
            samples.append((len(samples) + 1, worker.memory_info().rss / 2**20, children / 2**20))

        AsyncEngine(strategy, Sampled(), config.seed, Rungs(budget, budget), directory).run(candidates)
    return [row for row in samples if row[0] % 10 == 0]


def cpu_seconds(pool) -> dict[str, float]:
    """CPU seconds so far of this process (the client; for Dask also the scheduler and nannies of its
    LocalCluster), of the Dask worker processes (none for the local pool), and of the training children
    (live ones, and those retired and reaped)."""
    import psutil

    def used(process, children=False) -> float:
        try:
            times = process.cpu_times()
            return times.children_user + times.children_system if children else times.user + times.system
        except psutil.Error:
            return 0.0

    me = psutil.Process()
    workers = [psutil.Process(pid) for pid in pool.client.run(os.getpid).values()] if isinstance(pool, DaskPool) \
        else []
    parents = workers or [me]
    live = [child for parent in parents for child in parent.children(recursive=True)]
    return {"client": used(me), "workers": sum(map(used, workers)),
            "children": sum(map(used, live)) + sum(used(parent, children=True) for parent in parents)}


def overhead(kind: str, workers: int, tasks: int, seconds: float, recycle_after: int,
             windows: tuple = (None,), block: int = 320) -> dict:
    """Keeps `workers` stub tasks in flight on `workers` workers of the `kind` pool until `tasks` have
    finished. Extra time per task, steady = a slot's submit to its next submit, less the sleep (what each
    worker slot loses per task, the loop that submits included), while all slots are busy; over the row =
    wall x workers / tasks - sleep; latency = submit to result in hand, less the sleep; CPU per task of
    each kind of process. With several Dask client message `windows` (seconds; None = archsearch's), they
    take turns every `block` tasks in the same row, so they are compared on the same machine minute;
    "by window" holds each one's steady extra time and latencies."""
    genome = load_space("conv_autoencoder").sample(np.random.default_rng(0))
    start = time.perf_counter()
    with POOLS[kind](Stub(seconds), workers, recycle_after=recycle_after) as pool:
        while pool.workers < workers:
            time.sleep(0.1)
        for future in [pool.submit(genome, i) for i in range(workers)]:  # every training child started
            future.result()
        started = time.perf_counter() - start
        before, begin = cpu_seconds(pool), time.perf_counter()
        submitted, done, running = 0, 0, {}
        freed = []  # (submit time, window) of the tasks whose slot is free
        cycles = {window: [] for window in windows}  # a slot's submit to its next submit
        latencies = {window: [] for window in windows}
        while done < tasks:
            while submitted < tasks and len(running) < workers:
                window = windows[submitted // block % len(windows)]
                if window is not None:
                    send_promptly(pool.client, window)
                now = time.perf_counter()
                if freed:
                    slot_start, slot_window = freed.pop(0)
                    cycles[slot_window].append(now - slot_start)
                running[pool.submit(genome, submitted)] = now, window
                submitted += 1
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            now = time.perf_counter()
            for future in finished:
                freed.append(running.pop(future))
                latencies[freed[-1][1]].append(now - freed[-1][0] - seconds)
                assert future.result().ok, future.result().reason
                done += 1
        wall = time.perf_counter() - begin
        after = cpu_seconds(pool)

    def summary(window) -> dict:
        late = latencies[window]
        return {"steady": float(np.mean(cycles[window])) - seconds, "mean": float(np.mean(late)),
                "median": float(np.median(late)), "p90": float(np.percentile(late, 90)), "tasks": len(late)}

    return {"start": started, "wall": wall, "per_task": wall * workers / tasks - seconds, "served": tasks / wall,
            **summary(windows[0]), "by window": {window: summary(window) for window in windows},
            **{part: (after[part] - before[part]) / tasks for part in after}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="throughput,memory,overhead")
    parser.add_argument("--memory-candidates", type=int, default=80)
    parser.add_argument("--workers", type=lambda text: [int(w) for w in text.split(",")], default=[1, 2],
                        help="worker counts of the throughput part (default: 1,2)")
    parser.add_argument("--candidates", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2, help="rounds of the throughput part, order alternating")
    parser.add_argument("--budget", type=int, default=18048, help="images seen per candidate")
    parser.add_argument("--tasks", type=int, default=3200)
    parser.add_argument("--stub-seconds", type=float, default=0.5)
    parser.add_argument("--stub-workers", type=int, default=32)
    parser.add_argument("--dask-windows", type=lambda text: [float(ms) for ms in text.split(",")], default=[2, 10],
                        help="ms: the Dask client's message windows compared in one row (archsearch's 2, Dask's 10)")
    args = parser.parse_args()
    parts = args.parts.split(",")

    if "throughput" in parts or "memory" in parts:
        evaluator, config = real_evaluator()
    if "throughput" in parts:
        print(f"throughput: {args.candidates} random candidates of {Path(config.space).stem}, each trained to "
              f"{args.budget:,} images seen ({config.train_size:,} training images)\n")
        header = (f"{'workers':>8}{'executor':>10}{'start s':>9}{'wall s':>9}{'training s':>12}{'evals/min':>11}"
                  f"{'vs local':>10}")
        print(header + "\n" + "-" * len(header))
        totals = []
        with tempfile.TemporaryDirectory() as tmp:
            for workers in args.workers:
                walls: dict[str, list[float]] = {kind: [] for kind in POOLS}
                for repeat in range(args.repeats):  # the order alternates, so neither gets the warmer machine
                    kinds = list(POOLS) if repeat % 2 == 0 else list(POOLS)[::-1]
                    rows = {kind: throughput(kind, workers, evaluator, config, args.candidates, args.budget,
                                             Path(tmp) / f"{kind}{workers}-{repeat}") for kind in kinds}
                    for kind, row in rows.items():
                        walls[kind].append(row["wall"])
                        ratio = row["per_minute"] / rows["local"]["per_minute"]
                        print(f"{workers:>8}{kind:>10}{row['start']:>9.1f}{row['wall']:>9.1f}"
                              f"{row['training']:>12.1f}{row['per_minute']:>11.2f}{ratio:>9.3f}x", flush=True)
                    same = rows["local"]["records"] == rows["dask"]["records"]
                    print(f"{'':>8}same records on both: {'yes' if same else 'NO'}", flush=True)
                totals.append((workers, sum(walls["local"]) / sum(walls["dask"])))
        for workers, ratio in totals:
            print(f"{workers} worker(s), all rounds: Dask's evaluations per minute = {ratio:.3f}x the local pool's")
        print()

    if "memory" in parts:
        lowest = config.rungs.budgets[0]
        print(f"memory: one Dask worker, {args.memory_candidates} random candidates each trained to {lowest:,} "
              "images seen, training children replaced every 20 evaluations\n")
        header = f"{'evaluations':>12}{'worker MiB':>12}{'children MiB':>14}"
        print(header + "\n" + "-" * len(header))
        with tempfile.TemporaryDirectory() as tmp:
            for done, worker, children in memory(evaluator, config, args.memory_candidates, lowest,
                                                 Path(tmp) / "memory"):
                print(f"{done:>12}{worker:>12.0f}{children:>14.0f}", flush=True)
        print()

    if "overhead" in parts:
        print(f"overhead: {args.stub_workers} workers, {args.stub_workers} tasks in flight, {args.tasks} tasks a row, "
              f"{args.repeats} rounds, order alternating; ms per task\n")
        # (title, row key, scale, format); ms per task unless said otherwise
        columns = [("wall s", "wall", 1, ".1f"), ("extra/task", "steady", 1000, ".1f"),
                   ("over row", "per_task", 1000, ".1f"), ("latency mean", "mean", 1000, ".1f"),
                   ("median", "median", 1000, ".1f"), ("p90", "p90", 1000, ".1f"), ("tasks/s", "served", 1, ".1f"),
                   ("CPU: client", "client", 1000, ".2f"), ("workers", "workers", 1000, ".2f"),
                   ("children", "children", 1000, ".2f")]
        header = f"{'executor':>9}{'stub':>6}{'children replaced':>18}" + "".join(
            f"{title:>{max(len(title) + 2, 7)}}" for title, *_ in columns)
        print(header + "\n" + "-" * len(header))
        never = 10**9
        rows = [(kind, args.stub_seconds, recycle) for recycle in (20, never) for kind in POOLS]
        for repeat in range(args.repeats):
            for kind, seconds, recycle_after in (rows if repeat % 2 == 0 else rows[::-1]) + \
                    ([("dask", 0.0, never)] if repeat == args.repeats - 1 else []):
                row = overhead(kind, args.stub_workers, args.tasks, seconds, recycle_after)
                every = "never" if recycle_after == never else f"every {recycle_after}"
                print(f"{kind:>9}{seconds:>5.1f}s{every:>18}" + "".join(
                    f"{scale * row[key]:>{max(len(title) + 2, 7)}{fmt}}" for title, key, scale, fmt in columns),
                      flush=True)
        if len(args.dask_windows) > 1:
            windows = tuple(ms / 1000 for ms in args.dask_windows)
            tasks = args.tasks * len(windows)
            block = min(320, max(1, tasks // (4 * len(windows))))  # each window has at least 4 turns
            print(f"\nthe Dask client's message window: {', '.join(f'{ms:g} ms' for ms in args.dask_windows)}, "
                  f"taking turns every {block} tasks in one row of {tasks} (children never replaced)\n")
            titles = ("window ms", "extra/task", "latency mean", "median", "p90", "tasks")
            print("".join(f"{title:>{max(len(title) + 2, 7)}}" for title in titles) + "\n" + "-" * 64)
            by_window = overhead("dask", args.stub_workers, tasks, args.stub_seconds, never, windows,
                                 block)["by window"]
            for window, row in by_window.items():
                cells = [1000 * window] + [1000 * row[key] for key in ("steady", "mean", "median", "p90")]
                print("".join(f"{cell:>{max(len(title) + 2, 7)}.1f}" for title, cell in zip(titles, cells)) +
                      f"{row['tasks']:>7}", flush=True)

if __name__ == "__main__":
    main()
