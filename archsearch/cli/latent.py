"""`archsearch latent`: the command line of `archsearch.latent.report`."""

from __future__ import annotations

import argparse
from pathlib import Path

from archsearch.cli.options import DefaultsShown, add_data_options
from archsearch.core.errors import ArchsearchError
from archsearch.core.quiet import import_quietly


def add_latent_parser(commands) -> None:
    c = commands.add_parser(
        "latent", help="measure what an autoencoder's latent space knows about the classes",
        formatter_class=DefaultsShown,
        description="k-means on the latent codes of test images (cluster accuracy, NMI, ARI) and a linear "
                    "probe, for the model, the same genome untrained and PCA codes of the same size; "
                    "t-SNE maps coloured by class.")
    c.add_argument("model", type=Path, help="an exported model directory (e.g. RUN_DIR/best) or a .keras file")
    c.add_argument("--fit-size", type=int, default=10_000, help="training images the linear probe is fitted on")
    c.add_argument("--test-size", type=int, help="test images scored (default: all)")
    c.add_argument("--tsne-points", type=int, default=2000, help="test images drawn in the t-SNE maps")
    c.add_argument("--seed", type=int, default=0,
                   help="seed of the image samples, the untrained network, k-means and t-SNE")
    c.add_argument("--out", type=Path, help="where the table and maps go (default: MODEL_DIR/latent)")
    add_data_options(c)


def run_latent(args: argparse.Namespace) -> int:
    for name in ("fit_size", "tsne_points") + (("test_size",) if args.test_size is not None else ()):
        if getattr(args, name) < 2:
            raise ArchsearchError(f"--{name.replace('_', '-')} {getattr(args, name)}: must be at least 2")
    import_quietly()
    from archsearch.analysis.tables import markdown_table
    from archsearch.core.data import load_dataset
    from archsearch.latent.report import latent_report

    out = args.out or (args.model if args.model.is_dir() else args.model.parent) / "latent"
    frame = latent_report(args.model, load_dataset(args.data_dir, args.data_file), out, args.fit_size,
                          args.test_size, args.tsne_points, args.seed)
    print(markdown_table(frame.round(4)))
    print(f"written: {out / 'latent_quality.csv'}, {out / 'latent_tsne.png'}")
    return 0
