"""Anytime performance of a comparison's runs: what each run would hand over if stopped at time t.

A run's incumbent at t is the best evaluation it had finished by then under its own selection rule (the
highest rung first, then the fitness: the rule that picks its winner). Its value is the incumbent's
regret where the task reports one (simulated benchmarks), else its test score where it was scored on
test data, else its validation fitness. Reported per strategy: the median and interquartile range of
that value over seeds against seconds (the curves), and the time each run takes to reach a target (by
default random search's final median), as the field reports strategies (DEHB, BOHB, regularized
evolution).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from archsearch.comparison.statistics import test_fitness, wall_seconds
from archsearch.core.records import EvaluationRecord, incumbent

POINTS = 100  # points of each curve


def anytime_measure(records: Sequence[EvaluationRecord]) -> str:
    """What the curves show for these runs: "regret", "test" or "validation"."""
    ok = [r for r in records if r.result.ok]
    if ok and all("regret" in r.result.metrics for r in ok):
        return "regret"
    if ok and all(math.isfinite(test_fitness(r)) for r in ok):
        return "test"
    return "validation"


def _value(record: EvaluationRecord, measure: str) -> float:
    if measure == "regret":
        return record.result.metrics["regret"]
    return test_fitness(record) if measure == "test" else record.result.fitness


def incumbent_curve(records: Sequence[EvaluationRecord], times: np.ndarray, measure: str) -> np.ndarray:
    """The value of the run's incumbent at each of `times` (seconds of the run; NaN before any result)."""
    clock = wall_seconds(records)
    finished = sorted((t, r.index, r) for t, r in zip(clock, records) if r.result.ok)
    out, best, position = np.full(len(times), math.nan), None, 0
    for i, t in enumerate(times):
        while position < len(finished) and finished[position][0] <= t:
            best = incumbent(best, finished[position][2])
            position += 1
        if best is not None:
            out[i] = _value(best, measure)
    return out


def anytime_curves(runs: dict[tuple[str, int], list[EvaluationRecord]],
                   horizon: float | None = None) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """The common time grid, each strategy's curves (one row per seed) and the measure they show."""
    measure = anytime_measure([r for records in runs.values() for r in records])
    if horizon is None:
        horizon = max((wall_seconds(records).max(initial=0.0) for records in runs.values()), default=1.0) or 1.0
    times = np.linspace(horizon / POINTS, horizon, POINTS)
    curves: dict[str, list[np.ndarray]] = {}
    for (strategy, _), records in sorted(runs.items(), key=lambda item: item[0][1]):
        curves.setdefault(strategy, []).append(incumbent_curve(records, times, measure))
    return times, {s: np.array(c) for s, c in curves.items()}, measure


def time_to(curve: np.ndarray, times: np.ndarray, target: float) -> float:
    """The first time `curve` is at or below `target` (inf: never)."""
    reached = np.nonzero(curve <= target)[0]
    return float(times[reached[0]]) if len(reached) else math.inf


def time_to_target(times: np.ndarray, curves: dict[str, np.ndarray], baseline: str = "random") -> pd.DataFrame:
    """Per strategy: the median over seeds of the time to reach `baseline`'s final median (and how many
    seeds reach it). Empty without the baseline."""
    if baseline not in curves:
        return pd.DataFrame()
    target = float(np.nanmedian(curves[baseline][:, -1]))
    rows = []
    for strategy, runs in curves.items():
        reached = [time_to(curve, times, target) for curve in runs]
        rows.append({"strategy": strategy, "target": target, "median_seconds": float(np.median(reached)),
                     "seeds_reaching": int(np.isfinite(reached).sum()), "seeds": len(reached),
                     "share_of_time": float(np.median(reached)) / float(times[-1])})
    return pd.DataFrame(rows)
