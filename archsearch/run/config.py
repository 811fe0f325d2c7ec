"""The resolved settings of a search: one small dataclass that fully determines the run.

Saved as `config.json` in the run directory; `--resume` reads it back and refuses settings that would
change the history (seed, space, strategy, population, data, training). More generations are allowed:
a resumed run may go further than it was first asked to.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from archsearch.errors import ArchsearchError, ResumeError
from archsearch.evaluation.data import Dataset, require_labels
from archsearch.objectives import DEFAULT_OBJECTIVES, Objective, parse_objectives
from archsearch.run.rungs import Rungs
from archsearch.space import SearchSpace
from archsearch.space_file import load_space
from archsearch.strategies import STRATEGIES
from archsearch.strategies.weights import WEIGHT_STRATEGIES

INNER_LOOPS = ("backprop", "weights")
DEFAULT_TIME_LIMIT = 270.0  # seconds of searching: with start-up and the final model, a 5-minute run
UNBOUNDED = 10**9  # candidates of a time-boxed run without a budget: the clock ends it

# Settings that a resumed run may change without changing what was already recorded.
# Not `isolate`: training in this process uses TensorFlow's own threading, so fitness values (and the
# history) differ from the single-threaded workers'. The number of workers changes nothing.
RESUMABLE_CHANGES = {"generations", "budget", "seconds", "time_limit", "final_train_size", "final_epochs",
                     "final_weight_generations", "top_k", "test_size", "recycle_after", "workers", "optuna_storage",
                     "executor", "scheduler"}
EXECUTORS = ("local", "dask")


def read_settings(path: Path) -> dict[str, Any]:
    """The settings a run directory's `config.json` holds; a file that cannot be read, or is not a JSON
    object, is one line naming it."""
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResumeError(f"{path}: not a readable settings file ({exc})") from None
    if not isinstance(settings, dict):
        raise ResumeError(f"{path}: not a settings file (a JSON object of settings)")
    return settings


class RunSettings:
    """What the settings of every kind of run share: a JSON file in the run directory, and the check
    that a resumed run changes nothing its record depends on (`resumable_changes` may change)."""

    resumable_changes: ClassVar[frozenset[str]] = frozenset()
    task: ClassVar[str] = "autoencoder"  # the kind of search (`run.task`), written into config.json
    fitness_name: ClassVar[str] = "val_mse"  # what the run's fitness is, for tables and plots
    fitness_label: ClassVar[str] = "val MSE"  # the same in words (Optuna's metric name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"task": self.task, **self.to_dict()}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path):
        return cls.from_dict(read_settings(path))

    def check_resumable(self, recorded: "RunSettings", source: Path) -> None:
        for name in sorted(self.to_dict()):
            if name in self.resumable_changes:
                continue
            if getattr(self, name) != getattr(recorded, name):
                raise ResumeError(
                    f"{source}: {name} was {getattr(recorded, name)!r} in this run, not "
                    f"{getattr(self, name)!r}; resume with the same {name} or choose a new --out")

    def with_overrides(self, **changes: Any):
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def rungs(self) -> Rungs | None:
        """The rungs of a multi-fidelity run; None: each candidate is trained once."""
        return None

    @property
    def seconds(self) -> float | None:
        """The run's time box (seconds of searching), or None: it ends when its candidates are done."""
        return None

    @property
    def time_box(self) -> float | None:
        """When the run stops starting jobs: its time box, else its time limit, else never."""
        return self.seconds if self.seconds is not None else (getattr(self, "time_limit", None) or None)

    @property
    def evaluations(self) -> int:
        """How many candidates the run starts: the budget, else unbounded under a time box, else
        population x (generations + 1)."""
        if self.budget is not None:
            return self.budget
        return UNBOUNDED if self.seconds is not None else self.population * (self.generations + 1)

    @property
    def expected_evaluations(self) -> int:
        """Evaluations the run will make (a progress bar's total): with fidelities, about 1/eta of each
        rung's candidates move up."""
        rungs = self.rungs
        if rungs is None:
            return self.evaluations
        return round(self.evaluations * sum(rungs.eta ** -k for k in range(len(rungs.budgets))))

    @property
    def other_objectives(self) -> tuple[Objective, ...]:
        """What a multi-objective strategy minimises beside the fitness: the settings' `objectives`
        where they have them (an autoencoder search), else the model's size."""
        return parse_objectives(getattr(self, "objectives", DEFAULT_OBJECTIVES))


