"""Evaluates candidates on a Dask cluster instead of archsearch's own worker processes.

The engine needs only `submit(genome, seed, *context) -> Future` and `workers`; this gives it both on
Dask distributed: a `LocalCluster` of single-threaded worker processes that archsearch starts and stops,
or an existing cluster named by its scheduler's address. The evaluator (and the data it holds) is
pickled once here and sent to every worker once as bytes; each task names it, and only the training
child unpickles it (the worker process never imports TensorFlow). The client, in the archsearch
process, stays the journal's only writer: workers return results, nothing else.

A Dask worker does not train in its own process: it hands each candidate to an `IsolatedEvaluator`, a
single-threaded child process replaced every `recycle_after` evaluations, exactly as the local pool
does. So TensorFlow's memory stays flat in long-lived workers, and a candidate trains the same as
locally: trained in the worker process itself, a candidate's fitness changed from run to run
(presumably because Keras seeds layers built without a seed from Python's global `random`, which the
worker's own threads also draw from).

Meant for a worker lost in the middle of a candidate (not yet tested): the scheduler runs the job once
more elsewhere (`allowed-failures` 1, set for the clusters archsearch starts), then it comes back as a
failed evaluation with the reason, and the search goes on.
"""

from __future__ import annotations

import logging
import pickle
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from archsearch.errors import ArchsearchError
from archsearch.evaluation.isolated import IsolatedEvaluator
from archsearch.genome import Genome
from archsearch.records import FAILED, EvaluationResult

CONNECT_SECONDS = 10


@dataclass(frozen=True)
class PickledEvaluator:
    """An evaluator as the workers receive it: its pickle, and the two attributes read without it."""

    name: str
    inherits: bool
    pickled: bytes


# On a Dask worker: the isolated evaluators of the pools it serves, one per (pool, worker thread).
_ISOLATED: dict[tuple[str, int], IsolatedEvaluator] = {}


def _evaluate(evaluator: PickledEvaluator, pool: str, recycle_after: int, genome: Genome, seed: int,
              *context: Any) -> EvaluationResult:
    key = (pool, threading.get_ident())
    if key not in _ISOLATED:
        _ISOLATED[key] = IsolatedEvaluator(evaluator, recycle_after, threads=1, pickled=evaluator.pickled)
    return _ISOLATED[key].evaluate(genome, seed, *context)


def _close_isolated(pool: str) -> None:
    for key in [k for k in _ISOLATED if k[0] == pool]:
        _ISOLATED.pop(key).close()


class DaskPool:
    """`workers` single-threaded Dask workers on this machine, or the workers of the cluster whose
    scheduler is at `scheduler` (tcp://HOST:PORT), behind the evaluator interface."""

    def __init__(self, evaluator: Any, workers: int, scheduler: str | None = None, recycle_after: int = 20,
                 connect_seconds: float = CONNECT_SECONDS) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.name = getattr(evaluator, "name", type(evaluator).__name__)
        self.inherits = getattr(evaluator, "inherits", False)
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=connect_seconds)
            except (OSError, TimeoutError) as error:
                raise ArchsearchError(f"--scheduler {scheduler}: no Dask scheduler answers there ({error})") from None
        else:
            with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        payload = PickledEvaluator(self.name, self.inherits, pickle.dumps(evaluator, protocol=pickle.HIGHEST_PROTOCOL))
        self._evaluator = self.client.scatter(payload, broadcast=True, hash=False)
        self._pool, self.recycle_after = uuid.uuid4().hex, recycle_after

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info()["workers"]))

    def submit(self, genome: Genome, seed: int, *context: Any) -> Future:
        """Starts an evaluation on the cluster; the future holds its result, or a failed result when the
        cluster could not run it."""
        task = self.client.submit(_evaluate, self._evaluator, self._pool, self.recycle_after, genome, seed, *context,
                                  pure=False)
        result: Future = Future()
        task.add_done_callback(lambda done: _settle(done, result))
        return result

    def evaluate(self, genome: Genome, seed: int, *context: Any) -> EvaluationResult:
        return self.submit(genome, seed, *context).result()

    def close(self) -> None:
        try:
            self.client.run(_close_isolated, self._pool)
        except Exception:  # noqa: BLE001 - a cluster already gone has nothing left to close
            pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _settle(task: Any, result: Future) -> None:
    try:
        result.set_result(task.result())
    except Exception as error:  # a worker lost twice (KilledWorker), a task the cluster could not run
        result.set_result(EvaluationResult(FAILED, reason=f"{type(error).__name__} on the Dask cluster: {error}"))
