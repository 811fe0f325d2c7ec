"""The autoencoder search's settings (`SearchConfig`): one small dataclass that fully determines the run,
with the checks that make a bad value one line before anything slow happens, and the fitting of what
was left to the data (split sizes, rung budgets)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from archsearch.autoencoder.space import SearchSpace, with_latent
from archsearch.autoencoder.space_file import load_space
from archsearch.core.data import Dataset, require_labels
from archsearch.core.errors import ArchsearchError
from archsearch.core.objectives import DEFAULT_OBJECTIVES, Objective, parse_objectives
from archsearch.core.rungs import Rungs
from archsearch.run.settings import (
    BUDGET_MULTIPLE,
    MULTI_FIDELITY,
    RunSettings,
    check_budgets,
    check_run_settings,
    rungs_of,
    setting,
    shared_setting,
)
from archsearch.strategies import STRATEGIES
from archsearch.training.augment import AUGMENTATIONS, suited_augmentation
from archsearch.weights.strategies.checks import check_inner_loop

DEFAULT_TIME_LIMIT = 265.0  # predicted seconds of searching: with start-up and the end, 5 minutes on a slow machine


@dataclass(frozen=True)
class SearchConfig(RunSettings):
    """The autoencoder search's settings: the shared ones (`RunSettings`) and those below."""

    space: str = "conv_autoencoder"
    time_limit: float | None = shared_setting("time_limit", DEFAULT_TIME_LIMIT)  # the default run: 5 minutes
    # Fidelities (`RunSettings`): budgets in images seen on a stream over every training image (backprop)
    # or in generations (weight evolution); None: "asha" for a backprop search, "off" for weight
    # evolution or weight inheritance. Without fidelities, 2,000 training and 500 validation images
    # (fewer on a small data set); with them, every training image and 2,000 for validation.
    # Weight inheritance (Lamarckian): an offspring starts from its first parent's trained weights for the
    # layers they share, instead of a random initialisation (backprop only; weights kept in RUN_DIR/weights).
    inherit_weights: bool = False
    # What nsga2 minimises beside the validation loss (`archsearch.core.objectives`): "params", and/or latent
    # metrics of each candidate's validation codes ("cluster_accuracy", "nmi", "ari",
    # "linear_probe_accuracy"), each minimised as 1 - metric; latent metrics need labelled data.
    objectives: list[str] = setting(factory=lambda: list(DEFAULT_OBJECTIVES))
    # The code size of every candidate: the user's choice, since with one objective a larger code always
    # reconstructs better and a search that may grow it is ill-posed (and comparisons at one size are
    # fair). 0: the space's code sizes are searched too (for nsga2, a front of code size against error).
    latent: int = setting(16, minimum=0)
    # What the time limit counts (`RunSettings.clock`). None: predicted seconds for a backprop search, so
    # the default run's history follows its seed on any machine, idle or loaded; wall seconds for weight
    # evolution, which has no cost model.
    clock: str | None = None
    # How a candidate's stream of training images is augmented (`training.augment.AUGMENTATIONS`): on a
    # small data set, turned and mirrored images carry better to images never trained on, as long as the
    # data looks the same turned (crops of photos, not upright objects: `benchmarks/README.md`). None: on a
    # small data set, what the images' own statistics allow (`training.augment.suited_augmentation`), else none.
    augment: str | None = None
    # Whether the code's first numbers carry each image's channel means exactly (`model.build_autoencoder`'s
    # `centred`), so that photos of other colours reconstruct as well as the training ones. None: on a small
    # data set of colour images, yes; else no (on small grey images it cost error: `benchmarks/README.md`).
    centre: bool | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """A run recorded before `latent` existed searched its space's code sizes, and one recorded before
        `clock` existed ran on the wall clock: each resumes as it ran."""
        return super().from_dict({"latent": 0, "clock": "wall", "augment": "none", "centre": False, **data})

    @property
    def rungs(self) -> Rungs | None:
        """The rungs of a multi-fidelity run, once fitted to the data: budgets in images seen (backprop)
        or generations (weight evolution)."""
        return rungs_of(self.fidelity, self.min_budget, self.max_budget, self.eta,
                        1 if self.inner == "weights" else BUDGET_MULTIPLE)

    @property
    def other_objectives(self) -> tuple[Objective, ...]:
        return parse_objectives(self.objectives)

    @property
    def budget_unit(self) -> str:
        return "generations" if self.inner == "weights" else "images seen"

    def candidate_training(self) -> str:
        """How each candidate is trained, in words for progress output and reports."""
        if self.rungs is not None and self.inner == "weights":
            batch = f"{self.weight_batch} images a generation" if self.weight_batch else "all of them every generation"
            return (f"each candidate's weights evolve without gradients ({self.weight_strategy}, population "
                    f"{self.weight_population}) on {self.train_size} images ({batch}) to budgets of "
                    f"{self.rungs.describe('generations')}, the top 1/{self.eta} of each rung moving up")
        aids = [AUGMENTED_WORDS[self.augment]] if self.augment in AUGMENTED_WORDS else []
        aids += ["the channel means carried in the code"] if self.centre else []
        stream = f"a stream of {self.train_size} images" + (f" ({'; '.join(aids)})" if aids else "")
        if self.rungs is not None and self.rungs.top == 0:
            return (f"each candidate trains by backprop on {stream} to the full budget of "
                    f"{self.rungs.budgets[0]:,} images seen")
        if self.rungs is not None:
            return (f"each candidate trains by backprop on {stream} to budgets of "
                    f"{self.rungs.describe('images seen')}, the top 1/{self.eta} of each rung moving up")
        if self.inner == "weights":
            batch = f"{self.weight_batch} images a generation" if self.weight_batch else "all of them every generation"
            return (f"each candidate's weights evolve without gradients on {self.train_size} images: "
                    f"{self.weight_generations} generations of {self.weight_strategy}, population "
                    f"{self.weight_population}, {batch}")
        return (f"each candidate trains by backprop on {self.train_size} images for up to {self.epochs} epochs "
                f"(patience {self.patience})")


