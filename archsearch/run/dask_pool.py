"""Evaluates candidates on a Dask cluster instead of archsearch's own worker processes.

The engine needs only `submit(genome, seed, *context) -> Future` and `workers`; this gives it both on
Dask distributed: a `LocalCluster` of single-threaded worker processes that archsearch starts and stops,
or an existing cluster named by its scheduler's address. The evaluator (and the images it holds) is
pickled once here and installed on every worker as a worker plugin (`dask_worker`), also on workers that
join or restart later, so workers need no copy of the data; only the training child unpickles it (the
worker process never imports TensorFlow). The client, in the archsearch process, stays the only writer
of the run directory: workers return results, nothing else.

Checkpoints travel through the cluster: a continued evaluation carries the bytes of the checkpoint it
resumes from, trains in a temporary directory on its worker, and returns the checkpoint it saved, which
the client writes where the engine expects it. So a candidate may climb its rungs on different machines
that share no disk. The bytes ride in the task itself (up to about 12 MiB for a model of a million
parameters with Adam's state), which the scheduler keeps until the task ends: that is what lets it run
the task again elsewhere when its worker dies. What cannot travel (the weights of `--inherit-weights`, a
backbone file) must be on storage every worker reaches at the same path; that is checked when the pool
starts and refused in one line otherwise.

A Dask worker does not train in its own process: it hands each candidate to an `IsolatedEvaluator`, a
single-threaded child process replaced every `recycle_after` evaluations, exactly as the local pool
does. So TensorFlow's memory stays flat in long-lived workers, and a candidate trains the same as
locally: trained in the worker process itself, a candidate's fitness changed from run to run
(presumably because Keras seeds layers built without a seed from Python's global `random`, which the
worker's own threads also draw from).

A worker lost in the middle of a candidate (killed, its machine gone) costs that candidate's running
rung: the scheduler runs it once more elsewhere (`allowed-failures` 1 on the clusters archsearch
starts; a cluster of your own keeps its scheduler's setting), and if that worker is lost too it comes
back as a failed evaluation with the reason. A cluster left with no workers at all for `lost_seconds`
stops the run with one line; the journal keeps every finished evaluation for `--resume`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
import warnings
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from pathlib import Path
from typing import Any

from archsearch.core.atomic_write import write_atomically
from archsearch.core.errors import ArchsearchError
from archsearch.core.fidelity import Fidelity, fidelity_in
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import FAILED, EvaluationResult
from archsearch.run.evaluator_pool import EvaluatorPool

CONNECT_SECONDS = 10
SUBMIT_WINDOW_SECONDS = 0.002  # see `send_promptly`
LOST_SECONDS = 120  # a cluster with no workers this long stops the run (workers restarting take seconds)
LOCAL_CLUSTER_SETTINGS = {
    "distributed.scheduler.allowed-failures": 1,  # a candidate whose worker dies runs once more, not thrice
    # one task per single-threaded worker: a task queued on a worker that dies would count as suspect too
    "distributed.scheduler.worker-saturation": 1.0,
    # Dask's own bookkeeping takes CPU from training on the same cores: its statistical profiler (a
    # sample every 10 ms), event-loop ticks, work stealing and the monitors run far less often here
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "2s",
}


def _reads(path: str, size: int) -> bool:
    """On a worker: whether it sees the file the client sees at `path` (same size)."""
    try:
        return os.path.getsize(path) == size
    except OSError:
        return False


class DaskPool(EvaluatorPool):
    """`workers` single-threaded Dask workers on this machine, or the workers of the cluster whose
    scheduler is at `scheduler` (tcp://HOST:PORT), behind the evaluator interface."""

    def __init__(self, evaluator: Any, workers: int, scheduler: str | None = None, recycle_after: int = 20,
                 connect_seconds: float | None = None, lost_seconds: float = LOST_SECONDS) -> None:
        super().__init__(evaluator)
        self.cluster, self.address = None, scheduler or "the local Dask cluster"
        self.client = connect(scheduler, connect_seconds) if scheduler else self._local_cluster(workers)
        send_promptly(self.client)
        self._pending: set[Future] = set()
        self._finished: list[Any] = []  # Dask futures whose results arrived, released after the next submit
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._pool = uuid.uuid4().hex
        try:
            from archsearch.run.dask_worker import EvaluatorPlugin, evaluate_on_worker

            self._count = self._worker_count()  # then kept up to date by the watcher, once a second
            check_workers_run_this_archsearch(self.client, self.address)
            check_shared_paths(self.client, getattr(evaluator, "shared_paths", dict)(), self.address)
            self._task = evaluate_on_worker
            self.client.register_plugin(EvaluatorPlugin(
                self._pool, self.name, self.inherits, tuple(getattr(evaluator, "preload", ())),
                self.pickled, recycle_after), name=self._plugin)
        except BaseException:
            self.close()
            raise
        self._watcher = threading.Thread(target=self._watch_workers, args=(lost_seconds,), daemon=True,
                                         name="archsearch-dask-watch")
        self._watcher.start()

    def _local_cluster(self, workers: int) -> Any:
        import dask
        from distributed import Client, LocalCluster

        with dask.config.set(LOCAL_CLUSTER_SETTINGS):
            # no dashboard; its HTTP server (health checks) on a free port of this machine only, so two runs
            # side by side do not warn that Dask's port 8787 is taken
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                        silence_logs=logging.CRITICAL)
        return Client(self.cluster)

    @property
    def workers(self) -> int:
        """The cluster's worker count, as the watcher last saw it (at least 1: a task waits for a worker)."""
        return max(1, self._count)

    def _worker_count(self) -> int:
        try:  # the count alone: each worker's details would make this a large message on a large cluster
            info = self.client.scheduler_info(n_workers=0)
            return info.get("n_workers", len(info["workers"]))
        except Exception:  # noqa: BLE001 - the scheduler itself gone: counts as no workers
            return 0

    def submit(self, genome: JsonGenome, seed: int, *context: Any) -> Future:
        """Starts an evaluation on the cluster; the future holds its result, or a failed result when the
        cluster could not run it."""
        fidelity = fidelity_in(context)
        resume = Path(fidelity.resume).read_bytes() if fidelity is not None and fidelity.resume else None
        with warnings.catch_warnings():  # a checkpoint of a few MiB travels in the task on purpose (see above)
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            task = self.client.submit(self._task, self._pool, resume, genome, seed, *context, pure=False)
        result: Future = Future()
        with self._lock:
            self._pending.add(result)
            finished, self._finished = self._finished, []
        # Released only now: Dask sends a client's messages to the scheduler at most once per 10 ms, and the
        # scheduler's to a worker once per 5 ms, so a key released just before a submit delayed that submit
        # by both (it reached its training child 12 ms after it was made; now 3 ms).
        del finished
        self.client.loop.add_callback(self._settle, task, result, fidelity)
        return result

    async def _settle(self, task: Any, result: Future, fidelity: Fidelity | None) -> None:
        """Runs on the client's event loop, so results that finish together are fetched side by side (a
        done-callback fetches them one at a time on Dask's single callback thread: a stub benchmark served
        212 tasks a second that way, 273 this way)."""
        try:
            evaluation, saved = await self.client.gather(task, asynchronous=True)
            if saved is not None and fidelity is not None and fidelity.checkpoint:  # off the event loop
                await asyncio.get_running_loop().run_in_executor(None, write_atomically, Path(fidelity.checkpoint),
                                                                 saved)
        except (Exception, asyncio.CancelledError) as error:  # a worker lost twice (KilledWorker), a task the
            # cluster could not run, or one cancelled as the client closes
            evaluation = EvaluationResult(FAILED, reason=f"{type(error).__name__} on the Dask cluster: {error}")
        with self._lock:
            self._pending.discard(result)
            self._finished.append(task)
        with suppress(InvalidStateError):  # the watcher may have stopped the run meanwhile
            result.set_result(evaluation)

    def _watch_workers(self, lost_seconds: float) -> None:
        """Stops the run (its pending futures raise) once the cluster has had no worker for `lost_seconds`:
        a chief waiting forever on a cluster that lost every worker is worse than a clear stop."""
        alone_since = None
        while not self._closed.wait(1.0):
            self._count = self._worker_count()
            alone_since = None if self._count else (alone_since or time.monotonic())
            if alone_since is not None and time.monotonic() - alone_since >= lost_seconds:
                error = ArchsearchError(f"{self.address}: no Dask worker for {lost_seconds:.0f} s; every finished "
                                        "evaluation is in the journal: start workers and run again with --resume")
                with self._lock:
                    pending, self._pending = list(self._pending), set()
                for future in pending:
                    with suppress(InvalidStateError):  # its result may have arrived meanwhile
                        future.set_exception(error)
                alone_since = None

    def evaluate(self, genome: JsonGenome, seed: int, *context: Any) -> EvaluationResult:
        return self.submit(genome, seed, *context).result()

    @property
    def _plugin(self) -> str:
        return f"archsearch-{self._pool}"

    def close(self) -> None:
        """Stops the training children on every worker (the plugin's teardown), then the cluster if it
        is archsearch's own."""
        self._closed.set()
        if hasattr(self, "_watcher"):
            self._watcher.join(timeout=10)  # not asking the scheduler anything while the client closes
        try:
            self.client.unregister_worker_plugin(self._plugin)
        except Exception:  # noqa: BLE001 - a cluster already gone, or a plugin never registered
            pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def send_promptly(client: Any, window: float = SUBMIT_WINDOW_SECONDS) -> None:
    """Dask's client sends its messages to the scheduler at most once per 10 ms, a window written into
    Dask to batch the many small tasks of a dataframe computation. A search submits each candidate when
    another finishes, a few a second, so the window only delays each submit: 32 workers lost 14.5 ms per
    task with 2 ms, 18.4 ms with 10 ms (the two taking turns in one benchmark row). The stream's
    `interval` is not a documented setting; where a Dask release has none (or after the client
    reconnects, on a new stream), the client keeps Dask's window and works as before."""
    stream = getattr(client, "scheduler_comm", None)
    if stream is not None and hasattr(stream, "interval"):
        stream.interval = window


