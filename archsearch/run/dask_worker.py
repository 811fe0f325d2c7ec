"""What a Dask worker runs for a `DaskPool`: the evaluator, installed as a worker plugin, and the task.

The evaluator (its pickle, with the images it holds) is a worker plugin, not scattered data: the
scheduler keeps plugins and installs them on every worker that joins, so a worker restarted after a
crash, or one started later on another machine, gets it too (scattered data dies with the workers that
held it). On setup it starts a local `WorkerPool` of one training child per worker thread, so TensorFlow
is imported while the client gets going; the task hands each candidate to it, and carries the
candidate's checkpoints both ways (see `dask_pool`).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from archsearch.core.fidelity import fidelity_in
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import EvaluationResult
from archsearch.run.pool import WorkerPool

# On a Dask worker: the plugins of the pools it serves.
_PLUGINS: dict[str, EvaluatorPlugin] = {}


class EvaluatorPlugin(WorkerPlugin):
    """One pool's evaluator on every worker: its pickle, and the attributes read without unpickling it
    (the worker process never imports TensorFlow; only its training children unpickle it)."""

    idempotent = True

    def __init__(self, pool: str, name: str, inherits: bool, preload: tuple[str, ...], pickled: bytes,
                 recycle_after: int) -> None:
        self.pool, self.name, self.inherits, self.preload = pool, name, inherits, preload
        self.pickled, self.recycle_after = pickled, recycle_after
        self.local: WorkerPool | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "local": None}  # the worker's own children do not travel

    def setup(self, worker: Any) -> None:
        self.local = WorkerPool(self, worker.state.nthreads, self.recycle_after, pickled=self.pickled)
        _PLUGINS[self.pool] = self

    def teardown(self, worker: Any) -> None:
        _PLUGINS.pop(self.pool, None)
        if self.local is not None:
            self.local.close()


def evaluate_on_worker(pool: str, resume: bytes | None, genome: JsonGenome, seed: int,
                       *context: Any) -> tuple[EvaluationResult, bytes | None]:
    """The evaluation, and the bytes of the checkpoint it saved (None if none). A continued evaluation's
    checkpoint arrives as `resume` bytes; both live in a temporary directory of this machine meanwhile."""
    local = _PLUGINS[pool].local
    fidelity = fidelity_in(context)
    if fidelity is None:
        return local.evaluate(genome, seed, *context), None
    with tempfile.TemporaryDirectory(prefix="archsearch-") as scratch:
        if resume is not None:
            Path(scratch, "resume.npz").write_bytes(resume)
        here = replace(fidelity, resume=str(Path(scratch, "resume.npz")) if fidelity.resume else None,
                       checkpoint=str(Path(scratch, "checkpoint.npz")) if fidelity.checkpoint else None)
        result = local.evaluate(genome, seed, *context[:-1], here)
        saved = Path(here.checkpoint) if here.checkpoint else None
        return result, saved.read_bytes() if saved is not None and saved.is_file() else None