AUGMENTED_WORDS = {"flips": "mirrored at random", "turns": "turned and mirrored at random",
                   "turns+colours": "turned, mirrored and colour channels permuted at random"}


DEFAULT_MAX_BUDGET = 162_000  # images seen by a candidate at the top rung: about 2.7 passes over Fashion-MNIST


MIN_PASSES_AT_TOP = 200  # on a small data set, the top rung sees each image up to this many times


SMALL_FROM_PASSES = 20  # the top rung sees each image at least this many times: a small data set, which
# gets what carries a network to images it never trained on (`augment`, `centre`) unless told otherwise


def resolved_fidelity(config: SearchConfig) -> str:
    """The fidelity a run uses: as set, else asha for a backprop search, off for weight evolution or inheritance."""
    return config.fidelity or ("asha" if config.inner == "backprop" and not config.inherit_weights else "off")


def fit_to_data(config: SearchConfig, images: int, sample: np.ndarray | None = None) -> SearchConfig:
    """Fills the settings left to the data (None) for a training file of `images` images: the split
    sizes, with fidelities the rung budgets, and on a small data set the augmentation that `sample` (its
    training images, or some of them) allows and, for colour images, centring. Explicit settings are kept
    as they are."""
    fidelity = resolved_fidelity(config)
    multi = fidelity in MULTI_FIDELITY
    streamed = multi and config.inner == "backprop"  # rungs of images seen on a stream over every image
    val_size = config.val_size or max(1, min(2000 if streamed else 500, images // (6 if streamed else 4)))
    available = max(1, images - val_size)
    train_size = config.train_size or (available if streamed else min(2000, available))
    changes: dict[str, Any] = {"fidelity": fidelity, "val_size": val_size, "train_size": train_size,
                               "clock": config.clock or ("predicted" if config.inner == "backprop" else "wall")}
    if multi and config.max_budget is None:
        # weight evolution: rungs of generations up to the candidates' own
        top = config.weight_generations if config.inner == "weights" else max(
            BUDGET_MULTIPLE, min(DEFAULT_MAX_BUDGET, MIN_PASSES_AT_TOP * train_size))
        changes["max_budget"] = top
        check_budgets(config.min_budget, top, fitted=True)
    small = streamed and changes.get("max_budget", config.max_budget) >= SMALL_FROM_PASSES * train_size
    if config.augment is None:
        changes["augment"] = suited_augmentation(sample) if small and sample is not None else "none"
    if config.centre is None:  # colour only: on grey images it cost error on an unseen photo
        channels = np.shape(sample)[-1] if sample is not None and np.ndim(sample) == 4 else 1
        # and only where a code has room beside the means (the builder skips centring where it has none)
        changes["centre"] = small and channels > 1 and (config.latent == 0 or config.latent > channels)
    return replace(config, **changes)


def check_config(config: SearchConfig) -> SearchSpace:
    """Raises a one-line `ArchsearchError` for a count out of range, an unknown strategy or a malformed
    space; returns the space. The CLI and `search` both call it, before anything slow happens."""
    check_run_settings(config)
    check_fidelity(config)
    check_inner_loop(config)
    if config.clock == "predicted" and config.inner != "backprop":
        raise ArchsearchError("--clock predicted: only with --inner backprop (its cost model counts images trained)")
    if config.inherit_weights and config.inner != "backprop":
        raise ArchsearchError("--inherit-weights: only with --inner backprop (evolved weights start afresh)")
    check_augmentation(config)
    check_centring(config)
    check_objectives(config)
    return with_latent(load_space(config.space), config.latent)


def check_centring(config: SearchConfig) -> None:
    """A one-line error for centring asked of weight evolution, whose networks are built without it."""
    if config.centre and config.inner != "backprop":
        raise ArchsearchError("--centre: only with --inner backprop (evolved weights start from networks without it)")


def check_augmentation(config: SearchConfig) -> None:
    """One-line errors for an unknown augmentation, or one without a stream of images to augment."""
    if config.augment in (None, "none"):
        return
    if config.augment not in AUGMENTATIONS:
        raise ArchsearchError(f"--augment {config.augment}: unknown (known: {', '.join(AUGMENTATIONS)})")
    if config.inner != "backprop" or resolved_fidelity(config) not in MULTI_FIDELITY:
        raise ArchsearchError(f"--augment {config.augment}: only for candidates trained by backprop on rungs of "
                              "images seen (--fidelity asha or full)")


def check_fidelity(config: SearchConfig) -> None:
    """One-line errors for fidelity settings that cannot work together."""
    if config.fidelity not in MULTI_FIDELITY:
        return
    if config.inherit_weights:
        raise ArchsearchError(f"--inherit-weights: not with --fidelity {config.fidelity} (a candidate trained on a "
                              "stream keeps its own weights)")


def check_objectives(config: SearchConfig) -> None:
    """One-line errors for unknown objectives, or other objectives than the default for a strategy
    that minimises the fitness alone."""
    objectives = config.other_objectives
    if [o.name for o in objectives] != list(DEFAULT_OBJECTIVES) and not STRATEGIES[config.strategy].multi_objective:
        several = ", ".join(sorted(name for name, cls in STRATEGIES.items() if cls.multi_objective))
        raise ArchsearchError(f"--objectives {','.join(config.objectives)}: only a multi-objective strategy "
                              f"({several}) weighs them; {config.strategy} minimises the validation loss alone")


def check_labels_for_objectives(config: SearchConfig, dataset: Dataset) -> None:
    """Latent objectives score validation codes against their classes: one-line error when the data has
    no labels, or fewer validation images than classes (k-means needs a point per cluster)."""
    latent = [o.name for o in config.other_objectives if o.is_latent]
    if not latent:
        return
    require_labels(dataset, f"--objectives {','.join(latent)}: latent metrics need", ("y_train",))
    classes = len(np.unique(dataset.y_train))
    if config.val_size < max(classes, 2):
        raise ArchsearchError(f"--val-size {config.val_size}: latent metrics cluster the validation codes into "
                              f"{classes} classes; give at least that many images")