def connect(scheduler: str, seconds: float | None = None) -> Any:
    """A client of the scheduler at `scheduler`, or one line naming the address."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=seconds or CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as error:
        raise ArchsearchError(f"--scheduler {scheduler}: no Dask scheduler answers there ({error})") from None


def check_scheduler_of(config: Any) -> None:
    """A run's `--scheduler` that does not answer fails in one line, asked before anything is loaded or
    written (the run's `executor`, `scheduler` and `isolate` settings say whether there is one)."""
    if config.isolate and config.executor == "dask" and config.scheduler:
        connect(config.scheduler).close()


def archsearch_version() -> str:
    from importlib.metadata import version

    return version("archsearch")


def check_workers_run_this_archsearch(client: Any, address: str) -> None:
    """Every worker must import the same archsearch as this client (tasks are its functions, results its
    classes); a worker that does not is one line naming it."""
    mine = archsearch_version()
    for worker, theirs in sorted(client.run(archsearch_version, on_error="return").items()):
        if theirs != mine:
            has = f"has archsearch {theirs}" if isinstance(theirs, str) else f"cannot import archsearch ({theirs!r})"
            raise ArchsearchError(f"{address}: Dask worker {worker} {has}; this client runs {mine}: install the "
                                  "same archsearch on every worker")


def check_shared_paths(client: Any, paths: dict[str, str], address: str) -> None:
    """Every worker must see each of `paths` (path: what it holds; files, or directories made here) as the
    client does; a worker that does not is one line naming the path and the worker."""
    for path, what in ((Path(p), w) for p, w in paths.items()):
        probe = None
        if not path.is_file():
            path.mkdir(parents=True, exist_ok=True)
            probe = path / f".archsearch-probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"archsearch")
        target = probe or path
        try:
            seen = client.run(_reads, str(target), target.stat().st_size)
        finally:
            if probe is not None:
                probe.unlink(missing_ok=True)
        blind = sorted(worker for worker, sees in seen.items() if not sees)
        if blind:
            raise ArchsearchError(f"{path} ({what}): Dask worker {blind[0]} of {address} cannot read it; it must be on "
                                  "storage every worker reaches at the same path")
