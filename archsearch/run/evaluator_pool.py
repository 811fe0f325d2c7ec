"""What a pool of workers shares, whichever runs them (archsearch's own processes, a Dask cluster): it
stands for the evaluator it runs (its `name`, whether it `inherits` weights), pickles that evaluator
once for all its workers, and is closed by its context."""

from __future__ import annotations

import pickle
from typing import Any


class EvaluatorPool:
    def __init__(self, evaluator: Any, pickled: bytes | None = None) -> None:
        """`pickled` is `evaluator` already pickled (a Dask worker receives it so)."""
        self.name = getattr(evaluator, "name", type(evaluator).__name__)
        self.inherits = getattr(evaluator, "inherits", False)
        self.pickled = pickled or pickle.dumps(evaluator, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
