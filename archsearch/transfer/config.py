"""The resolved settings of a transfer search (`archsearch transfer`): which backbone, which space,
which strategy, and how each candidate classifier is fine-tuned. Saved as `config.json`, checked on
resume like `SearchConfig`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from archsearch.core.errors import ArchsearchError
from archsearch.run.settings import (
    MULTI_FIDELITY,
    RunSettings,
    check_run_settings,
    setting,
    shared_setting,
    top_budget,
)
from archsearch.transfer.space import DEFAULT_TRANSFER_SPACE, parse_transfer_space, read_transfer_document
from archsearch.weights.strategies.checks import check_inner_loop


@dataclass(frozen=True)
class TransferConfig(RunSettings):
    """The transfer search's settings: the shared ones (`RunSettings`) with its own defaults, and those below.

    Each candidate is fine-tuned on `train_size` labelled images and scored on `val_size` others; fitness
    is the validation error (1 - accuracy). Multi-fidelity ("asha", the default; "full": every candidate
    to the top budget): rungs of images seen on a stream over the training images, the top rung being
    the final regime (`final_train_size` images, `final_epochs` passes), so the top rung's classifier is
    the one handed over. "off": up to `epochs` epochs with early stopping on `train_size` images (2,000),
    the winner fine-tuned again on `final_train_size` images for up to `final_epochs`."""

    task: ClassVar[str] = "transfer"
    fitness_name: ClassVar[str] = "val_error"  # 1 - validation accuracy
    fitness_label: ClassVar[str] = "val error (1 - accuracy)"

    space: str = DEFAULT_TRANSFER_SPACE
    generations: int = shared_setting("generations", 3)
    val_size: int | None = shared_setting("val_size", 1000)
    max_params: int = shared_setting("max_params", 10_000_000)
    # A path (an exported model directory, a .keras file) or a keras.applications name such as DenseNet121,
    # whose weights come from `backbone_weights` (a local file) or are random when it is None.
    backbone: str = ""
    backbone_weights: str | None = None
    # Beside the winner, (a) the whole backbone fine-tuned with Keras defaults and (b) a linear classifier
    # on the raw pixels, scored on the same test images.
    baselines: bool = setting(True, resumable=True)

    def candidate_training(self) -> str:
        scored = f"scored by its accuracy on {self.val_size} others"
        if self.inner == "weights":
            batch = f"{self.weight_batch} images a generation" if self.weight_batch else "all of them every generation"
            return (f"each candidate's trained layers evolve without gradients on {self.train_size} labelled images "
                    f"({self.weight_generations} generations of {self.weight_strategy}, population "
                    f"{self.weight_population}, {batch}), {scored}")
        if self.rungs is not None:
            return (f"each candidate fine-tunes on a stream of {self.train_size} labelled images to budgets of "
                    f"{self.rungs.describe('images seen')} and is {scored}; the top rung's classifier is the final one")
        return (f"each candidate fine-tunes on {self.train_size} labelled images for up to {self.epochs} epochs "
                f"(patience {self.patience}) and is {scored}")


OFF_TRAIN_SIZE = 2000  # without fidelities: each candidate's training images, the winner fine-tuned again on more


def fit_transfer_to_data(config: TransferConfig, images: int) -> TransferConfig:
    """Fills the settings left to the data for a labelled training file of `images` images: with
    fidelities, candidates stream over the final training images and the top rung is the final
    fine-tuning (final_train_size images, final_epochs passes); without, 2,000 images each."""
    fidelity = config.fidelity or ("off" if config.inner == "weights" else "asha")
    available = max(1, images - config.val_size)
    if fidelity not in MULTI_FIDELITY:
        return replace(config, fidelity=fidelity, train_size=config.train_size or min(OFF_TRAIN_SIZE, available))
    train_size = config.train_size or min(config.final_train_size, available)
    return replace(config, fidelity=fidelity, train_size=train_size,
                   max_budget=top_budget(config, train_size * config.final_epochs))


def check_transfer_config(config: TransferConfig) -> None:
    """One-line errors for bad settings and a malformed space file, before anything slow happens (the
    backbone itself is checked when it is loaded)."""
    if not config.backbone:
        raise ArchsearchError("--backbone: name the pretrained network (a model directory, a .keras file or a "
                              "keras.applications name such as DenseNet121)")
    check_run_settings(config)
    check_inner_loop(config)
    if config.inner == "weights" and config.fidelity in MULTI_FIDELITY:
        raise ArchsearchError(f"--fidelity {config.fidelity}: transfer --inner weights trains each candidate once "
                              "(--fidelity off)")
    document, source = read_transfer_document(config.space)
    parse_transfer_space(document, 1, source)
