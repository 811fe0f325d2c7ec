"""Failure is data: a candidate that cannot be built, crashes or runs out of memory becomes its own
result (status and reason, the worst fitness), never the run's exception. Every task's evaluator wraps
its training in `failure_as_data`."""

from __future__ import annotations

import time
from collections.abc import Callable

from archsearch.core.errors import InvalidGenome
from archsearch.core.records import FAILED, INVALID, EvaluationResult
from archsearch.training.keras_parts import fresh_keras_state


def failure_as_data(score: Callable[[float], EvaluationResult], seed: int) -> EvaluationResult:
    """Runs `score(start_time)` from a fresh, seeded Keras state; an invalid genome, a crash or an
    out-of-memory error becomes the candidate's result (with the reason), not the run's exception."""
    start = time.perf_counter()
    fresh_keras_state(seed)
    try:
        return score(start)
    except InvalidGenome as exc:
        return EvaluationResult(INVALID, reason=exc.reason, seconds=time.perf_counter() - start)
    except Exception as exc:  # a candidate's crash or OOM is its own failure, not the run's
        return EvaluationResult(FAILED, reason=one_line(exc), seconds=time.perf_counter() - start)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__
