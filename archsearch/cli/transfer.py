"""`archsearch transfer`: the command line of `archsearch.transfer.task`."""

from __future__ import annotations

import argparse
from pathlib import Path

from archsearch.cli import options
from archsearch.core.data import load_dataset
from archsearch.core.quiet import import_quietly
from archsearch.run.dask_pool import check_scheduler_of
from archsearch.run.run_dir import JOURNAL
from archsearch.transfer.config import TransferConfig, check_transfer_config, fit_transfer_to_data

DEFAULTS = TransferConfig()


def add_transfer_parser(commands) -> None:
    t = commands.add_parser(
        "transfer", help="search how to reuse a pretrained network for classification",
        description="Evolves how a pretrained backbone is reused for a classification task: how many of its "
                    "layers to keep and to freeze, learning rate, dropout and head width. Fitness is the "
                    "validation accuracy of the fine-tuned classifier (stored as the error, 1 - accuracy).")
    t.add_argument("space", nargs="?", help=f"transfer space name in search_spaces/ or a .toml path "
                                            f"(default: {DEFAULTS.space})")
    t.add_argument("--backbone", help="the pretrained network: an exported model directory (e.g. RUN_DIR/best, "
                                      "whose encoder is used), a .keras file, or a keras.applications name "
                                      "such as DenseNet121 (required for a new run)")
    t.add_argument("--backbone-weights", help="for a keras.applications backbone: a local weights file "
                                              "(default: random weights; nothing is downloaded)")
    options.add_run_options(t, DEFAULTS)
    t.add_argument("--out", type=Path, help="run directory (default: results/runs/TIMESTAMP-transfer-STRATEGY)")
    options.add_training_options(t, DEFAULTS)
    options.add_fidelity_options(t, top=f"--final-train-size x --final-epochs ({DEFAULTS.final_train_size:,} x "
                            f"{DEFAULTS.final_epochs})")
    t.add_argument("--final-train-size", type=int,
                   help=f"training images of the final regime: the top rung's stream, or (--fidelity off) the "
                        f"best's second fine-tuning (default: {DEFAULTS.final_train_size})")
    t.add_argument("--final-epochs", type=int,
                   help=f"passes of the final regime: the top rung's budget over --final-train-size, or "
                        f"(--fidelity off) the best's second fine-tuning (default: {DEFAULTS.final_epochs})")
    t.add_argument("--no-baselines", dest="baselines", action="store_false", default=None,
                   help="skip the reference points (whole backbone fine-tuned with defaults; a linear "
                        "classifier on the pixels)")
    options.add_inner_options(t)
    t.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")
    options.add_worker_options(t)


def run_transfer(args: argparse.Namespace) -> int:
    config, out = options.resolve_config(args, TransferConfig, options.given_settings(args, TransferConfig),
                                 lambda config: "transfer")
    check_transfer_config(config)  # bad arguments and data fail before the slow imports
    check_scheduler_of(config)
    dataset = load_dataset(config.data_dir, config.data_file)
    config = fit_transfer_to_data(config, len(dataset.x_train))
    import_quietly()
    from archsearch.cli.progress import SearchProgress, run_in_terminal, took_words
    from archsearch.transfer.task import check_inputs, transfer_search

    checked = check_inputs(config, dataset)
    progress = SearchProgress.of_run(config, fitness_label="val error")
    banner = (f"archsearch transfer: {config.strategy} reusing {config.backbone} ({checked[1]} cut points), "
              f"population {config.population}, {config.evaluations} "
              f"{'new candidates' if config.rungs is not None else 'evaluations'}, seed {config.seed}\n"
              f"data: {len(dataset.x_train)} training images {dataset.image_shape} from {dataset.source}; "
              f"{config.candidate_training()}\nrun directory: {out}")
    report, seconds = run_in_terminal(
        lambda observer: transfer_search(config, out, args.resume, observer, dataset, progress.console.print,
                                         checked),
        progress, banner, out / JOURNAL, f"archsearch transfer --out {out} --resume")
    if report is None:
        return 130
    _print_report(report, progress.console, took_words(seconds, args.resume))
    return 0


def _print_report(report, console, took: str) -> None:
    from archsearch.cli.tables import readable_table

    rows = [[str(rank), str(r.candidate if r.candidate is not None else r.index), str(r.generation),
             f"{r.budget:,}" if r.budget is not None else "-", f"{1 - r.result.fitness:.4f}", f"{r.result.params:,}",
             f"{int(r.result.metrics['trainable_params']):,}", r.genome.describe()]
            for rank, r in enumerate(report.best, start=1)]
    console.print(readable_table(f"best transfer genes (backbone depth {report.depth} cut points)",
                                 ["rank", "candidate", "gen", "images seen", "val accuracy", "params", "trainable",
                                  "genes"], rows, text=("genes",)))
    failed = sum(not r.result.ok for r in report.records)
    console.print(f"{len(report.records)} evaluations ({failed} failed or invalid); {took}")
    if report.final is None:
        console.print("no candidate trained successfully: nothing to export")
        return
    console.print(readable_table(f"test accuracy on {report.final.train_images} training images",
                                 ["classifier", "genes", "test accuracy"],
                                 [[row.classifier, row.genes, f"{row.test_accuracy:.4f}"]
                                  for row in report.comparison.itertuples(index=False)], text=("classifier", "genes")))
    console.print(f"written: {report.run_dir}/best/classifier.keras (load with keras.models.load_model), "
                  f"genome.json, summary.txt, comparison.csv; {report.run_dir}/evaluations.csv")
