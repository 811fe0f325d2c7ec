"""What a Dask worker runs for a `DaskPool`: the evaluator, installed as a worker plugin, and the task.

The evaluator (its pickle, with the images it holds) is a worker plugin, not scattered data: the
scheduler keeps plugins and installs them on every worker that joins, so a worker restarted after a
crash, or one started later on another machine, gets it too (scattered data dies with the workers that
held it). The task hands each candidate to an `IsolatedEvaluator` of the worker thread, and carries the
candidate's checkpoints both ways (see `dask_pool`).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from archsearch.evaluation.isolated import IsolatedEvaluator
from archsearch.fidelity import Fidelity
from archsearch.genome import Genome
from archsearch.records import EvaluationResult

# On a Dask worker: the plugins of the pools it serves, and their isolated evaluators (one per thread).
_PLUGINS: dict[str, EvaluatorPlugin] = {}
_ISOLATED: dict[tuple[str, int], IsolatedEvaluator] = {}


class EvaluatorPlugin(WorkerPlugin):
    """One pool's evaluator on every worker: its pickle, and the attributes read without unpickling it
    (the worker process never imports TensorFlow; only its training children unpickle it)."""

    idempotent = True

    def __init__(self, pool: str, name: str, inherits: bool, uses_tensorflow: bool, pickled: bytes,
                 recycle_after: int) -> None:
        self.pool, self.name, self.inherits, self.uses_tensorflow = pool, name, inherits, uses_tensorflow
        self.pickled, self.recycle_after = pickled, recycle_after

    def setup(self, worker: Any) -> None:
        _PLUGINS[self.pool] = self

    def teardown(self, worker: Any) -> None:
        _PLUGINS.pop(self.pool, None)
        for key in [k for k in _ISOLATED if k[0] == self.pool]:
            _ISOLATED.pop(key).close()


def evaluate_on_worker(pool: str, resume: bytes | None, genome: Genome, seed: int,
                       *context: Any) -> tuple[EvaluationResult, bytes | None]:
    """The evaluation, and the bytes of the checkpoint it saved (None if none). A continued evaluation's
    checkpoint arrives as `resume` bytes; both live in a temporary directory of this machine meanwhile."""
    key = (pool, threading.get_ident())
    if key not in _ISOLATED:
        plugin = _PLUGINS[pool]
        _ISOLATED[key] = IsolatedEvaluator(plugin, plugin.recycle_after, threads=1, pickled=plugin.pickled)
    isolated = _ISOLATED[key]
    fidelity = context[-1] if context and isinstance(context[-1], Fidelity) else None
    if fidelity is None:
        return isolated.evaluate(genome, seed, *context), None
    with tempfile.TemporaryDirectory(prefix="archsearch-") as local:
        if resume is not None:
            Path(local, "resume.npz").write_bytes(resume)
        here = replace(fidelity, resume=str(Path(local, "resume.npz")) if fidelity.resume else None,
                       checkpoint=str(Path(local, "checkpoint.npz")) if fidelity.checkpoint else None)
        result = isolated.evaluate(genome, seed, *context[:-1], here)
        saved = Path(here.checkpoint) if here.checkpoint else None
        return result, saved.read_bytes() if saved is not None and saved.is_file() else None
