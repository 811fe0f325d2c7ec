"""`archsearch evolve-weights`: the command line of `archsearch.weights.evolve`."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from archsearch.cli.options import DefaultsShown, add_data_options, parse_options
from archsearch.core.errors import ArchsearchError
from archsearch.core.quiet import import_quietly
from archsearch.weights.losses import CLASSIFICATION_LOSSES, LOSSES
from archsearch.weights.precision import PRECISIONS, check_precision
from archsearch.weights.strategies import WEIGHT_STRATEGIES

DEFAULT_SAMPLES = 2000
DEFAULT_GENERATIONS = 300
UNLIMITED = 10**9  # generations under a time limit with no --generations: the clock ends the run
SEED_NETWORK = "seed-network"  # weights.seed_network.SEED_NETWORK; importing it here would load Keras noisily
CNN_CLASSIFIER = "cnn-classifier"  # weights.classify.CNN_CLASSIFIER, for the same reason


def add_evolve_weights_parser(commands) -> None:
    w = commands.add_parser(
        "evolve-weights", help="train one network's weights by evolution (no gradients)",
        formatter_class=DefaultsShown,
        description="Evolves the weights of one autoencoder (or classifier) with a gradient-free strategy, "
                    "scoring the whole population in one batched pass per generation.")
    w.add_argument("network", nargs="?", default=SEED_NETWORK,
                   help=f"'{SEED_NETWORK}' (the seed experiment's conv autoencoder), '{CNN_CLASSIFIER}' (a small "
                        "CNN classifier for labelled images), a genome .json, a .keras model, or a search space "
                        "(a genome is drawn from it with --seed)")
    w.add_argument("--strategy", default="snes", choices=sorted(WEIGHT_STRATEGIES), help="gradient-free strategy")
    w.add_argument("--population", type=int, default=64, help="weight vectors scored per generation")
    w.add_argument("--generations", type=int,
                   help=f"generations to run (default: {DEFAULT_GENERATIONS}, or until --time-limit when it is given)")
    w.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                   help="training images, as many per class as possible (10: one per class)")
    w.add_argument("--batch", type=int, default=256,
                   help="images scored per generation (a fresh minibatch each time); 0: all, every generation")
    w.add_argument("--loss", choices=LOSSES,
                   help=f"mse or mae of the reconstruction; crossentropy or error_rate (1 - accuracy) of a "
                        f"classifier on labelled images (default: crossentropy for {CNN_CLASSIFIER}, else mse)")
    w.add_argument("--target-range", help="scale targets from [0, 1] to LOW,HIGH, e.g. 0.1,0.9")
    w.add_argument("--time-limit", type=float, help="stop after the generation that crosses this many seconds")
    w.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="a strategy setting, e.g. sigma=0.05, learning_rate=0.03 or anneal=0.5 (es, snes: the "
                        "learning rate falls to a tenth over that last share of the run) (repeatable)")
    w.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="the dtype the population is scored in: bfloat16 is faster on CPUs with bfloat16 "
                        "instructions (about 1.5x on cnn-classifier; 0.6-1.3x of float32 without them), close "
                        "to float32; the reported scores stay float32")
    w.add_argument("--val-size", type=int, default=500, help="validation images")
    w.add_argument("--test-size", type=int, help="test images scored at the end (default: all)")
    w.add_argument("--seed", type=int, default=0, help="seed of the data split, the network and the strategy")
    w.add_argument("--out", type=Path, help="run directory (default: results/weights/TIMESTAMP-STRATEGY)")
    add_data_options(w)


def _settings(args: argparse.Namespace):
    from archsearch.weights.evolution import WeightEvolutionSettings

    for name in ("population", "generations", "samples", "val_size"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ArchsearchError(f"--{name.replace('_', '-')} {getattr(args, name)}: must be at least 1")
    if args.batch < 0:
        raise ArchsearchError(f"--batch {args.batch}: must be 0 (all images) or more")
    target_range = None
    if args.target_range:
        try:
            low, high = (float(v) for v in args.target_range.split(","))
        except ValueError:
            raise ArchsearchError(f"--target-range {args.target_range}: expected LOW,HIGH such as 0.1,0.9") from None
        target_range = (low, high)
    options = parse_options(args.option, "--option")
    loss = args.loss or ("crossentropy" if args.network == CNN_CLASSIFIER else "mse")
    if loss in CLASSIFICATION_LOSSES and target_range is not None:
        raise ArchsearchError(f"--target-range: only with a reconstruction loss, not --loss {loss}")
    generations = args.generations or (UNLIMITED if args.time_limit else DEFAULT_GENERATIONS)
    try:
        check_precision(args.precision)  # bfloat16 is tried in a child process: on some CPUs it aborts
    except ValueError as error:
        raise ArchsearchError(f"--precision {args.precision}: {error}") from None
    return WeightEvolutionSettings(
        strategy=args.strategy, population=args.population, generations=generations,
        batch_size=args.batch or None, loss=loss, target_range=target_range, time_limit=args.time_limit,
        monitor_every=max(1, min(generations, 5000) // 50), options=options, precision=args.precision)


def _network(args: argparse.Namespace, loss: str, dataset, image_shape: tuple[int, ...]):
    """The network to evolve: a classifier of the data's classes for a classification loss (its labels
    checked), otherwise an autoencoder."""
    from archsearch.core.data import class_count
    from archsearch.weights.classify import build_cnn_classifier, check_classifier
    from archsearch.weights.evolve import Network, resolve_network

    if loss not in CLASSIFICATION_LOSSES:
        if args.network == CNN_CLASSIFIER:
            raise ArchsearchError(f"{CNN_CLASSIFIER}: a classifier trains with --loss crossentropy or error_rate")
        return resolve_network(args.network, args.seed, image_shape)
    classes = class_count(dataset, f"--loss {loss}: a classifier needs")
    if args.network == CNN_CLASSIFIER:
        return Network(build_cnn_classifier(image_shape, classes), f"the {CNN_CLASSIFIER} ({classes} classes)")
    model = resolve_network(args.network, args.seed, image_shape).model
    check_classifier(model, classes, args.network)
    return Network(model, f"the model in {args.network}")


def run_evolve_weights(args: argparse.Namespace) -> int:
    import_quietly()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from archsearch.cli.tables import output_console
    from archsearch.core.data import load_dataset
    from archsearch.weights.classify import evolve_classifier_run
    from archsearch.weights.evolve import evolve_weights_run, sample_indices
    from archsearch.weights.kernels import describe, fastest_formulation
    from archsearch.weights.layout import WeightLayout
    from archsearch.weights.strategies.checks import check_weight_strategy

    settings = _settings(args)
    dataset = load_dataset(args.data_dir, args.data_file)
    chosen, validation = sample_indices(dataset, args.samples, args.val_size, args.seed)
    x_train, x_val = dataset.x_train[chosen], dataset.x_train[validation]
    x_test = dataset.x_test if args.test_size is None else dataset.x_test[:args.test_size]
    classifying = settings.loss in CLASSIFICATION_LOSSES
    network = _network(args, settings.loss, dataset, x_train.shape[1:])
    check_weight_strategy(settings.strategy, settings.population, settings.options, "--strategy",
                          WeightLayout.of(network.model).n_params)
    out = args.out or Path("results/weights") / f"{time.strftime('%Y%m%d-%H%M%S')}-{settings.strategy}"
    console = output_console()
    console.print(f"[bold]evolve-weights[/] {settings.strategy}, population {settings.population}, "
                  f"{len(x_train)} images, {settings.loss.upper()}: {network.description} -> {out}")
    console.print(describe(fastest_formulation()))
    progress = Progress(TextColumn("[bold]gen"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("best {task.fields[best]}  solution {task.fields[solution]}"),
                        TimeElapsedColumn(), console=console)
    task = progress.add_task("evolve", total=None if settings.generations == UNLIMITED else settings.generations,
                             best="-", solution="-")

    def show(record, strategy) -> None:
        fields = {"best": f"{record.best:.5f}"}
        if record.monitor is not None:
            fields["solution"] = f"{record.monitor:.5f}"
        progress.update(task, completed=record.generation, **fields)

    with progress:
        if classifying:
            summary = evolve_classifier_run(network.model, network.description, (x_train, dataset.y_train[chosen]),
                                            (x_val, dataset.y_train[validation]),
                                            (x_test, dataset.y_test[:len(x_test)]), settings, args.seed, out, show)
        else:
            summary = evolve_weights_run(network, x_train, x_val, x_test, settings, args.seed, out, show)
    if classifying:
        console.print(f"{summary['generations']} generations ({summary['evaluations']:,} evaluations) in "
                      f"{summary['seconds']:.1f} s: accuracy {summary['train_accuracy']:.4f} on the training "
                      f"images, {summary['val_accuracy']:.4f} validation, {summary['test_accuracy']:.4f} test")
        console.print(f"model: {out / 'model.keras'}; curve: {out / 'fitness.png'}")
        return 0
    loss = settings.loss
    test = "" if math.isnan(summary["test_mse"]) else f", test MSE {summary['test_mse']:.5f}"
    console.print(f"{summary['generations']} generations ({summary['evaluations']:,} evaluations) in "
                  f"{summary['seconds']:.1f} s: training {loss.upper()} {summary[f'train_{loss}']:.5f}, "
                  f"validation MSE {summary['val_mse']:.5f}{test}")
    console.print(f"model: {out / 'model.keras'}; curve: {out / 'fitness.png'}; "
                  f"reconstructions: {out / 'reconstructions.png'}")
    return 0
