"""`KerasTask`: a search over Keras models in one object (Keras Tuner's HyperModel, done better).

    task = KerasTask(space=Space({...}), build=build, loss="mse", metrics=("mae",), objective="mae")

`build(params, input_shape)` returns an uncompiled `keras.Model` for one candidate; archsearch compiles
it with the task's loss and metrics and the candidate's optimizer, learning rate and batch size (the
values of those names in its params, else the task's), trains it to a fidelity on a stream of the
training data with a cosine learning-rate schedule, continues it from its checkpoint when it is
promoted, and scores `objective` on the validation data. The search minimises: an objective that is
better when higher (accuracy, AUC, precision, recall, or `maximize=True`) becomes 1 - value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archsearch.core.errors import ArchsearchError
from archsearch.core.space.params import Params
from archsearch.core.space.space import Space

HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1", "r2")
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")


@dataclass(frozen=True)
class Training:
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
