"""`SimulatedPool`: workers in simulated time, for tasks whose evaluations cost milliseconds but stand for
training that takes seconds (benchmarks with a known optimum, surrogates of real searches).

Each job is evaluated at once, in this process; the seconds its result reports (`EvaluationResult.seconds`)
are how long a worker would have trained it. The pool hands results back in the order the workers would
have finished them and moves its clock (`run.clock.SimulatedClock`) to each finish, and the engine reads
the time from that clock: the asynchronous scheduling, promotions, backfill and time box of a real run,
in a fraction of a second, and the same history for the same seed on any machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from archsearch.run.candidates import Evaluator
from archsearch.run.clock import SimulatedClock


class SimulatedPool:
    """`workers` simulated workers around `evaluator` (an `EvaluatorPool`, so the engine runs it as any pool)."""

    def __init__(self, evaluator: Evaluator, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"a simulated pool needs at least one worker, got {workers}")
        self.evaluator, self.workers, self.clock = evaluator, workers, SimulatedClock()
        self._pending: dict[Future, tuple[float, int, Any]] = {}  # future -> (finish, submission order, result)
        self._order = itertools.count()

    def submit(self, *job: Any) -> Future:
        """Evaluates now; the result is due when a worker starting now would have finished it."""
        result = self.evaluator.evaluate(*job)
        future: Future = Future()
        self._pending[future] = (self.clock.now() + max(0.0, result.seconds), next(self._order), result)
        return future

    def wait_first(self, futures: Iterable[Future]) -> set[Future]:
        """The first of `futures` to finish in simulated time (ties: the first submitted), now finished."""
        first = min(futures, key=lambda future: self._pending[future][:2])
        finish, _, result = self._pending.pop(first)
        self.clock.advance_to(finish)
        first.set_result(result)
        return {first}

    def close(self) -> None:
        self._pending.clear()

    def __enter__(self) -> SimulatedPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
