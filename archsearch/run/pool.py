"""Evaluates a batch of genomes on several worker processes at once, so no core sits idle.

Small candidates leave most of a core unused when one TensorFlow process trains them (about 1.2 of
2 cores here), so the pool runs one single-threaded `IsolatedEvaluator` per core. Each child's
TensorFlow is single-threaded whatever the pool size, so a genome gets the same fitness in a pool of
1 or of 16 and the search history does not depend on the number of workers.
"""

from __future__ import annotations

import os
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from archsearch.core.genomes import JsonGenome
from archsearch.core.records import EvaluationResult
from archsearch.run.evaluator_pool import EvaluatorPool
from archsearch.run.isolated import IsolatedEvaluator


def default_workers() -> int:
    """One worker per core, at most 8 (each holds a TensorFlow process of about 1 GiB)."""
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


class WorkerPool(EvaluatorPool):
    """`workers` single-threaded worker processes behind the evaluator interface."""

    def __init__(self, evaluator: Any, workers: int, recycle_after: int = 20,
                 log_path: str | Path | None = None, pickled: bytes | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        super().__init__(evaluator, pickled)
        self.members = [IsolatedEvaluator(evaluator, recycle_after, log_path=log_path, threads=1,
                                          pickled=self.pickled) for _ in range(workers)]
        self._free: queue.Queue[IsolatedEvaluator] = queue.Queue()
        for member in self.members:
            self._free.put(member)
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="archsearch-worker")

    def evaluate(self, genome: JsonGenome, seed: int, *context: Any) -> EvaluationResult:
        member = self._free.get()
        try:
            return member.evaluate(genome, seed, *context)
        finally:
            self._free.put(member)

    @property
    def workers(self) -> int:
        return len(self.members)

    def submit(self, genome: JsonGenome, seed: int, *context: Any) -> Future:
        """Starts an evaluation on the next free worker (queued while all are busy)."""
        return self._executor.submit(self.evaluate, genome, seed, *context)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        for member in self.members:
            member.close()
