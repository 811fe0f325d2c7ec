"""`archsearch search --task FILE.py` (or module:attribute): your own task from the command line, with the
same options, progress, Ctrl-C and `--resume` as the autoencoder search. A resumed run finds its task
again from its `config.json`, so `--resume --out DIR` is enough."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from archsearch.autoencoder.config import SearchConfig
from archsearch.cli.options import given_settings, resolve_config
from archsearch.core.errors import ArchsearchError
from archsearch.core.quiet import import_quietly
from archsearch.run.dask_pool import check_scheduler_of
from archsearch.run.run_dir import CONFIG, JOURNAL
from archsearch.run.settings import read_settings

BUILT_IN = ("autoencoder",)


def recorded_task(args: argparse.Namespace) -> str | None:
    """The task a resumed run directory was searching with (None: the autoencoder's, or no run there)."""
    if not args.resume or args.out is None or not (args.out / CONFIG).is_file():
        return None
    settings = read_settings(args.out / CONFIG)
    return settings.get("source") if settings.get("task") == "keras" else None


def wants_own_task(args: argparse.Namespace) -> bool:
    return (args.task is not None and args.task not in BUILT_IN) or recorded_task(args) is not None


def load_task_of(args: argparse.Namespace, source: str):
    """The `--task` a command names (a file, module:attribute or built-in name), after one-line checks of
    the flags and the file (before Keras is imported)."""
    from archsearch.tasks.loading import BUILT_IN_TASKS, source_file
    from archsearch.tasks.settings import TaskSettings

    refuse_autoencoder_options(args, TaskSettings)
    file = source_file(BUILT_IN_TASKS.get(source, source))
    if file is not None and not Path(file).is_file():
        raise ArchsearchError(f"--task {file}: no such file")
    import_quietly()  # the task's file imports Keras
    from archsearch.tasks.loading import load_task

    return load_task(source)


def run_task_search(args: argparse.Namespace) -> int:
    from archsearch.tasks.settings import TaskSettings, check_task_settings, fit_task_to_data

    task = load_task_of(args, args.task or recorded_task(args))
    from archsearch.analysis.run_reports import standard_reports
    from archsearch.cli.progress import SearchProgress, run_in_terminal, took_words
    from archsearch.run.runner import check_clock, run_task
    from archsearch.tasks.run import KerasTaskRun, task_data, task_settings

    config, out = resolve_config(args, TaskSettings, given_settings(args, TaskSettings), lambda c: task.name)
    if not args.resume:
        config = task_settings(task, **given_settings(args, TaskSettings))  # the task's defaults where no flag
    check_task_settings(config)
    check_scheduler_of(config)
    check_clock(KerasTaskRun(task), config)
    dataset = task_data(task, config.data_file)
    config = fit_task_to_data(config, len(dataset.x_train))
    progress = SearchProgress.of_run(config)
    banner = (f"archsearch: {config.strategy} on task {task.name} ({task.source}), population {config.population}, "
              f"seed {config.seed}\ndata: {len(dataset.x_train)} training samples {dataset.image_shape} from "
              f"{dataset.source}; {config.candidate_training()}\nrun directory: {out}")
    report, seconds = run_in_terminal(
        lambda observer: run_task(KerasTaskRun(task), config, out, args.resume, observer, dataset,
                                  progress.console.print, standard_reports),
        progress, banner, out / JOURNAL, f"archsearch search --out {out} --resume")
    if report is None:
        return 130
    _print_report(report, config, progress.console, took_words(seconds, args.resume))
    return 0


def refuse_autoencoder_options(args: argparse.Namespace, settings_class: type) -> None:
    """One line for a flag of the autoencoder search that a Keras task has no use for."""
    own = {f.name for f in fields(settings_class)}
    for name, value in given_settings(args, SearchConfig).items():
        if value is not None and name not in own:
            raise ArchsearchError(f"--{name.replace('_', '-')}: an option of the autoencoder search, not of --task")
    if args.space is not None:
        raise ArchsearchError(f"{args.space}: a space file is the autoencoder search's; a task brings its own space")


def _print_report(report, config, console, took: str) -> None:
    from archsearch.cli.tables import readable_table

    multi_fidelity = config.rungs is not None
    rows = [[str(rank), str(r.candidate if r.candidate is not None else r.index),
             *([f"{r.budget:,}"] if multi_fidelity else []), f"{r.result.fitness:.5f}", f"{r.result.params:,}",
             r.genome.describe()] for rank, r in enumerate(report.best, start=1)]
    console.print(readable_table(f"best candidates ({config.fitness_label} during the search)",
                                 ["rank", "candidate", *([config.budget_unit] if multi_fidelity else []),
                                  config.fitness_label, "params", "parameters"], rows, text=("parameters",)))
    failed = sum(not r.result.ok for r in report.records)
    console.print(f"{len(report.records)} evaluations ({failed} failed or invalid); {took}")
    if report.final is None:
        console.print("no candidate trained successfully: nothing to hand over")
        return
    scored = ", ".join(f"{name} {value:.5g}" for name, value in report.final.metrics.items()
                       if name.startswith("test_"))
    console.print(f"best model, after {report.final.how}: {scored}")
    console.print(f"written: {Path(report.run_dir) / 'best' / 'model.keras'} (load with keras.models.load_model), "
                  f"genome.json, summary.txt, metrics.json; {report.run_dir}/evaluations.csv")