@dataclass(frozen=True)
class SearchConfig(RunSettings):
    resumable_changes: ClassVar[frozenset[str]] = frozenset(RESUMABLE_CHANGES)

    space: str = "conv_autoencoder"
    strategy: str = "ga"
    population: int = 8
    generations: int = 5
    # Exactly this many evaluations instead of population x (generations + 1): equal budgets for
    # strategies whose batches differ (see `archsearch compare`).
    budget: int | None = None
    # A time box: no evaluation starts after this many seconds of searching (those running finish), and
    # without a `budget` the run starts candidates until then. Equal wall time for `archsearch compare`.
    seconds: float | None = None
    # A limit for runs without a time box: no job starts after this many seconds of searching even if
    # candidates remain (a slow machine, or a search drifting to large models), and none that would end
    # after it, so the default run finishes in 5 minutes on 2 cores. When it binds, the history depends on
    # the clock, not on the seed alone (the summary says so). None or 0: no limit.
    time_limit: float | None = DEFAULT_TIME_LIMIT
    seed: int = 0
    # None: fitted to the data (`fit_to_data`): without fidelities 2,000 training and 500 validation
    # images, fewer on a small data set; with them, every training image and 2,000 for validation.
    train_size: int | None = None
    val_size: int | None = None
    # Multi-fidelity search. "asha": each candidate trains in rungs of images seen (max_budget,
    # max_budget / eta, ... down to min_budget), each rung continuing from the last one's checkpoint; the
    # top 1/eta of a rung moves up as soon as it qualifies (ASHA), and the top rung's model is the final
    # model (no retraining). "full": every candidate trains to max_budget in one go (asha's top regime
    # without its cheaper rungs: the single-fidelity baseline at equal terms). "off": every candidate
    # trains `epochs` epochs on `train_size` images and the winner is retrained (`final_train_size`,
    # `final_epochs`). None: "asha" for a backprop search, "off" for weight evolution or weight
    # inheritance. Budgets None: fitted to the data.
    fidelity: str | None = None
    min_budget: int | None = None
    max_budget: int | None = None
    eta: int = 3
    epochs: int = 3
    patience: int = 1
    max_params: int = 1_000_000
    # How a candidate's weights are trained: "backprop" (epochs, patience and the genome's training genes)
    # or "weights": evolved without gradients by `weight_strategy`, `weight_generations` generations of
    # `weight_population` weight vectors, each generation scored on `weight_batch` training images (0: all).
    inner: str = "backprop"
    # Weight inheritance (Lamarckian): an offspring starts from its first parent's trained weights for the
    # layers they share, instead of a random initialisation (backprop only; weights kept in RUN_DIR/weights).
    inherit_weights: bool = False
    # What nsga2 minimises beside the validation loss (`archsearch.objectives`): "params", and/or latent
    # metrics of each candidate's validation codes ("cluster_accuracy", "nmi", "ari",
    # "linear_probe_accuracy"), each minimised as 1 - metric; latent metrics need labelled data.
    objectives: list[str] = field(default_factory=lambda: list(DEFAULT_OBJECTIVES))
    weight_strategy: str = "snes"
    weight_population: int = 32
    weight_generations: int = 100
    weight_batch: int = 256
    weight_options: dict[str, Any] = field(default_factory=dict)  # the weight strategy's own settings
    data_dir: str | None = None
    data_file: str | None = None
    # The winner is retrained on more images for longer, then scored once on the test set.
    final_train_size: int = 10000
    final_epochs: int = 8
    final_weight_generations: int = 1000  # with inner "weights": generations for the winner
    test_size: int | None = None
    top_k: int = 5
    # Train candidates in single-threaded worker processes, each replaced every `recycle_after`
    # evaluations (flat memory, crash isolation, every core busy). `workers` 0 means one per core; the
    # history is the same for any number of workers. `isolate = False` trains in this process instead
    # (TensorFlow's own threading: fitness values differ in the last digits, so the history may too).
    isolate: bool = True
    workers: int = 0
    recycle_after: int = 20
    # Where the worker processes run: "local" (archsearch's own pool) or "dask" (a Dask cluster: the one
    # whose scheduler is at `scheduler`, tcp://HOST:PORT, or else a LocalCluster of `workers` processes).
    executor: str = "local"
    scheduler: str | None = None
    # Also write every evaluation as a trial of an Optuna study (study name: the run directory), with
    # its lineage, for optuna-dashboard: any SQLAlchemy URL, e.g. sqlite:///archsearch.db.
    optuna_storage: str | None = None

    @property
    def rungs(self) -> Rungs | None:
        """The rungs of a multi-fidelity run, once fitted to the data: budgets in images seen (backprop)
        or generations (weight evolution)."""
        return rungs_of(self.fidelity, self.min_budget, self.max_budget, self.eta,
                        1 if self.inner == "weights" else BUDGET_MULTIPLE)

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
        if self.rungs is not None and self.rungs.top == 0:
            return (f"each candidate trains by backprop on a stream of {self.train_size} images to the full budget "
                    f"of {self.rungs.budgets[0]:,} images seen")
        if self.rungs is not None:
            return (f"each candidate trains by backprop on a stream of {self.train_size} images to budgets of "
                    f"{self.rungs.describe('images seen')}, the top 1/{self.eta} of each rung moving up")
        if self.inner == "weights":
            batch = f"{self.weight_batch} images a generation" if self.weight_batch else "all of them every generation"
            return (f"each candidate's weights evolve without gradients on {self.train_size} images: "
                    f"{self.weight_generations} generations of {self.weight_strategy}, population "
                    f"{self.weight_population}, {batch}")
        return (f"each candidate trains by backprop on {self.train_size} images for up to {self.epochs} epochs "
                f"(patience {self.patience})")


