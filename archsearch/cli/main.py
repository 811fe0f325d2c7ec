"""`archsearch` command line: argument parsing and printing over the library (`autoencoder.task`, `transfer.task`, ...).

Errors of the run (bad space file, missing data, inconsistent resume) print one line and exit with
status 2; Ctrl-C leaves the journal intact and prints the command that resumes the run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archsearch.autoencoder.config import SearchConfig, check_config, check_labels_for_objectives, fit_to_data
from archsearch.cli.compare import add_compare_parser, run_compare
from archsearch.cli.latent import add_latent_parser, run_latent
from archsearch.cli.options import (
    DEFAULTS,
    add_augment_option,
    add_clock_options,
    add_fidelity_options,
    add_inner_options,
    add_latent_option,
    add_run_options,
    add_training_options,
    add_worker_options,
    given_settings,
    resolve_config,
)
from archsearch.cli.task_search import run_task_search, wants_own_task
from archsearch.cli.transfer import add_transfer_parser, run_transfer
from archsearch.cli.weights import add_evolve_weights_parser, run_evolve_weights
from archsearch.core.data import load_dataset
from archsearch.core.errors import ArchsearchError
from archsearch.core.objectives import LATENT_METRICS
from archsearch.core.quiet import import_quietly
from archsearch.run.dask_pool import check_scheduler_of
from archsearch.run.run_dir import require_run_dir, task_of


class OneLineErrors(argparse.ArgumentParser):
    """A mistyped option is one line and status 2, as every other bad input is; argparse would print the
    whole usage (thirty lines for `search`) above it. Its sub-commands' parsers are of this class too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (options: {self.prog} -h)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(prog="archsearch", description="Genetic algorithms that design autoencoders.")
    commands = parser.add_subparsers(dest="command", required=True)

    s = commands.add_parser("search", help="search for the best autoencoder, or the best model of your own task")
    s.add_argument("space", nargs="?", help=f"search space name in search_spaces/ or a .toml path "
                                            f"(default: {DEFAULTS.space})")
    s.add_argument("--task", help="what to search: autoencoder (the default), or your own task: a .py file (or "
                                  "package.module:name) defining a KerasTask named `task`, see examples/")
    add_run_options(s)
    s.add_argument("--out", type=Path, help="run directory (default: results/runs/TIMESTAMP-SPACE-STRATEGY)")
    add_training_options(s)
    add_fidelity_options(s)
    s.add_argument("--final-train-size", type=int,
                   help=f"training images for retraining the best (default: {DEFAULTS.final_train_size})")
    s.add_argument("--final-epochs", type=int,
                   help=f"epochs for retraining the best (default: {DEFAULTS.final_epochs})")
    add_inner_options(s)
    s.add_argument("--inherit-weights", action="store_true", default=None,
                   help="weight inheritance: an offspring starts from its first parent's trained weights for the "
                        "layers they share (backprop only)")
    s.add_argument("--objectives", type=_names, metavar="NAME[,NAME]",
                   help="nsga2: what to minimise beside the validation loss (default: params). Latent metrics of "
                        f"each candidate's validation codes, minimised as 1 - metric: {', '.join(LATENT_METRICS)}")
    add_latent_option(s)
    add_augment_option(s)
    add_clock_options(s, default="predicted for a backprop autoencoder search, wall otherwise")
    s.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help=f"start no job after this many seconds of searching, nor one that would end later, even "
                        f"if candidates remain; 0: no limit, so the seed alone fixes the history (default: "
                        f"{DEFAULTS.time_limit:g})")
    s.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")
    add_worker_options(s)

    add_compare_parser(commands)
    add_evolve_weights_parser(commands)
    add_latent_parser(commands)
    add_transfer_parser(commands)

    e = commands.add_parser("export", help="retrain and export a run's best candidates")
    e.add_argument("run_dir", type=Path)
    e.add_argument("--top", type=int, default=3, help="how many of the best distinct genomes (default: 3)")
    e.add_argument("--to", type=Path, help="target directory (default: RUN_DIR/export)")
    e.add_argument("--pareto", action="store_true",
                   help="export every member of the run's Pareto front (loss against its other objectives) instead")
    return parser


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "search":
            return _search(args)
        if args.command == "compare":
            return run_compare(args)
        if args.command == "evolve-weights":
            return run_evolve_weights(args)
        if args.command == "latent":
            return run_latent(args)
        if args.command == "transfer":
            return run_transfer(args)
        return _export(args)
    except ArchsearchError as exc:
        print(f"archsearch: error: {exc}", file=sys.stderr)
        return 2


def _config_from(args: argparse.Namespace) -> tuple[SearchConfig, Path]:
    return resolve_config(args, SearchConfig, given_settings(args, SearchConfig),
                          lambda config: Path(config.space).stem)


def _search(args: argparse.Namespace) -> int:
    if wants_own_task(args):
        return run_task_search(args)
    config, out = _config_from(args)
    space = check_config(config)  # bad arguments and data fail before the slow imports
    check_scheduler_of(config)
    dataset = load_dataset(config.data_dir, config.data_file)
    config = fit_to_data(config, len(dataset.x_train), dataset.x_train)
    check_labels_for_objectives(config, dataset)
    import_quietly()
    from archsearch.autoencoder.task import search
    from archsearch.cli.progress import SearchProgress, run_in_terminal
    from archsearch.run.run_dir import JOURNAL

    progress = SearchProgress.of_run(config)
    banner = (f"archsearch: {config.strategy} on {space.name} ({space.source}), population {config.population}, "
              f"{_budget_words(config)}, seed {config.seed}\n"
              f"data: {len(dataset.x_train)} training images {dataset.image_shape} from {dataset.source}; "
              f"{config.candidate_training()}\n"
              f"run directory: {out}")
    report, seconds = run_in_terminal(
        lambda observer: search(config, out, args.resume, observer, dataset, progress.console.print), progress,
        banner, out / JOURNAL, f"archsearch search --out {out} --resume")
    if report is None:
        return 130
    _print_report(report, config, progress.console, seconds, args.resume)
    return 0


