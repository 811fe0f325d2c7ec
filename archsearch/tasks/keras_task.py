"""`KerasTask`: a search over Keras models in one object (Keras Tuner's HyperModel, done better).

    task = KerasTask(space=Space({...}), build=build, loss="mse", metrics=("mae",), objective="mae")

`build(params, input_shape)` returns an uncompiled `keras.Model` for one candidate (a build that takes
a third argument also gets the `Targets`: their shape, and the number of classes of integer labels, so
a classifier's last layer fits whatever labelled data it is given); archsearch compiles
it with the task's loss and metrics and the candidate's optimizer, learning rate and batch size (the
values of those names in its params, else the task's), trains it to a fidelity on a stream of the
training data with a cosine learning-rate schedule, continues it from its checkpoint when it is
promoted, and scores `objective` on the validation data. The search minimises: an objective that is
better when higher (accuracy, AUC, precision, recall, or `maximize=True`) becomes 1 - value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from archsearch.core.errors import ArchsearchError
from archsearch.core.space.params import Params
from archsearch.core.space.space import Space

HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1", "r2")
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")


@dataclass(frozen=True)
class Targets:
    """What a model must output: each target's shape, and for integer class labels their number."""

    shape: tuple[int, ...]
    classes: int | None


def targets_of(*labels: Any) -> Targets:
    """The targets of arrays of labels (None among them is skipped): integer labels of one value each are
    classes 0..max."""
    arrays = [np.asarray(y) for y in labels if y is not None]
    shape = tuple(arrays[0].shape[1:])
    integer = all(np.issubdtype(y.dtype, np.integer) for y in arrays) and shape in ((), (1,))
    return Targets(shape, int(max(y.max() for y in arrays)) + 1 if integer else None)


class Training(NamedTuple):
    """How one candidate trains: what its params say, else what the task says."""

    optimizer: str
    learning_rate: float
    batch_size: int


@dataclass(frozen=True)
class KerasTask:
    """What is searched (`space`), how a candidate becomes a model (`build`), what it learns (`loss`,
    `metrics`) and what the search minimises (`objective` on the validation data)."""

    space: Space
    build: Callable[[Params, tuple[int, ...]], Any]
    loss: Any = "mse"
    metrics: Sequence[Any] = ()
    objective: str = "loss"  # "loss" or the name of one of `metrics`
    maximize: bool | None = None  # None: inferred from the objective's name (HIGHER_IS_BETTER)
    # The task's own data: a function returning (x, y) or (x_train, y_train, x_test, y_test) arrays.
    data: Callable[[], Any] | None = None
    name: str = "keras"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 32
    # The run settings this task is searched with unless the user says otherwise (any `TaskSettings` field:
    # a built-in task's defaults fitted to its data, e.g. {"time_limit": 270}).
    settings: Mapping[str, Any] = field(default_factory=dict)
    # Called with the handed-over model and the test split, and the winner's folder: writes what the task
    # shows of its winner there (a classifier's confusion matrix) and returns metrics to record beside it.
    report: Callable[[Any, Any, Any, Path], dict[str, Any]] | None = None
    # Where the task is defined ("path/to/file.py" or "module:attribute"), set when it was loaded from
    # there: worker processes, `--resume` and `archsearch export` load it again from it.
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.space, Space):
            raise ArchsearchError(f"task {self.name}: space must be an archsearch.Space, "
                                  f"got {type(self.space).__name__}")
        if not callable(self.build):
            raise ArchsearchError(f"task {self.name}: build must be a function build(params, input_shape)")
        if self.optimizer not in OPTIMIZERS:
            raise ArchsearchError(f"task {self.name}: optimizer {self.optimizer!r} unknown "
                                  f"(known: {', '.join(OPTIMIZERS)})")
        object.__setattr__(self, "metrics", tuple(self.metrics))
        names = ["loss"] + [m if isinstance(m, str) else getattr(m, "name", "") for m in self.metrics]
        if self.objective not in names:
            raise ArchsearchError(f"task {self.name}: objective {self.objective!r} is neither the loss nor one of "
                                  f"its metrics ({', '.join(names)})")

    @property
    def maximized(self) -> bool:
        if self.maximize is not None:
            return self.maximize
        return any(word in self.objective.lower() for word in HIGHER_IS_BETTER)

    def fitness(self, value: float) -> float:
        """What the search minimises, from the objective's validation value."""
        return 1.0 - value if self.maximized else value

    @property
    def fitness_label(self) -> str:
        """The fitness in words, for tables and plots: "val loss", "val error (1 - accuracy)"."""
        if not self.maximized:
            return f"val {self.objective}"
        return "val error (1 - accuracy)" if self.objective == "accuracy" else f"1 - val {self.objective}"

    def make_model(self, params: Params, input_shape: tuple[int, ...], targets: Targets) -> Any:
        """`build`, given the targets when it takes them."""
        if len(inspect.signature(self.build).parameters) >= 3:
            return self.build(params, input_shape, targets)
        return self.build(params, input_shape)

    def training(self, params: Params) -> Training:
        """The candidate's optimizer, learning rate and batch size: its params' where the space has them."""
        found = _find(params)
        return Training(str(found.get("optimizer", self.optimizer)),
                        float(found.get("learning_rate", self.learning_rate)),
                        int(found.get("batch_size", self.batch_size)))


def _find(params: Params) -> dict[str, Any]:
    """The training values at the top of the params or in a group of them (``params["training"]``)."""
    found: dict[str, Any] = {}
    for value in params.values():
        if isinstance(value, Mapping):
            found.update({k: v for k, v in value.items() if k in ("optimizer", "learning_rate", "batch_size")})
    found.update({k: params[k] for k in ("optimizer", "learning_rate", "batch_size") if k in params})
    return found
