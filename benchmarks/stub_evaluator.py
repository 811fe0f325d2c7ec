"""A stand-in for training, in a module of its own so that worker processes can import it (a class
defined in a benchmark script lives in its `__main__`, which they cannot)."""

from __future__ import annotations

import time

from archsearch.autoencoder.genome import Genome
from archsearch.core.records import OK, EvaluationResult


class Stub:
    """Sleeps, then returns a fitness: a candidate whose training costs nothing but time."""

    name = "stub"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def evaluate(self, genome: Genome, seed: int, *context) -> EvaluationResult:
        time.sleep(self.seconds)
        return EvaluationResult(OK, fitness=float(seed % 1000), seconds=self.seconds, train_seconds=self.seconds)
