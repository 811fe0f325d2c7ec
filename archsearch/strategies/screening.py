"""Screening offspring with a model of the results so far (model-based evolution, as BOHB and DEHB pair a
model or a population with successive halving): breed several candidates per place, evaluate only those
a forest of randomised trees, fitted on every result of the run, predicts best.

What the forest learns is a score that combines fidelities: a candidate's place among the results of
the highest rung it reached (its quantile there, 0 the best), less one for every rung it climbed, so a
promotion's verdict outweighs the cheap rung's. Genomes are read as points of the unit cube through
the space's vector encoding (as DE reads them); failed candidates score worst.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from archsearch.core.records import EvaluationRecord
from archsearch.strategies.base import Proposal
from archsearch.strategies.de import vector_encoding


class Screen:
    def __init__(self, space: Any, rng: np.random.Generator, trees: int = 32) -> None:
        self.encoding, self.rng, self.trees = vector_encoding(space), rng, trees
        self.results: dict[str, EvaluationRecord] = {}  # genome key -> its most-trained record

    def add(self, records: Sequence[EvaluationRecord]) -> None:
        for record in records:
            known = self.results.get(record.genome.key)
            if known is None or (record.rung or 0) > (known.rung or 0):
                self.results[record.genome.key] = record

    def ready(self, population: int) -> bool:
        """Enough results to model: twice the population."""
        return len(self.results) >= 2 * population

    def scores(self) -> tuple[list[EvaluationRecord], np.ndarray]:
        records = list(self.results.values())
        by_rung: dict[int, list[float]] = {}
        for record in records:
            by_rung.setdefault(record.rung or 0, []).append(_finite(record.result.fitness))
        sorted_rungs = {rung: np.sort(values) for rung, values in by_rung.items()}
        scores = [np.searchsorted(sorted_rungs[r.rung or 0], _finite(r.result.fitness)) / len(sorted_rungs[r.rung or 0])
                  - (r.rung or 0) for r in records]
        return records, np.array(scores)

    def best(self, proposals: list[Proposal], count: int, seen: set[str]) -> list[Proposal]:
        """The `count` distinct proposals the model predicts best (marked as seen)."""
        from sklearn.ensemble import ExtraTreesRegressor  # loaded only by a run that screens

        records, scores = self.scores()
        x = np.array([self.encoding.encode(r.genome, self.rng) for r in records])
        model = ExtraTreesRegressor(self.trees, min_samples_leaf=2, random_state=int(self.rng.integers(2**31)))
        model.fit(x, scores)
        unique = list({p.genome.key: p for p in proposals if p.genome.key not in seen}.values()) or proposals[:count]
        predicted = model.predict(np.array([self.encoding.encode(p.genome, self.rng) for p in unique]))
        chosen = [unique[i] for i in np.argsort(predicted, kind="stable")[:count]]
        while len(chosen) < count:  # too few distinct proposals: repeat the best
            chosen.append(chosen[len(chosen) % max(1, len(unique))])
        seen.update(p.genome.key for p in chosen)
        return chosen


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 1e300
