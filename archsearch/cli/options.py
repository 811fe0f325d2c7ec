"""Command-line options that several `archsearch` commands share, with the defaults they show."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from archsearch.autoencoder.config import SearchConfig
from archsearch.core.errors import ArchsearchError
from archsearch.run.run_dir import CONFIG, check_warm_start
from archsearch.run.settings import EXECUTORS, RunSettings
from archsearch.training.augment import AUGMENTATIONS
from archsearch.weights.strategies import WEIGHT_STRATEGIES

DEFAULTS = SearchConfig()


class DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default after its help, unless the help already says it or there is none
    (argparse's own formatter prints "(default: None)" after "(default: all)")."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or action.default == [] or "(default" in text:
            return text
        return super()._get_help_string(action)


def add_run_options(parser: argparse.ArgumentParser, defaults: RunSettings = DEFAULTS) -> None:
    """What a run command searches with: strategy, population, generations or budget, seed."""
    parser.add_argument("--strategy", help=f"search strategy (default: {defaults.strategy})")
    parser.add_argument("--population", type=int, help=f"individuals per generation (default: {defaults.population})")
    parser.add_argument("--generations", type=int,
                        help=f"generations after the first (default: {defaults.generations})")
    parser.add_argument("--budget", type=int, help="exactly this many evaluations, instead of population x "
                                                   "(generations + 1)")
    parser.add_argument("--seed", type=int, help=f"seed of everything random (default: {defaults.seed})")
    parser.add_argument("--warm-start", metavar="RUN_DIR",
                        help="start from an earlier run of the same task: its best genomes are the first candidates, "
                             "trained again, and the centres of the prior")
    parser.add_argument("--prior", type=float, metavar="WEIGHT",
                        help="the share of fresh candidates drawn near the default genes (and the --warm-start "
                             "genomes) instead of uniformly, 0 to 1 (default: 0, uniform)")


def add_training_options(parser: argparse.ArgumentParser, defaults: RunSettings = DEFAULTS) -> None:
    """The data and training options `search`, `compare` and `transfer` share."""
    parser.add_argument("--train-size", type=int,
                        help="training images per candidate (default: fitted to the data)")
    parser.add_argument("--val-size", type=int, help="validation images for fitness (default: fitted to the data)")
    parser.add_argument("--epochs", type=int, help=f"maximum epochs per candidate (default: {defaults.epochs})")
    parser.add_argument("--max-params", type=int,
                        help=f"candidates above this are invalid (default: {defaults.max_params})")
    add_data_options(parser)


def add_clock_options(parser: argparse.ArgumentParser, default: str = "wall") -> None:
    parser.add_argument("--clock", choices=("wall", "predicted"),
                        help="what --time-limit and --seconds count: wall seconds, or predicted ones (each "
                             "candidate costs the seconds its size and budget predict, and results are taken in "
                             f"predicted order: the same history on any machine, idle or loaded) (default: {default})")
    parser.add_argument("--wall-limit", type=float, metavar="SECONDS",
                        help="with --clock predicted: also start no job after this many real seconds (a safety "
                             "net; when it binds, the history depends on the machine)")


def add_latent_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latent", type=_latent, metavar="N|free",
                        help=f"the code size of every autoencoder; free: search the space's sizes too (for nsga2's "
                             f"fronts: one objective always prefers the largest) (default: {DEFAULTS.latent})")


def add_augment_option(parser: argparse.ArgumentParser) -> None:
    """--augment and --centre: what carries a network to images it never trained on (the defaults: on a small
    data set, what its images allow, and centring colour images; else neither)."""
    parser.add_argument("--augment", choices=AUGMENTATIONS,
                        help="transform each candidate's stream of training images: flips mirrors them, turns also "
                             "turns them by quarter turns, turns+colours also permutes colour channels (default: "
                             "on a small data set, turns or flips where its images look the same so, else none)")
    parser.add_argument("--centre", action=argparse.BooleanOptionalAction,
                        help="carry each image's channel means in the first numbers of its code, so images of "
                             "other colours reconstruct as well (default: on a small data set of colour images)")


def _latent(text: str) -> int:
    if text == "free":
        return 0
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive code size or free, got {text!r}")
    return int(text)


def add_fidelity_options(parser: argparse.ArgumentParser,
                         top: str = "162,000, or 200 passes over a small data set; --weight-generations with "
                                    "--inner weights") -> None:
    """Multi-fidelity search: rungs of images seen, ASHA promotion, continued training (`top`: the top
    budget's default, in words)."""
    group = parser.add_argument_group("multi-fidelity", "judge candidates cheaply, train the best further")
    group.add_argument("--fidelity", choices=("off", "asha", "full"),
                       help="asha: train candidates in rungs of images seen and move the top 1/eta of each rung up, "
                            "continuing from its checkpoint; the top rung's model is the final one. full: every "
                            "candidate trains to the top budget in one go. off: every "
                            "candidate trains --epochs on --train-size images, the winner is retrained (default: "
                            "asha; off with --inner weights or --inherit-weights)")
    group.add_argument("--min-budget", type=int, help="images seen (generations with --inner weights) at the "
                                                      "lowest rung (default: max budget / eta^3)")
    group.add_argument("--max-budget", type=int, help=f"images seen (generations with --inner weights) at the top "
                                                      f"rung (default: {top})")
    group.add_argument("--eta", type=int, help=f"reduction factor between rungs (default: {DEFAULTS.eta})")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Where the images come from (default: Fashion-MNIST from the Debian package, else Keras)."""
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--data-dir", help="directory with the Fashion-MNIST IDX files")
    data.add_argument("--data", dest="data_file", help="your own images: .npz with x_train (and optionally x_test)")


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="worker processes training candidates side by side "
                                                    "(default: one per core; the history does not depend on it)")
    parser.add_argument("--in-process", action="store_true", help="train in this process (no worker process)")
    parser.add_argument("--executor", choices=EXECUTORS,
                        help="where the workers run: local (archsearch's own processes, the default) or dask (a "
                             "Dask cluster: --scheduler's, or a LocalCluster of --workers processes)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="with --executor dask: join the cluster of this scheduler instead of starting one")
    parser.add_argument("--optuna-storage", help="also record every evaluation as an Optuna trial, with its "
                                                 "lineage, in this storage (e.g. sqlite:///archsearch.db; browse "
                                                 "with optuna-dashboard); the study is named after the run directory")


def add_inner_options(parser: argparse.ArgumentParser, winner: bool = True) -> None:
    """How candidates are trained: backprop, or weight evolution without gradients (`winner`: and the
    winner, for a command that trains it again)."""
    inner = parser.add_argument_group("inner loop", "how each candidate's weights are trained")
    inner.add_argument("--inner", choices=("backprop", "weights"),
                       help=f"backprop, or evolve the weights without gradients (default: {DEFAULTS.inner})")
    inner.add_argument("--weight-strategy", choices=sorted(WEIGHT_STRATEGIES),
                       help=f"with --inner weights (default: {DEFAULTS.weight_strategy})")
    inner.add_argument("--weight-population", type=int,
                       help=f"weight vectors per generation (default: {DEFAULTS.weight_population})")
    inner.add_argument("--weight-generations", type=int,
                       help=f"generations per candidate (default: {DEFAULTS.weight_generations})")
    inner.add_argument("--weight-batch", type=int,
                       help=f"training images scored per generation, 0: all (default: {DEFAULTS.weight_batch})")
    inner.add_argument("--weight-option", action="append", default=[], metavar="NAME=VALUE",
                       help="a weight strategy setting, e.g. sigma=0.05 (repeatable)")
    if winner:
        inner.add_argument("--final-weight-generations", type=int,
                           help=f"with --inner weights: generations for evolving the best again, without "
                                f"fidelities (default: {DEFAULTS.final_weight_generations})")


def given_settings(args: argparse.Namespace, config_class: type[RunSettings],
                   leave_out: Sequence[str] = ()) -> dict[str, Any]:
    """The settings the command's flags set, None where a flag was not given: every option whose
    destination is a field of `config_class` (so a new setting needs only its field and its flag),
    `--in-process` as `isolate` and the `--weight-option` pairs as `weight_options`."""
    names = {f.name for f in fields(config_class)} - set(leave_out)
    given = {name: value for name, value in vars(args).items() if name in names}
    if getattr(args, "in_process", False):
        given["isolate"] = False
    if getattr(args, "weight_option", None):
        given["weight_options"] = parse_options(args.weight_option, "--weight-option")
    return given


def parse_options(items: Sequence[str], flag: str) -> dict[str, Any]:
    """NAME=VALUE pairs, each VALUE a JSON number or true/false."""
    options = {}
    for item in items:
        name, separator, value = item.partition("=")
        try:
            if not separator or not name.strip():
                raise ValueError
            options[name.strip()] = json.loads(value)
        except ValueError:
            raise ArchsearchError(f"{flag} {item}: expected NAME=VALUE with a number or true/false") from None
    return options


def resolve_config(args: argparse.Namespace, config_class: type[RunSettings], given: dict[str, Any],
                   run_name: Callable[[Any], str]) -> tuple[Any, Path]:
    """The config a run command runs with, and its run directory: the defaults with the flags given,
    or, with --resume, the recorded config with the flags given (refused if they change the history).
    A new run's directory defaults to results/runs/TIMESTAMP-NAME-STRATEGY."""
    if args.resume:
        if args.out is None:
            raise ArchsearchError("--resume needs --out, the run directory to continue")
        if not (args.out / CONFIG).is_file():
            raise ArchsearchError(f"--out {args.out}: no run to resume here (no {CONFIG})")
        recorded = config_class.load(args.out / CONFIG)
        config = recorded.with_overrides(**given)
        config.check_resumable(recorded, args.out / CONFIG)
        return config, args.out
    config = config_class().with_overrides(**given)
    if config.warm_start is not None:
        check_warm_start(config)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{run_name(config)}-{config.strategy}"
    return config, args.out or Path("results") / "runs" / name
