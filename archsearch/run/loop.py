"""The search loop: strategy-agnostic ask -> evaluate -> record -> tell, generation by generation.

Resuming is replay: the loop runs again from the start with the same seed, and every evaluation that
the journal already holds is read back instead of trained. Strategies are deterministic given their
seed and what they are told, so the replayed run reaches exactly the state of the interrupted one and
continues from there; a resumed run therefore ends with the same result as an uninterrupted one.
Identical genomes are trained once per run: a repeat carries the first evaluation's result.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from archsearch.errors import ResumeError
from archsearch.genome import Genome
from archsearch.records import EvaluationRecord, EvaluationResult
from archsearch.run.journal import Journal
from archsearch.strategies.base import Proposal, Strategy


class Evaluator(Protocol):
    """Anything that scores a genome; backprop and weight evolution both fit. One whose `inherits` is
    true is also given the genome keys of the candidate's parents (`evaluate(genome, seed, parents)`),
    to start from their trained weights."""

    def evaluate(self, genome: Genome, seed: int) -> EvaluationResult: ...


class Observer(Protocol):
    """Progress hooks; the CLI shows a progress bar through them."""

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None: ...

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None: ...


def evaluate_unordered(evaluator: Evaluator, tasks: Sequence[tuple]) -> Iterator[tuple[int, EvaluationResult]]:
    """(task number, result) as each finishes: in parallel when the evaluator is a pool. A task is
    (genome, seed) or, for an evaluator that inherits weights, (genome, seed, parent keys)."""
    if hasattr(evaluator, "evaluate_unordered"):
        yield from evaluator.evaluate_unordered(tasks)
    else:
        for number, task in enumerate(tasks):
            yield number, evaluator.evaluate(*task)


def genome_key(genome: Genome) -> str:
    return genome.key


def architecture_key(genome: Genome) -> str:
    return genome.architecture_key


def candidate_seed(run_seed: int, genome: Genome) -> int:
    """The training seed of a genome: fixed by run seed and genome, whatever order it comes in."""
    digest = hashlib.sha256(f"{run_seed}:{genome.key}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


@dataclass
class SearchLoop:
    strategy: Strategy
    evaluator: Evaluator
    seed: int
    journal: Journal | None = None
    observer: Observer | None = None
    # What makes two genomes the same candidate for the evaluator: their `key`, or with an inner loop
    # that ignores the training genes, their `architecture_key`. A repeat gets the first one's result.
    candidate_key: Callable[[Genome], str] = genome_key

    def run(self, generations: int, replay: Sequence[EvaluationRecord] = (),
            budget: int | None = None) -> list[EvaluationRecord]:
        """Generation 0 is the strategy's first batch; `generations` more batches follow.

        With a `budget`, the run makes exactly that many evaluations instead, whatever the strategy's
        batch size, so strategies compare on equal terms: the last batch is cut to fit (and, as the
        run ends there, not told). A repeated genome counts: the strategy chose to spend it."""
        replayed = {record.index: record for record in replay}
        history: list[EvaluationRecord] = []
        by_key: dict[str, EvaluationRecord] = {}
        generation = 0
        while len(history) < budget if budget is not None else generation <= generations:
            proposals = self.strategy.ask()
            if budget is not None:
                proposals = proposals[: budget - len(history)]
            batch = self._evaluate_batch(proposals, generation, history, replayed, by_key)
            history += batch
            if budget is None or len(history) < budget:
                self.strategy.tell(batch)
            if self.observer:
                self.observer.on_generation(generation, history)
            generation += 1
        return history

    def _evaluate_batch(self, proposals: list[Proposal], generation: int, history: list[EvaluationRecord],
                        replay: dict[int, EvaluationRecord],
                        by_key: dict[str, EvaluationRecord]) -> list[EvaluationRecord]:
        """`history` holds the records so far (record i at place i): the batch's first index, and the
        parents an inheriting evaluator is told of."""
        first_index = len(history)
        batch: list[EvaluationRecord | None] = [None] * len(proposals)
        keys = [self.candidate_key(proposal.genome) for proposal in proposals]
        to_train: list[int] = []
        for offset, proposal in enumerate(proposals):
            index = first_index + offset
            if index in replay:
                batch[offset] = self._replayed(replay[index], proposal, index)
            elif keys[offset] in by_key:
                original = by_key[keys[offset]]
                batch[offset] = self._record(index, generation, proposal, original.result, original.index)
            else:
                to_train.append(offset)
                continue
            by_key.setdefault(keys[offset], batch[offset])
        # Two proposals of one batch may be one candidate: train it once, copy the result to the other.
        unique: dict[str, int] = {}
        for offset in to_train:
            unique.setdefault(keys[offset], offset)
        offsets = list(unique.values())
        tasks = [(proposals[o].genome, candidate_seed(self.seed, proposals[o].genome)) for o in offsets]
        if getattr(self.evaluator, "inherits", False):
            tasks = [(*task, tuple(history[p].genome.key for p in proposals[o].parents))
                     for task, o in zip(tasks, offsets)]
        for task_number, result in self._evaluate_all(tasks):
            offset = offsets[task_number]
            batch[offset] = self._record(first_index + offset, generation, proposals[offset], result)
            by_key[keys[offset]] = batch[offset]
        for offset in to_train:
            if batch[offset] is None:
                original = by_key[keys[offset]]
                batch[offset] = self._record(first_index + offset, generation, proposals[offset],
                                             original.result, original.index)
        return [r for r in batch if r is not None]

    def _evaluate_all(self, tasks: list[tuple]) -> Iterator[tuple[int, EvaluationResult]]:
        return evaluate_unordered(self.evaluator, tasks)

    def _record(self, index: int, generation: int, proposal: Proposal, result: EvaluationResult,
                cached_from: int | None = None) -> EvaluationRecord:
        record = EvaluationRecord(index, generation, proposal.genome, result, proposal.parents,
                                  proposal.operator, cached_from, time.time())
        if self.journal:
            self.journal.append(record)
        if self.observer:
            self.observer.on_record(record, replayed=False)
        return record

    def _replayed(self, record: EvaluationRecord, proposal: Proposal, index: int) -> EvaluationRecord:
        if record.genome.key != proposal.genome.key:
            raise ResumeError(
                f"journal entry {index} holds genome {record.genome.key}, but the run now proposes "
                f"{proposal.genome.key}: the run's settings or archsearch's version differ from the journal's")
        if self.observer:
            self.observer.on_record(record, replayed=True)
        return record