# off: each candidate trains `epochs` epochs, the winner is retrained; asha: rungs and promotion; full: every
# candidate trains to the top budget in one go (the regime of asha's top rung, without its cheaper rungs).
FIDELITIES = ("off", "asha", "full")
MULTI_FIDELITY = ("asha", "full")  # budgets of images seen on a stream, checkpoints, the winner handed over as is
BUDGET_MULTIPLE = 128  # rung budgets split no batch of the spaces' batch sizes, so continuing is exact
DEFAULT_MAX_BUDGET = 162_000  # images seen by a candidate at the top rung: about 2.7 passes over Fashion-MNIST
MIN_PASSES_AT_TOP = 20  # on a small data set, the top rung sees each image up to this many times


def resolved_fidelity(config: SearchConfig) -> str:
    """The fidelity a run uses: as set, else asha for a backprop search, off for weight evolution or inheritance."""
    return config.fidelity or ("asha" if config.inner == "backprop" and not config.inherit_weights else "off")


def rungs_of(fidelity: str | None, min_budget: int | None, max_budget: int | None, eta: int,
             multiple: int = BUDGET_MULTIPLE) -> Rungs | None:
    """The rungs of a run's fidelity settings (None: no rungs, or the top budget not fitted yet); the
    lowest rung defaults to max_budget / eta**3, every budget a multiple of `multiple`."""
    if fidelity not in MULTI_FIDELITY or max_budget is None:
        return None
    lowest = max_budget if fidelity == "full" else min_budget or max(1, max_budget // eta ** 3)
    return Rungs(lowest, max_budget, eta, multiple=multiple)


def fit_to_data(config: SearchConfig, images: int) -> SearchConfig:
    """Fills the settings left to the data (None) for a training file of `images` images: the split
    sizes, and with fidelities the rung budgets. Explicit settings are kept as they are."""
    fidelity = resolved_fidelity(config)
    multi = fidelity in MULTI_FIDELITY
    streamed = multi and config.inner == "backprop"  # rungs of images seen on a stream over every image
    val_size = config.val_size or max(1, min(2000 if streamed else 500, images // (6 if streamed else 4)))
    available = max(1, images - val_size)
    train_size = config.train_size or (available if streamed else min(2000, available))
    changes: dict[str, Any] = {"fidelity": fidelity, "val_size": val_size, "train_size": train_size}
    if multi and config.max_budget is None:
        # weight evolution: rungs of generations up to the candidates' own
        top = config.weight_generations if config.inner == "weights" else max(
            BUDGET_MULTIPLE, min(DEFAULT_MAX_BUDGET, MIN_PASSES_AT_TOP * train_size))
        changes["max_budget"] = top
        check_budgets(config.min_budget, top, fitted=True)
    return replace(config, **changes)


# The smallest value each count may take; the message names the CLI flag the user typed.
MINIMUMS = {"population": 2, "generations": 0, "time_limit": 0, "train_size": 1, "val_size": 1, "min_budget": 1,
            "max_budget": 1, "eta": 2, "epochs": 1, "patience": 1,
            "max_params": 1, "final_train_size": 1, "final_epochs": 1, "workers": 0, "recycle_after": 1,
            "weight_population": 2, "weight_generations": 1, "weight_batch": 0, "final_weight_generations": 1}


def check_config(config: SearchConfig) -> SearchSpace:
    """Raises a one-line `ArchsearchError` for a count out of range, an unknown strategy or a malformed
    space; returns the space. The CLI and `api.search` both call it, before anything slow happens."""
    check_counts_and_strategy(config, MINIMUMS)
    check_executor(config)
    check_fidelity(config)
    if config.inner not in INNER_LOOPS:
        raise ArchsearchError(f"--inner {config.inner}: unknown (known: {', '.join(INNER_LOOPS)})")
    if config.inherit_weights and config.inner != "backprop":
        raise ArchsearchError("--inherit-weights: only with --inner backprop (evolved weights start afresh)")
    if config.inner == "weights":
        check_weight_strategy(config.weight_strategy, config.weight_population, config.weight_options)
    check_objectives(config)
    return load_space(config.space)


def check_executor(config: RunSettings) -> None:
    """One-line errors for an unknown executor, a scheduler without Dask, Dask with --in-process."""
    if config.executor not in EXECUTORS:
        raise ArchsearchError(f"--executor {config.executor}: unknown (known: {', '.join(EXECUTORS)})")
    if config.scheduler and config.executor != "dask":
        raise ArchsearchError(f"--scheduler {config.scheduler}: only with --executor dask")
    if config.executor == "dask" and not config.isolate:
        raise ArchsearchError("--executor dask: not with --in-process (Dask runs candidates in its workers)")


def check_fidelity_values(config: RunSettings) -> None:
    """One-line errors for an unknown fidelity or a lowest rung above the top one."""
    if config.fidelity is not None and config.fidelity not in FIDELITIES:
        raise ArchsearchError(f"--fidelity {config.fidelity}: unknown (known: {', '.join(FIDELITIES)})")
    check_budgets(config.min_budget, config.max_budget)


def check_fidelity(config: SearchConfig) -> None:
    """One-line errors for fidelity settings that cannot work together."""
    check_fidelity_values(config)
    if config.fidelity not in MULTI_FIDELITY:
        return
    if config.inherit_weights:
        raise ArchsearchError(f"--inherit-weights: not with --fidelity {config.fidelity} (a candidate trained on a "
                              "stream keeps its own weights)")


def check_budgets(min_budget: int | None, max_budget: int | None, fitted: bool = False) -> None:
    """One-line error for a lowest rung above the top one (`fitted`: the top was fitted to the data)."""
    if min_budget and max_budget and min_budget > max_budget:
        top = f"the top budget fitted to the data, {max_budget:,}" if fitted else f"--max-budget {max_budget}"
        raise ArchsearchError(f"--min-budget {min_budget}: above {top}")


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


def check_counts_and_strategy(config: RunSettings, minimums: dict[str, int]) -> None:
    """One-line errors, naming the flag, for a count below its minimum, a budget below 1, an unknown
    strategy or a population too small for it."""
    for name, least in minimums.items():
        value = getattr(config, name)
        if value is not None and value < least:
            raise ArchsearchError(f"--{name.replace('_', '-')} {value}: must be at least {least}")
    if config.budget is not None and config.budget < 1:
        raise ArchsearchError(f"--budget {config.budget}: must be at least 1")
    if config.strategy not in STRATEGIES:
        raise ArchsearchError(f"--strategy {config.strategy}: unknown (known: {', '.join(sorted(STRATEGIES))})")
    least = STRATEGIES[config.strategy].min_population
    if config.population < least:
        raise ArchsearchError(f"--population {config.population}: {config.strategy} needs at least {least}")


def check_weight_strategy(name: str, population: int, options: dict[str, Any], flag: str = "--weight-strategy",
                          n_params: int = 10_000) -> None:
    """One-line errors, naming the command's `flag`, for an unknown weight strategy or settings it
    refuses (for a network of `n_params` weights, where known), before any work."""
    if name not in WEIGHT_STRATEGIES:
        raise ArchsearchError(f"{flag} {name}: unknown (known: {', '.join(sorted(WEIGHT_STRATEGIES))})")
    try:
        WEIGHT_STRATEGIES[name].check(n_params, population, **options)
    except (ValueError, TypeError) as exc:
        raise ArchsearchError(f"{flag} {name}: {exc}") from None


def comparison_cell(label: str) -> tuple[str, str | None]:
    """A comparison's cell as written on the command line: STRATEGY, or STRATEGY:FIDELITY (e.g. ga:full)."""
    strategy, _, fidelity = label.partition(":")
    return strategy, fidelity or None


def check_comparison(base: SearchConfig, cells: Sequence[str], seeds: int, budget: int,
                     seconds: float | None = None) -> None:
    """One-line errors for bad arguments, before anything slow happens."""
    if base.inherit_weights:
        raise ArchsearchError("inherit_weights: not for comparisons (the strategies of a seed share one evaluator)")
    if seconds is None and (base.fidelity in MULTI_FIDELITY or any(comparison_cell(c)[1] for c in cells)):
        raise ArchsearchError(f"--strategies {','.join(cells)}: fidelities need --seconds (an equal budget of "
                              "evaluations is not equal compute when evaluations differ in cost)")
    if seconds is not None and seconds <= 0:
        raise ArchsearchError(f"--seconds {seconds:g}: must be above 0")
    if not cells:
        raise ArchsearchError("--strategies: name at least one strategy")
    if len(set(cells)) != len(cells):
        raise ArchsearchError(f"--strategies {','.join(cells)}: a strategy is named twice")
    if seeds < 1:
        raise ArchsearchError(f"--seeds {seeds}: must be at least 1")
    if budget < 1:
        raise ArchsearchError(f"--budget {budget}: must be at least 1")
    unknown = [c for c in cells if comparison_cell(c)[0] not in STRATEGIES]
    if unknown:
        raise ArchsearchError(f"--strategies: unknown {', '.join(unknown)} (known: {', '.join(sorted(STRATEGIES))})")
    resolved = resolved_fidelity(base)
    for cell in cells:
        strategy, fidelity = comparison_cell(cell)
        if fidelity is not None and (fidelity not in MULTI_FIDELITY or resolved not in MULTI_FIDELITY):
            raise ArchsearchError(f"--strategies {cell}: a cell's fidelity is asha or full, beside a multi-fidelity "
                                  "base (the cells of a seed share one data split)")
        check_config(base.with_overrides(strategy=strategy, budget=budget, fidelity=fidelity))
