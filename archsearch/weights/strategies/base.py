"""The weight-strategy interface: batch ask/tell over flat weight vectors, the twin of the architecture
strategies' ask/tell over genomes.

A weight strategy proposes a (population, n_params) array and learns from one loss per row; it never
sees a model, so every strategy runs unchanged on a toy function and on a network. Fitness is a loss,
minimised. Every random number comes from the one Generator it is given.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

WEIGHT_STRATEGIES: dict[str, type["WeightStrategy"]] = {}


def register(cls: type["WeightStrategy"]) -> type["WeightStrategy"]:
    WEIGHT_STRATEGIES[cls.name] = cls
    return cls


def make_weight_strategy(name: str, initial: np.ndarray | Callable[[int], np.ndarray], rng: np.random.Generator,
                         population: int, **options: Any) -> "WeightStrategy":
    """`initial`: starting vectors, or a function that draws `count` of them; a strategy then draws as
    many as it uses (`initial_rows`): one centre for the ES family, a whole first generation for `ga`."""
    if name not in WEIGHT_STRATEGIES:
        raise ValueError(f"unknown weight strategy {name!r}; choose one of {', '.join(sorted(WEIGHT_STRATEGIES))}")
    cls = WEIGHT_STRATEGIES[name]
    if callable(initial):
        initial = initial(cls.initial_rows(population))
    return cls(initial, rng, population, **options)


class WeightStrategy(ABC):
    """Proposes populations of weight vectors (`ask`) and learns from their losses (`tell`).

    `initial` is one starting vector (n,) or several (k, n), for example fresh initialisations of
    the network; strategies that keep a population use them as its first members."""

    name: ClassVar[str]
    min_population: ClassVar[int] = 2
    # Whether `tell` does heavy dense linear algebra (cma-es's eigendecomposition) that wants all of
    # BLAS's threads; otherwise the loop keeps BLAS to one thread (see `evolve_weights`).
    heavy_linear_algebra: ClassVar[bool] = False

    @classmethod
    def initial_rows(cls, population: int) -> int:
        """How many fresh starting vectors this strategy makes use of."""
        return 1

    def __init__(self, initial: np.ndarray, rng: np.random.Generator, population: int) -> None:
        if population < self.min_population:
            raise ValueError(f"{self.name} needs a population of at least {self.min_population}, got {population}")
        initial = np.atleast_2d(np.asarray(initial, np.float32))
        self.initial = initial
        self.n_params = initial.shape[1]
        self.rng = rng
        self.population_size = population
        self.generation = 0
        self.best_vector = initial[0].copy()
        self.best_fitness = float("inf")
        # the share of the run's budget spent, 0 to 1 (generations or seconds, whichever limit is
        # nearer), set by the loop before each `ask`: strategies that anneal their steps read it
        self.progress = 0.0
        self._asked: np.ndarray | None = None

    def ask(self) -> np.ndarray:
        """The next population to evaluate, (population, n_params) float32."""
        self._asked = np.asarray(self._ask(), np.float32)
        return self._asked

    def tell(self, fitness: np.ndarray) -> None:
        """The losses of the population last asked, in its order. NaN counts as the worst loss."""
        if self._asked is None:
            raise RuntimeError("tell() without ask()")
        fitness = np.asarray(fitness, np.float64)
        if fitness.shape != (len(self._asked),):
            raise ValueError(f"expected {len(self._asked)} losses, got shape {fitness.shape}")
        fitness = np.where(np.isfinite(fitness), fitness, np.inf)
        best = int(np.argmin(fitness))
        if fitness[best] < self.best_fitness:
            self.best_fitness, self.best_vector = float(fitness[best]), self._asked[best].copy()
        self._tell(self._asked, fitness)
        self._asked = None
        self.generation += 1

    @classmethod
    def check(cls, n_params: int, population: int, **options: Any) -> None:
        """Raises ValueError/TypeError for settings this strategy refuses, without building it for
        `n_params` weights (so a command can refuse before any work)."""
        cls(np.zeros((1, min(n_params, 8)), np.float32), np.random.default_rng(0), population, **options)

    @property
    def solution(self) -> np.ndarray:
        """The vector to keep at the end: the best evaluated one, or a strategy's own estimate."""
        return self.best_vector

    @abstractmethod
    def _ask(self) -> np.ndarray: ...

    @abstractmethod
    def _tell(self, population: np.ndarray, fitness: np.ndarray) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly (arrays and numbers; save it with numpy or pickle)."""
        state = {key: copy.deepcopy(value) for key, value in vars(self).items() if key != "rng"}
        return {"rng": copy.deepcopy(self.rng.bit_generator.state), "attributes": state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        vars(self).update(copy.deepcopy(state["attributes"]))


def centred_ranks(fitness: np.ndarray) -> np.ndarray:
    """Rank-based fitness shaping: the lowest loss gets +0.5, the highest -0.5, evenly spaced, so the
    update ignores the losses' scale and outliers."""
    ranks = np.empty(len(fitness))
    ranks[np.argsort(fitness, kind="stable")] = np.arange(len(fitness))
    return 0.5 - ranks / max(len(fitness) - 1, 1)


def annealed(rate: float, progress: float, share: float, floor: float = 0.1) -> float:
    """`rate` until the last `share` of the run, then falling linearly to `floor` x `rate` at its end:
    like the decaying learning rate of SGD, a smaller step at the end averages out the minibatch noise
    that keeps a constant step wandering (`cnn-classifier` with snes: 0.849 test accuracy in 15 minutes
    instead of 0.835; benchmarks/README.md)."""
    if share <= 0:
        return rate
    left = min(1.0, max(0.0, (1.0 - progress) / share))
    return rate * (floor + (1.0 - floor) * left)


def check_sampling_settings(name: str, population: int, sigma: float, learning_rate: float,
                            anneal: float = 0.0) -> None:
    """The settings every antithetic evolution strategy (es, snes) refuses."""
    if population % 2:
        raise ValueError(f"{name} samples antithetic pairs: the population must be even, got {population}")
    if sigma <= 0 or learning_rate <= 0:
        raise ValueError(f"sigma and learning_rate must be positive, got {sigma} and {learning_rate}")
    if not 0 <= anneal <= 1:
        raise ValueError(f"anneal is the share of the run over which the learning rate falls, from 0 to 1, "
                         f"got {anneal}")
