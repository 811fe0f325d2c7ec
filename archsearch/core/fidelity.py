"""What one evaluation trains: a candidate's budget, and where its training continues from.

Multi-fidelity search trains a candidate in steps: first to a small budget, then, if it stays among
the best, on to larger ones. Each step continues from the checkpoint the previous step saved (weights,
optimizer state and random-generator state), so a candidate promoted from budget b to b' trains only
b' - b more and ends exactly where one uninterrupted training to b' would. Plain data, no ML imports:
the engine writes it, a task's evaluator reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fidelity:
    """Train from `start` to `budget` (in the task's unit: images seen, for autoencoders).

    `schedule_budget` is the largest budget any candidate of the run may reach: a learning-rate schedule
    runs over it, so every step of one candidate follows the same schedule. `resume` is the checkpoint
    holding the training at `start` (None when `start` is 0); `checkpoint` is where to save the
    training at `budget` (None: not kept)."""

    budget: int
    schedule_budget: int
    start: int = 0
    resume: str | None = None
    checkpoint: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.budget <= self.schedule_budget:
            raise ValueError(f"need 0 <= start ({self.start}) < budget ({self.budget}) <= schedule budget "
                             f"({self.schedule_budget})")
        if self.start and not self.resume:
            raise ValueError(f"continuing from {self.start} needs the checkpoint to resume from")


def fidelity_in(context: tuple) -> Fidelity | None:
    """The `Fidelity` an evaluation's context ends with (the engine passes it last), or None."""
    return context[-1] if context and isinstance(context[-1], Fidelity) else None
