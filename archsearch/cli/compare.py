"""`archsearch compare`: the command line of a strategy comparison (a thin layer over `comparison`), on the
autoencoder search or on your own task (`--task FILE.py`, as `archsearch search --task`)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from archsearch.cli.options import (
    DEFAULTS,
    add_augment_option,
    add_clock_options,
    add_fidelity_options,
    add_inner_options,
    add_latent_option,
    add_training_options,
    add_worker_options,
    given_settings,
)
from archsearch.core.errors import ArchsearchError
from archsearch.core.quiet import import_quietly

STRATEGIES_DEFAULT = "random,tournament,evolution,de,ga,nsga2,optuna-tpe"
SEEDS_DEFAULT, BUDGET_DEFAULT, TEST_SIZE_DEFAULT = 3, 40, 2000


def add_compare_parser(commands) -> None:
    c = commands.add_parser("compare", help="compare search strategies on equal budgets over several seeds")
    c.add_argument("space", nargs="?", help=f"search space name or .toml path (default: {DEFAULTS.space})")
    c.add_argument("--task", help="compare on your own task instead of the autoencoder search: a .py file (or "
                                  "package.module:name) defining a KerasTask named `task`, or classifier; or a "
                                  "simulated benchmark (milliseconds an evaluation, in simulated seconds): layered, "
                                  "surrogate[:CODE_SIZE|free] (fitted on the journals under --data-dir, "
                                  "results/reference by default), lcbench[:OPENML_TASK] (--data-dir: a copy of "
                                  "github.com/slds-lmu/yahpo_data)")
    c.add_argument("--strategies", default=STRATEGIES_DEFAULT,
                   help=f"comma-separated strategy names, each optionally STRATEGY:FIDELITY under --seconds "
                        f"(default: {STRATEGIES_DEFAULT})")
    c.add_argument("--seeds", type=int, default=SEEDS_DEFAULT, help=f"seeds per strategy (default: {SEEDS_DEFAULT})")
    c.add_argument("--budget", type=int, default=BUDGET_DEFAULT,
                   help=f"evaluations per strategy and seed (default: {BUDGET_DEFAULT})")
    c.add_argument("--seconds", type=float,
                   help="equal wall time instead: each strategy x seed searches this long (no job starts later). "
                        "Fidelities then default to asha, and a strategy may name its own: ga:full trains every "
                        "candidate to the top budget")
    c.add_argument("--population", type=int, help=f"batch size of every strategy (default: {DEFAULTS.population})")
    c.add_argument("--out", type=Path, help="comparison directory (default: results/compare/TIMESTAMP-SPACE)")
    add_training_options(c)
    add_inner_options(c, winner=False)
    add_fidelity_options(c)
    add_latent_option(c)
    add_augment_option(c)
    add_clock_options(c)
    c.add_argument("--test-size", type=int, default=TEST_SIZE_DEFAULT,
                   help=f"test images each candidate is also scored on (default: {TEST_SIZE_DEFAULT})")
    c.add_argument("--resume", action="store_true", help="continue the comparison in --out where it stopped")
    add_worker_options(c)


# --budget and --seconds are each cell's, passed to `compare` beside the base settings
CELL_SETTINGS = ("budget", "seconds")


def recorded_task(args: argparse.Namespace) -> str | None:
    """The task file (or simulated benchmark) of the comparison `--resume` continues (None: the
    autoencoder's, or none there)."""
    setup = args.out / "compare.json" if args.resume and args.out is not None else None
    if setup is None or not setup.is_file():
        return None
    base = json.loads(setup.read_text()).get("base", {})
    if base.get("task") == "simulated":
        return base.get("space")
    return base.get("source") if base.get("task") == "keras" else None


def _task_comparison(args: argparse.Namespace, source: str):
    """Your own task, its base settings (the task's defaults under the flags given) and its data."""
    from archsearch.cli.task_search import load_task_of
    from archsearch.tasks.settings import TaskSettings

    task = load_task_of(args, source)
    from archsearch.tasks.run import KerasTaskRun, comparison_settings, task_data

    base = comparison_settings(task, args.seconds, **given_settings(args, TaskSettings, leave_out=CELL_SETTINGS))
    return KerasTaskRun(task), base, lambda: task_data(task, base.data_file)


def _simulated_comparison(args: argparse.Namespace):
    """A simulated benchmark, its settings under the flags given, and no data."""
    from archsearch.simulated.catalog import load_benchmark
    from archsearch.simulated.task import NO_DATA, SimulatedSettings, SimulatedTask

    if args.seconds is None:
        raise ArchsearchError(f"--task {args.task}: needs --seconds (simulated seconds each run searches)")
    base = SimulatedSettings().with_overrides(**given_settings(args, SimulatedSettings, leave_out=CELL_SETTINGS))
    return SimulatedTask(load_benchmark(args.task, base.data_dir)), base, lambda: NO_DATA


def _autoencoder_comparison(args: argparse.Namespace):
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.autoencoder.task import AUTOENCODER

    base = SearchConfig().with_overrides(**given_settings(args, SearchConfig, leave_out=CELL_SETTINGS))

    def dataset():
        from archsearch.core.data import load_dataset

        return load_dataset(base.data_dir, base.data_file)

    return AUTOENCODER, base, dataset


def run_compare(args: argparse.Namespace) -> int:
    from archsearch.comparison.cells import check_comparison
    from archsearch.run.dask_pool import check_scheduler_of
    from archsearch.simulated.catalog import is_benchmark

    source = args.task if args.task not in (None, "autoencoder") else recorded_task(args)
    if is_benchmark(source):
        task, base, dataset = _simulated_comparison(args)
    else:
        import_quietly()  # a task's module imports Keras: without TensorFlow's start-up lines above an error
        task, base, dataset = _task_comparison(args, source) if source else _autoencoder_comparison(args)
    strategies = tuple(s.strip() for s in args.strategies.split(",") if s.strip())
    check_comparison(task, base, strategies, args.seeds, args.budget, args.seconds)  # fail before slow imports
    check_scheduler_of(base)
    name = task.name if source else Path(base.space).stem
    out = args.out or Path("results") / "compare" / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}"
    if (out / "compare.json").is_file() and not args.resume:
        raise ArchsearchError(f"{out} already holds a comparison: pass --resume to continue it, "
                              "or choose another --out")
    if args.resume and not (out / "compare.json").is_file():
        raise ArchsearchError(f"--out {out}: no comparison to resume here (no compare.json)")
    import_quietly()
    from archsearch.cli.progress import ComparisonProgress
    from archsearch.comparison.compare import compare

    dataset = dataset()
    runs = len(strategies) * args.seeds
    total = None if args.seconds is not None else runs * args.budget
    progress = ComparisonProgress(total, fitness_label=base.fitness_label, seconds=args.seconds)
    console = progress.console
    each = (f"{args.seconds:g} s each = {runs * args.seconds / 60:.0f} min" if args.seconds is not None
            else f"{args.budget} evaluations each = {total} evaluations")
    console.print(f"archsearch compare: {', '.join(strategies)} on {name}, {args.seeds} seeds x "
                  f"{each}\n"
                  f"directory: {out}")
    command = "archsearch " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--resume")
    resume = f"{command} --resume" if args.out is not None else f"{command} --out {out} --resume"
    started = time.perf_counter()
    try:
        with progress:
            report = compare(base, out, strategies, args.seeds, args.budget, dataset, progress, command,
                             seconds=args.seconds, task=task)
    except KeyboardInterrupt:
        console.print(f"\ninterrupted: every finished evaluation is in {out}/runs/*/journal.jsonl.\n"
                      f"resume with: {resume}")
        return 130
    _print_summary(report, console, time.perf_counter() - started, base.fitness_label)
    return 0


def _print_summary(report, console, seconds: float, fitness: str) -> None:
    from archsearch.cli.tables import readable_table

    rows = [[str(position), row.strategy, f"{row.median_best:.5f}", f"{row.q25:.5f}-{row.q75:.5f}",
             f"{row.median_test:.5f}", f"{row.mean_rank:.2f}", f"{row.wall_seconds:.0f}"]
            for position, row in enumerate(report.summary.itertuples(), start=1)]
    console.print(readable_table(f"strategies by mean rank (best {fitness} of each run)",
                                 ["rank", "strategy", "median best", "IQR", "median test", "mean rank", "wall s"],
                                 rows, text=("strategy",)))
    console.print(f"took {seconds:.0f} s; written to {report.out}: summary.md (paired tests in words), results.csv, "
                  f"evaluations.csv, {', '.join(report.files)}")
