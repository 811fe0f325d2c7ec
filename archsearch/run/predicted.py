"""`PredictedPool`: real workers on a clock of predicted seconds, so a run's history follows its seed and
settings, not the machine's speed or its load, with any number of workers.

Every job trains for real in the pool it wraps, but the engine sees the world a `SimulatedPool` shows
it: each job takes the seconds a cost model predicts from the candidate and its budgets (for the
autoencoder: its multiply-adds per image, times the images it trains), results come back in the order
of their predicted finish (the pool waits for that job if it is still training), and the clock the
engine reads, its time box included, is the predicted one. So the time box is a compute budget, the
same on a fast or a slow machine, idle or loaded; the wall clock stays the user's safety net
(`wall_limit`). What it costs: a worker can idle while the job predicted to finish first is still
training. Each result's metrics keep the seconds it measured (`measured_seconds`) and at most the
worker-seconds others sat idle while the engine waited for it (`idle_seconds`: the wait times the
workers found done at its end; the pool's `idle_seconds` sums them).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from archsearch.core.fidelity import Fidelity
from archsearch.core.records import EvaluationResult
from archsearch.run.clock import SimulatedClock

# (genome, fidelity or None) -> (predicted seconds of the whole evaluation, of them training)
CostModel = Callable[[Any, Fidelity | None], tuple[float, float]]


class PredictedPool:
    """`pool` (any executor with `submit` and `workers`) on the clock of `cost`'s predictions."""

    def __init__(self, pool: Any, cost: CostModel) -> None:
        self.pool, self.cost, self.clock = pool, cost, SimulatedClock()
        self.workers = pool.workers
        self.idle_seconds = 0.0  # worker-seconds idle while a job predicted to finish first still trained
        self._pending: dict[Future, tuple[float, int, Future, tuple[float, float]]] = {}
        self._order = itertools.count()

    @property
    def inherits(self) -> bool:
        return getattr(self.pool, "inherits", False)

    @property
    def name(self) -> str:
        return getattr(self.pool, "name", type(self.pool).__name__)

    def submit(self, genome: Any, seed: int, parents: tuple[str, ...] = (),
               fidelity: Fidelity | None = None) -> Future:
        predicted = self.cost(genome, fidelity)
        future: Future = Future()
        self._pending[future] = (self.clock.now() + predicted[0], next(self._order),
                                 self.pool.submit(genome, seed, parents, fidelity), predicted)
        return future

    def wait_first(self, futures: Iterable[Future]) -> set[Future]:
        """The first of `futures` by predicted finish (ties: the first submitted), once it has really finished."""
        first = min(futures, key=lambda future: self._pending[future][:2])
        finish, _, real, (seconds, train_seconds) = self._pending.pop(first)
        waited = time.monotonic()
        result: EvaluationResult = real.result()
        # workers whose job is done meanwhile sat idle while this one finished
        idle = (time.monotonic() - waited) * sum(job[2].done() for job in self._pending.values())
        self.idle_seconds += idle
        self.clock.advance_to(finish)
        first.set_result(replace(result, seconds=seconds, train_seconds=train_seconds,
                                 metrics={**result.metrics, "measured_seconds": round(result.seconds, 3),
                                          "idle_seconds": round(idle, 3)}))
        return {first}

    def close(self) -> None:
        """Forgets what is pending; the pool it wraps is its owner's to close."""
        self._pending.clear()

    def __enter__(self) -> PredictedPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
