"""What a simulated benchmark is: a space, a top budget, and an outcome for any candidate at any budget.

A benchmark answers at once what training would have found and how long it would have taken, so
`simulated.task.SimulatedTask` runs the engine over it in simulated time. Ours: `layered` (synthetic,
known optimum), `surrogate` (a model of our own autoencoder search, fitted on its journals) and
`lcbench` (the published LCBench surrogate of YAHPO Gym, read from a folder the user gives).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Outcome:
    """One evaluation: the error it observes at its budget (with its seed's noise), the noise-free error
    there, its regret (the noise-free final error minus the best known), and its simulated cost."""

    error: float
    expected: float
    regret: float
    train_seconds: float
    params: int


class Benchmark(Protocol):
    name: str
    description: str
    space: Any  # a `core.space.space.Space`, or a space object a strategy takes the same way
    top_budget: int
    budget_unit: str
    fixed_seconds: float  # what every evaluation costs besides training (building, tracing, scoring)

    def outcome(self, genes: Any, budget: int, start: int, seed: int) -> Outcome:
        """Training `genes` from `start` (0: from scratch, else a checkpoint) to `budget`; raises
        `core.errors.InvalidGenome` for a candidate that cannot be built."""
        ...
