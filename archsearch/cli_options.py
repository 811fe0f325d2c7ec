"""Command-line options that several `archsearch` commands share, with the defaults they show."""

from __future__ import annotations

import argparse

from archsearch.run.config import SearchConfig

DEFAULTS = SearchConfig()


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """The data and training options `search` and `compare` share."""
    parser.add_argument("--train-size", type=int,
                        help=f"training images per candidate (default: {DEFAULTS.train_size})")
    parser.add_argument("--val-size", type=int, help=f"validation images for fitness (default: {DEFAULTS.val_size})")
    parser.add_argument("--epochs", type=int, help=f"maximum epochs per candidate (default: {DEFAULTS.epochs})")
    parser.add_argument("--max-params", type=int,
                        help=f"candidates above this are invalid (default: {DEFAULTS.max_params})")
    add_data_options(parser)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Where the images come from (default: Fashion-MNIST from the Debian package, else Keras)."""
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--data-dir", help="directory with the Fashion-MNIST IDX files")
    data.add_argument("--data", dest="data_file", help="your own images: .npz with x_train (and optionally x_test)")


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="worker processes training candidates side by side "
                                                    "(default: one per core; the history does not depend on it)")
    parser.add_argument("--in-process", action="store_true", help="train in this process (no worker process)")
    parser.add_argument("--optuna-storage", help="also record every evaluation as an Optuna trial, with its "
                                                 "lineage, in this storage (e.g. sqlite:///archsearch.db; browse "
                                                 "with optuna-dashboard); the study is named after the run directory")
