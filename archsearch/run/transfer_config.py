"""The resolved settings of a transfer search (`archsearch transfer`): which backbone, which space,
which strategy, and how each candidate classifier is fine-tuned. Saved as `config.json`, checked on
resume like `SearchConfig`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from archsearch.errors import ArchsearchError
from archsearch.run.config import MINIMUMS as SEARCH_MINIMUMS
from archsearch.run.config import RunSettings, check_counts_and_strategy
from archsearch.transfer_space_file import DEFAULT_TRANSFER_SPACE, parse_transfer_space, read_transfer_document


@dataclass(frozen=True)
class TransferConfig(RunSettings):
    resumable_changes: ClassVar[frozenset[str]] = frozenset({
        "generations", "budget", "final_train_size", "final_epochs", "top_k", "test_size", "recycle_after",
        "workers", "optuna_storage", "baselines"})
    task: ClassVar[str] = "transfer"
    fitness_name: ClassVar[str] = "val_error"  # 1 - validation accuracy
    fitness_label: ClassVar[str] = "val error (1 - accuracy)"

    # A path (an exported model directory, a .keras file) or a keras.applications name such as DenseNet121,
    # whose weights come from `backbone_weights` (a local file) or are random when it is None.
    backbone: str = ""
    backbone_weights: str | None = None
    space: str = DEFAULT_TRANSFER_SPACE
    strategy: str = "ga"
    population: int = 8
    generations: int = 3
    budget: int | None = None
    seed: int = 0
    # Each candidate is fine-tuned on `train_size` labelled images for up to `epochs` epochs and scored on
    # `val_size` others; fitness is the validation error (1 - accuracy).
    train_size: int = 2000
    val_size: int = 1000
    epochs: int = 3
    patience: int = 1
    max_params: int = 10_000_000
    data_dir: str | None = None
    data_file: str | None = None
    # The winner is fine-tuned again on more images for longer, then scored once on the test set, beside
    # (a) the whole backbone fine-tuned with Keras defaults and (b) a linear classifier on the raw pixels.
    final_train_size: int = 10000
    final_epochs: int = 8
    baselines: bool = True
    test_size: int | None = None
    top_k: int = 5
    isolate: bool = True
    workers: int = 0
    recycle_after: int = 20
    optuna_storage: str | None = None

    def candidate_training(self) -> str:
        return (f"each candidate fine-tunes on {self.train_size} labelled images for up to {self.epochs} epochs "
                f"(patience {self.patience}) and is scored by its accuracy on {self.val_size} others")


# The counts a transfer run shares with an autoencoder search have the same minimums.
MINIMUMS = {name: least for name, least in SEARCH_MINIMUMS.items() if name in {f.name for f in fields(TransferConfig)}}


def check_transfer_config(config: TransferConfig) -> None:
    """One-line errors for bad settings and a malformed space file, before anything slow happens (the
    backbone itself is checked when it is loaded)."""
    if not config.backbone:
        raise ArchsearchError("--backbone: name the pretrained network (a model directory, a .keras file or a "
                              "keras.applications name such as DenseNet121)")
    check_counts_and_strategy(config, MINIMUMS)
    document, source = read_transfer_document(config.space)
    parse_transfer_space(document, 1, source)
