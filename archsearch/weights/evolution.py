"""Training without gradients: a weight strategy evolves a network's weights, scored by the batched
population forward pass.

Each generation the strategy asks for a population of weight vectors, all of them are scored at once
on a minibatch of training images (or on all of them: a fixed evaluation set), and the strategy is
told the losses. Every `monitor_every` generations the strategy's current solution is scored on the
monitor images (validation), which is the curve a user watches.

The strategy comes from a factory the caller passes in (`strategies.weights.make_weight_strategy`), so
evaluation does not import the strategies: the run layer joins the two.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import keras
import numpy as np
from threadpoolctl import threadpool_limits

from archsearch.weights.losses import CLASSIFICATION_LOSSES, LOSSES
from archsearch.weights.population_forward import PopulationForward
from archsearch.weights.precision import check_precision

if TYPE_CHECKING:
    from archsearch.weights.strategies import WeightStrategy


class WeightStrategyFactory(Protocol):
    """`make_weight_strategy`'s signature: name, a function drawing `count` initial vectors (the strategy
    decides how many), rng, population, options."""

    def __call__(self, name: str, initial: Callable[[int], np.ndarray], rng: np.random.Generator, population: int,
                 **options: Any) -> "WeightStrategy": ...


@dataclass(frozen=True)
class WeightEvolutionSettings:
    """How weights are evolved; fully determines a run with its seed."""

    strategy: str = "snes"
    population: int = 64
    generations: int = 100
    batch_size: int | None = 256  # training images scored per generation; None: all, every generation
    # the fitness: "mse" or "mae" of the reconstruction, or for a classifier (softmax output, labelled
    # images) "crossentropy" or "error_rate" (1 - accuracy)
    loss: str = "mse"
    target_range: tuple[float, float] | None = None  # targets scaled from [0, 1] to this range
    time_limit: float | None = None  # seconds; stops after the generation that crosses it
    monitor_every: int = 10
    chunk: int | None = None  # individuals per forward call: bounds memory for large networks
    # the dtype the population's layers run in: "bfloat16" scored `cnn-classifier`'s population 1.5x
    # faster on a CPU with bfloat16 instructions, 0.6-1.3x of float32 without them (benchmarks/README.md);
    # the monitor and final scores stay float32
    precision: str = "float32"
    options: dict[str, Any] = field(default_factory=dict)  # the strategy's own settings, e.g. sigma

    @classmethod
    def of_run(cls, config: Any, generations: int | None = None, loss: str = "mse") -> "WeightEvolutionSettings":
        """A search's inner loop (`RunSettings`' weight_* settings), for `generations` (default: the
        candidates' own) generations."""
        generations = generations or config.weight_generations
        return cls(strategy=config.weight_strategy, population=config.weight_population, generations=generations,
                   batch_size=config.weight_batch or None, loss=loss, monitor_every=max(1, generations // 10),
                   options=dict(config.weight_options))

    def targets(self, images: np.ndarray) -> np.ndarray:
        if self.target_range is None:
            return images
        low, high = self.target_range
        return (low + (high - low) * images).astype(np.float32)

    @property
    def scores_mse(self) -> bool:
        """Whether the fitness is plain reconstruction MSE (so a monitor score is the MSE itself)."""
        return self.loss == "mse" and self.target_range is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GenerationRecord:
    """One generation: the population's best and median loss on its minibatch, and (every
    `monitor_every` generations and at the end) the solution's loss on the monitor images."""

    generation: int
    seconds: float
    evaluations: int
    best: float
    median: float
    monitor: float | None = None


@dataclass
class WeightEvolutionOutcome:
    solution: np.ndarray
    history: list[GenerationRecord]
    strategy: WeightStrategy
    seconds: float

    @property
    def generations(self) -> int:
        return len(self.history)


def evolve_weights(model: keras.Model, x_train: np.ndarray, settings: WeightEvolutionSettings,
                   rng: np.random.Generator, make_strategy: WeightStrategyFactory, monitor: np.ndarray | None = None,
                   on_generation: Callable[[GenerationRecord, WeightStrategy], None] | None = None,
                   forward: PopulationForward | None = None, resume: dict[str, Any] | None = None,
                   labels: Labelled | None = None) -> WeightEvolutionOutcome:
    """Evolves `model`'s trainable weights to reconstruct `x_train` (or, with a classification loss, to
    classify it: `labels` holds the training images' and the monitor images' classes) and loads the
    solution into it. Pass `forward` when the caller has already compiled the model's batched pass.
    `resume`: a strategy's `state_dict` after some generations (its random generator is `rng`, so the
    minibatches continue too): the run goes on from there to `settings.generations`, exactly as one
    uninterrupted run would. Bad strategy settings, or a precision this process cannot run, raise
    ValueError or TypeError before any work (the commands check them first)."""
    if settings.loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {settings.loss!r}")
    if (settings.loss in CLASSIFICATION_LOSSES) != (labels is not None):
        raise ValueError(f"loss {settings.loss!r}: class labels are needed for a classification loss, and only there")
    check_precision(settings.precision)
    forward = forward or PopulationForward(model)
    strategy = make_strategy(settings.strategy, lambda count: forward.layout.initial(rng, count), rng,
                             settings.population, **settings.options)
    if resume is not None:
        strategy.load_state_dict(resume)
    # NumPy's BLAS threads spin after each of the strategy's products and fight the backend's threads
    # for the cores: one BLAS thread took 784-32-2-32-784 at population 64 from 80 to 49 ms a generation
    # on 2 cores. Only a strategy whose update is itself heavy linear algebra keeps them.
    with contextlib.nullcontext() if strategy.heavy_linear_algebra else threadpool_limits(1, user_api="blas"):
        return _evolve(model, x_train, settings, rng, strategy, forward, monitor, on_generation, labels)


@dataclass(frozen=True)
class Labelled:
    """The classes of the training images and of the monitor images (default: the first 1,000 training ones)."""

    train: np.ndarray
    monitor: np.ndarray | None = None


def _evolve(model, x_train, settings, rng, strategy, forward, monitor, on_generation,
            labels: Labelled | None) -> WeightEvolutionOutcome:
    if monitor is None:
        monitor = x_train[:1000]
        monitor_targets = settings.targets(monitor) if labels is None else labels.train[:1000]
    else:
        monitor_targets = settings.targets(monitor) if labels is None else labels.monitor
    batch_size = len(x_train) if settings.batch_size is None else min(settings.batch_size, len(x_train))
    fixed = batch_size == len(x_train)
    history: list[GenerationRecord] = []
    start = time.perf_counter()
    for generation in range(strategy.generation + 1, settings.generations + 1):
        picked = slice(None) if fixed else rng.choice(len(x_train), batch_size, replace=False)
        images = x_train[picked]
        targets = settings.targets(images) if labels is None else labels.train[picked]
        strategy.progress = _progress(generation, time.perf_counter() - start, settings)
        population = strategy.ask()
        losses = forward.fitness(population, images, targets, settings.loss, settings.chunk, settings.precision)
        strategy.tell(losses)
        seconds = time.perf_counter() - start
        last = generation == settings.generations or (settings.time_limit is not None
                                                      and seconds >= settings.time_limit)
        score = None
        if last or generation % settings.monitor_every == 0:
            score = float(forward.fitness(strategy.solution[None], monitor, monitor_targets, settings.loss)[0])
        finite = losses[np.isfinite(losses)]
        record = GenerationRecord(generation, seconds, generation * settings.population,
                                  float(finite.min()) if finite.size else math.inf,
                                  float(np.median(finite)) if finite.size else math.inf, score)
        history.append(record)
        if on_generation is not None:
            on_generation(record, strategy)
        if last:
            break
    forward.layout.assign(model, strategy.solution)
    return WeightEvolutionOutcome(strategy.solution, history, strategy, time.perf_counter() - start)


def _progress(generation: int, seconds: float, settings: WeightEvolutionSettings) -> float:
    """The share of the budget spent when `generation` starts: of the generations, or of the time
    limit if that is nearer."""
    share = generation / settings.generations
    if settings.time_limit:
        share = max(share, seconds / settings.time_limit)
    return min(share, 1.0)


def starting_from(vector: np.ndarray, make_strategy: WeightStrategyFactory) -> WeightStrategyFactory:
    """`make_strategy`, but every strategy's first starting vector is `vector` (any others stay fresh
    draws): to compare methods, backprop included, from the same initial weights."""

    def make(name, initial, rng, population, **options):
        return make_strategy(name, lambda count: np.vstack([vector[None], initial(count)[1:]]), rng, population,
                             **options)

    return make
