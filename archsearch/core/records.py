"""What one evaluation produced, and the journal row that records it.

Fitness is minimised everywhere in archsearch (validation loss, parameter count). A candidate that
could not be built, diverged or crashed keeps `WORST_FITNESS` and says why in `reason`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from archsearch.core.genomes import JsonGenome, genome_from_dict

WORST_FITNESS = math.inf

OK, INVALID, FAILED = "ok", "invalid", "failed"
STATUSES = (OK, INVALID, FAILED)


@dataclass(frozen=True)
class EvaluationResult:
    """The outcome of training and scoring one genome.

    `fitness` is what the task's search minimises, measured on validation data whatever loss the
    candidate was trained with, so candidates compare fairly (the autoencoder's reconstruction MSE, a
    classifier's error, a `KerasTask`'s objective). `train_seconds` covers fitting and scoring;
    `seconds` the whole evaluation, building included.
    """

    status: str
    fitness: float = WORST_FITNESS
    params: int | None = None
    epochs: int = 0
    train_seconds: float = 0.0
    seconds: float = 0.0
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvaluationResult":
        return cls(**data)


@dataclass(frozen=True)
class EvaluationRecord:
    """One row of the run's journal: who was evaluated, where it came from, and what it scored.

    `cached_from` is set when the genome had been trained earlier in the run: it was not trained again
    and carries that evaluation's result. In a multi-fidelity run, `budget` is what the candidate was
    trained to (in the task's unit), `rung` the rung of that budget, and `continued_from` the index of the
    candidate's previous evaluation whose checkpoint this one continued (None for a candidate's first).
    """

    index: int
    generation: int
    genome: JsonGenome  # the task's kind of genome (`core.genomes`)
    result: EvaluationResult
    parents: tuple[int, ...] = ()
    operator: str = "random"
    cached_from: int | None = None
    finished_at: float = 0.0
    budget: int | None = None
    rung: int = 0
    continued_from: int | None = None
    candidate: int | None = None  # the candidate's number: candidates counted in the order they started

    @property
    def candidate_first(self) -> bool:
        """A candidate's first evaluation (not a continuation of an earlier one)."""
        return self.continued_from is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "generation": self.generation,
            "parents": list(self.parents),
            "operator": self.operator,
            "genome_key": self.genome.key,
            "genome": self.genome.to_dict(),
            "result": self.result.to_dict(),
            "cached_from": self.cached_from,
            "finished_at": self.finished_at,
            "budget": self.budget,
            "rung": self.rung,
            "continued_from": self.continued_from,
            "candidate": self.candidate,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvaluationRecord":
        return cls(
            index=data["index"],
            generation=data["generation"],
            genome=genome_from_dict(data["genome"]),
            result=EvaluationResult.from_dict(data["result"]),
            parents=tuple(data["parents"]),
            operator=data["operator"],
            cached_from=data.get("cached_from"),
            finished_at=data.get("finished_at", 0.0),
            budget=data.get("budget"),
            rung=data.get("rung", 0),
            continued_from=data.get("continued_from"),
            candidate=data.get("candidate"),
        )


def rank_key(rung: int | None, fitness: float, index: int) -> tuple:
    """The run's rule for its best, as a sort key: the higher rung first (trained to the larger budget),
    then the lower fitness, then the earlier evaluation. Tables, summaries, curves and the final result
    all rank by it, so they name the same best."""
    return (-(rung or 0), fitness, index)


def most_trained_first(record: EvaluationRecord) -> tuple:
    """`rank_key` of a record."""
    return rank_key(record.rung, record.result.fitness, record.index)


def incumbent(best: EvaluationRecord | None, record: EvaluationRecord) -> EvaluationRecord | None:
    """The run's best once `record` has finished, `best` the best before it (a failure never is one)."""
    if not record.result.ok or (best is not None and most_trained_first(best) <= most_trained_first(record)):
        return best
    return record
