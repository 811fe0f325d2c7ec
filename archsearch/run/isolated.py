"""Runs another evaluator in a child process that is replaced every `recycle_after` evaluations.

Why: TensorFlow keeps every traced training graph alive for the life of the process, even after
`keras.backend.clear_session()` and `gc.collect()` (about 20 MiB per candidate here), so a long
search in one process grows without bound. A child that is retired regularly keeps memory flat, and a
candidate that kills its process (a segfault, the kernel's OOM killer) becomes a `failed` evaluation
instead of ending the run. Only plain data crosses the boundary: the evaluator once per child (it
must pickle), then (genome, seed) in and `EvaluationResult` out.

The next child is started while the current one finishes its last evaluations, so its start-up
(importing TensorFlow) overlaps with training instead of adding to the wall time.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from archsearch.core.errors import ArchsearchError
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import FAILED, EvaluationResult
from archsearch.run.worker import PRELOAD, receive, send_pickled, source_stamp


class _Worker:
    """One child process, started as `python -m archsearch.run.worker` (no re-import of the
    user's main module, unlike multiprocessing's spawn, so unguarded scripts and notebooks work)."""

    def __init__(self, payload: bytes, log_path: Path | None = None, threads: int | None = None,
                 preload: tuple[str, ...] = ()) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if threads:
            for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
                env[name] = str(threads)
        log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - the child keeps it open
        try:
            command = [sys.executable, "-m", "archsearch.run.worker"]
            command += [PRELOAD, ",".join(preload)] if preload else []
            self.process = subprocess.Popen(command,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env)
        finally:
            if log:
                log.close()
        self.ready = self.busy = False
        self.done = 0
        self.payload: bytes | None = payload  # sent when first needed: the child imports TensorFlow meanwhile

    def _request(self, message: Any) -> bool:
        """Sends a message (already-pickled bytes go as they are); False if the child has gone."""
        data = message if isinstance(message, bytes) else pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            send_pickled(self.process.stdin, data)
            return True
        except (BrokenPipeError, OSError, ValueError):  # ValueError: stdin closed, the child already stopped
            return False

    def _answer(self) -> Any:
        """The child's next message, or None if it died first."""
        try:
            return receive(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            return None

    def wait_ready(self, stamp: str) -> bool:
        """True once the child holds the evaluator; False if it died first. Raises `ArchsearchError` if it
        runs other archsearch source than `stamp` (the run's): edited or reinstalled since the run began."""
        if not self.ready:
            sent, self.payload = self._request(self.payload), None
            answer = self._answer() if sent else None
            if isinstance(answer, tuple) and answer[0] == "ready" and answer[1] != stamp:
                self.stop()
                raise ArchsearchError(
                    "archsearch's source files changed on disk while the run went on (edited or reinstalled): a "
                    "new worker process would train with other code than the run's. Nothing finished is lost: "
                    "run the same command with --resume to go on with the new code")
            self.ready = isinstance(answer, tuple) and answer[0] == "ready"
        return self.ready

    def evaluate(self, genome: JsonGenome, seed: int, *context: Any) -> EvaluationResult | None:
        self.done += 1
        self.busy = True
        answer = self._answer() if self._request((genome, seed, *context)) else None
        self.busy = False
        return answer

    def exit_code(self) -> int | None:
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Asks the child to exit; kills it if it is mid-evaluation (an interrupted run) or hangs."""
        if self.busy:
            self.process.kill()
        else:
            self._request(None)
            try:  # a spare still waiting for its evaluator takes the None for it, then reads the end and exits
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class IsolatedEvaluator:
    """Same interface as the evaluator it wraps; use as a context manager (or call `close`)."""

    def __init__(self, evaluator: Any, recycle_after: int = 20, prestart: int = 2,
                 log_path: str | Path | None = None, threads: int | None = None,
                 pickled: bytes | None = None) -> None:
        """`log_path` collects the children's stderr (TensorFlow's notices, crash reports); `threads`
        caps TensorFlow's threads per child (results depend on it, so a run keeps it fixed); `pickled`
        is `evaluator` already pickled (a pool pickles its images once for all its members). The modules
        the evaluator names in `preload` (Keras, for the evaluators that train) each child imports first.
        The first child starts at once, so its imports overlap whatever the caller does next."""
        if recycle_after < 1:
            raise ValueError(f"recycle_after must be at least 1, got {recycle_after}")
        self.name = getattr(evaluator, "name", type(evaluator).__name__)
        self.inherits = getattr(evaluator, "inherits", False)
        # Pickled once, here in the parent, so an evaluator that cannot cross processes fails at once.
        self._payload = pickled or pickle.dumps(evaluator, protocol=pickle.HIGHEST_PROTOCOL)
        self.recycle_after, self.prestart = recycle_after, prestart
        self.log_path = Path(log_path) if log_path else None
        self.threads = threads
        self.preload = tuple(getattr(evaluator, "preload", ()))
        self.stamp = source_stamp()  # the source this run began with: every child must run the same
        self._worker: _Worker | None = None
        self._stopping: list[threading.Thread] = []  # children retired, exiting in the background
        self._spare: _Worker | None = self._start()

    def evaluate(self, genome: JsonGenome, seed: int, *context: Any) -> EvaluationResult:
        """`context` goes to the wrapped evaluator after (genome, seed): the parents' genome keys, for
        an evaluator that `inherits` weights."""
        start = time.perf_counter()
        worker = self._current()
        if not worker.wait_ready(self.stamp):
            code = worker.exit_code()
            self._retire()
            return EvaluationResult(FAILED, seconds=time.perf_counter() - start,
                                    reason=f"evaluation process failed to start (exit code {code})")
        if self._spare is None and worker.done >= self.recycle_after - self.prestart:
            self._spare = self._start()
        result = worker.evaluate(genome, seed, *context)
        if result is None:
            code = worker.exit_code()
            self._retire()
            why = "killed (SIGKILL), perhaps by the out-of-memory killer" if code == -9 else f"exit code {code}"
            return EvaluationResult(FAILED, seconds=time.perf_counter() - start,
                                    reason=f"evaluation process died ({why})")
        if worker.done >= self.recycle_after:
            self._retire(wait=False)
        return result

    def _start(self) -> _Worker:
        return _Worker(self._payload, self.log_path, self.threads, self.preload)

    def _current(self) -> _Worker:
        if self._worker is None:
            self._worker, self._spare = self._spare or self._start(), None
        return self._worker

    def _retire(self, wait: bool = True) -> None:
        """Stops the current child. A child retired after its last evaluation exits in the background:
        the result need not wait for an interpreter (with TensorFlow) to shut down."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if wait:
            worker.stop()
        else:
            self._stopping = [t for t in self._stopping if t.is_alive()]
            self._stopping.append(threading.Thread(target=worker.stop, name="archsearch-retire", daemon=True))
            self._stopping[-1].start()

    def close(self) -> None:
        self._retire()
        for stopping in self._stopping:
            stopping.join()
        if self._spare is not None:
            self._spare.stop()
            self._spare = None

    def __enter__(self) -> "IsolatedEvaluator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
