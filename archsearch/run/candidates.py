"""What the engine needs to know of candidates and evaluators, without knowing any kind of search.

A candidate's training seed is fixed by the run's seed and its genome (so it trains the same whatever
order it comes in, on whichever worker); two genomes are one candidate when their `key` matches (or what the task's
`candidate_key` compares).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol

from archsearch.core.fidelity import Fidelity
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import EvaluationRecord, EvaluationResult


class Evaluator(Protocol):
    """Anything that scores a genome: backprop, weight evolution, transfer fine-tuning, a toy fitness.

    One call for every run: `evaluate(genome, seed, parents, fidelity)`. `parents` are the genome keys of
    the candidate's parents where the evaluator `inherits` weights from them (else empty); `fidelity` is
    what to train to in a multi-fidelity run (None: the evaluator's own full training)."""

    def evaluate(self, genome: JsonGenome, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult: ...


class Observer(Protocol):
    """Progress hooks; the CLI shows a progress bar through them."""

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None: ...

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None: ...


def genome_key(genome: JsonGenome) -> str:
    return genome.key


def architecture_key(genome: JsonGenome) -> str:
    """The genes weight evolution trains by: genomes differing only in training genes (learning rate,
    batch size) are one candidate there."""
    return genome.architecture_key


def candidate_key_for(inner: str) -> Callable[[JsonGenome], str]:
    """What makes two genomes one candidate for the inner loop `inner` (`RunSettings.inner`)."""
    return architecture_key if inner == "weights" else genome_key


def candidate_seed(run_seed: int, genome: JsonGenome) -> int:
    """The training seed of a genome: fixed by run seed and genome, whatever order it comes in."""
    digest = hashlib.sha256(f"{run_seed}:{genome.key}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