def _budget_words(config: SearchConfig) -> str:
    noun = "new candidates" if config.rungs is not None else "evaluations"
    unit = "predicted s, a compute budget" if config.clock == "predicted" else "s"
    limit = f" (at most {config.time_limit:g} {unit})" if config.time_limit else ""
    if config.budget is not None:
        return f"a budget of {config.budget} {noun}{limit}"
    return f"{config.generations} generations = {config.evaluations} {noun}{limit}"


def _print_report(report, config: SearchConfig, console, seconds: float, resumed: bool) -> None:
    from archsearch.cli.progress import rung_summary, took_words
    from archsearch.cli.tables import readable_table

    multi_fidelity = config.rungs is not None
    budget_column = [config.budget_unit] if multi_fidelity else []
    rows = []
    for rank, r in enumerate(report.best, start=1):
        t = r.genome.training
        number = r.candidate if r.candidate is not None else r.index
        training = (f"{t.optimizer} lr={t.learning_rate:g} bs={t.batch_size} {t.loss}" if config.inner == "backprop"
                    else f"evolved ({config.weight_strategy})")
        rows.append([str(rank), str(number), str(r.generation), *([f"{r.budget:,}"] if multi_fidelity else []),
                     f"{r.result.fitness:.5f}", f"{r.result.params:,}", f"{r.genome.describe()}; {training}"])
    console.print(readable_table("best candidates (validation MSE during the search; genes: architecture, code "
                                 "size zN; training)",
                                 ["rank", "candidate", "gen", *budget_column, "val MSE", "params", "genes"], rows,
                                 text=("genes",)))
    failed = sum(not r.result.ok for r in report.records)
    if multi_fidelity:
        candidates = sum(r.candidate_first for r in report.records)
        rungs = rung_summary(report.records, "val MSE", config.budget_unit)
        console.print(f"{candidates} candidates, {len(report.records)} evaluations ({failed} failed or invalid); "
                      f"{rungs}; {took_words(seconds, resumed)}")
    else:
        console.print(f"{len(report.records)} evaluations ({failed} failed or invalid); "
                      f"{took_words(seconds, resumed, 'search and final retraining')}")
    started = sum(r.candidate_first for r in report.records)
    if config.seconds is None and config.time_limit and started < config.evaluations:
        if config.clock == "predicted" and not (config.wall_limit and seconds >= config.wall_limit):
            console.print(f"the time limit ({config.time_limit:g} predicted s, a compute budget) ended the search "
                          f"after {started} of {config.evaluations} candidates: the same for this seed on any "
                          "machine; --time-limit 0 runs them all")
        else:
            console.print(f"the time limit ({config.time_limit:g} s) ended the search after {started} of "
                          f"{config.evaluations} candidates, so this history depends on the machine's speed, not on "
                          "the seed alone; --time-limit 0 runs them all")
    final = report.final
    if final is None:
        console.print("no candidate trained successfully: nothing to export")
        return
    change = 100 * (final.test_mse / final.pca_test_mse - 1)
    verdict = f"beats it by {-change:.0f}%" if final.beats_pca else f"does NOT beat it ({change:.0f}% higher)"
    how = (f"after {final.trained_by}" if config.rungs is not None
           else f"retrained on {final.train_images} images with {final.trained_by}")
    console.print(
        f"best model, {how}: "
        f"test MSE {final.test_mse:.5f}; PCA with {final.latent_size} components: {final.pca_test_mse:.5f}; "
        f"the model {verdict}")
    console.print(f"written: {report.run_dir}/best/model.keras (load with keras.models.load_model), "
                  f"genome.json, summary.txt, reconstructions.png; {report.run_dir}/evaluations.csv")
    if (report.run_dir / "pareto.csv").is_file():
        others = " and ".join(o.label for o in config.other_objectives)
        console.print(f"Pareto front (validation MSE against {others}): {report.run_dir}/pareto.csv, pareto.png; "
                      f"retrain and export all of it with: archsearch export {report.run_dir} --pareto")


def _export(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise ArchsearchError(f"--top {args.top}: must be at least 1")
    require_run_dir(Path(args.run_dir))  # before the slow imports
    import_quietly()
    if task_of(Path(args.run_dir)) == "keras":
        return _export_task_run(args)
    from archsearch.autoencoder.export import export

    for directory, metrics in export(args.run_dir, args.top, args.to, log=lambda text: print(text, flush=True),
                                             pareto=args.pareto):
        print(f"{directory}: test MSE {metrics['test_mse']:.5f} (PCA-{metrics['latent_size']} "
              f"{metrics['pca_test_mse']:.5f}), {metrics['params']:,} parameters")
    return 0


def _export_task_run(args: argparse.Namespace) -> int:
    from archsearch.tasks.export import export_task_run

    if args.pareto:
        raise ArchsearchError("--pareto: a Pareto front is the autoencoder search's (nsga2 with --objectives)")
    written = export_task_run(args.run_dir, args.top, args.to, log=lambda text: print(text, flush=True))
    for directory, metrics in written:
        scored = ", ".join(f"{name} {value:.5g}" for name, value in metrics.items() if name.startswith("test_"))
        print(f"{directory}: {scored}, {metrics['params']:,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
