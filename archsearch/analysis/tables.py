"""pandas views of the journal: one row per evaluation, and the best distinct candidates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from archsearch.core.records import OK, EvaluationRecord, most_trained_first, rank_key


def evaluations_frame(records: Sequence[EvaluationRecord]) -> pd.DataFrame:
    """Every evaluation, flattened: lineage, outcome, the main genes, the genome as JSON and the
    evaluator's extra metrics (e.g. validation accuracy)."""
    rows = []
    for r in records:
        g, res = r.genome, r.result
        row = {
            "index": r.index, "candidate": r.candidate, "generation": r.generation, "operator": r.operator,
            "parents": " ".join(map(str, r.parents)), "genome_key": g.key, "status": res.status,
            "fitness": res.fitness, "params": res.params, "epochs": res.epochs,
            "train_seconds": round(res.train_seconds, 4), "seconds": round(res.seconds, 4),
            "finished_at": round(r.finished_at, 3),
            "cached_from": r.cached_from, "budget": r.budget, "rung": r.rung, "continued_from": r.continued_from,
            "reason": res.reason, **g.table_columns(),
            "architecture": g.describe(), "genome": g.to_json(),
        }
        rows.append({**row, **{name: value for name, value in res.metrics.items() if name not in row}})
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["best_so_far"] = best_so_far(frame["fitness"].where(frame["status"] == OK), frame["rung"])
        for column in ("candidate", "cached_from", "budget", "continued_from"):
            frame[column] = frame[column].astype("Int64")
        frame["params"] = frame["params"].astype("Int64")
    return frame


def best_so_far(values: np.ndarray, rungs: np.ndarray | None = None) -> np.ndarray:
    """The fitness of the run's best after each evaluation, failures (NaN/inf) ignored: inf until the first
    success. With `rungs`, the best as the run chooses it (`core.records.most_trained_first`): a result of a
    higher rung displaces a lower rung's, even a better one, so the curve may rise; without, the minimum."""
    values = np.asarray(values, dtype=float)
    rungs = np.zeros(len(values), dtype=int) if rungs is None else np.asarray(rungs, dtype=float).astype(int)
    out, best = np.full(len(values), np.inf), None
    for i, (value, rung) in enumerate(zip(values, rungs)):
        key = rank_key(int(rung), float(value), i)
        if np.isfinite(value) and (best is None or key < best):
            best = key
        out[i] = np.inf if best is None else best[1]
    return out


def best_records(records: Sequence[EvaluationRecord], k: int) -> list[EvaluationRecord]:
    """The k best successful evaluations, one per distinct genome (ties: the earlier evaluation). In a
    multi-fidelity run, candidates of a higher rung come first: they were trained to the larger budget."""
    best: dict[str, EvaluationRecord] = {}
    for r in sorted(records, key=most_trained_first):
        if r.result.ok and r.genome.key not in best:
            best[r.genome.key] = r
    return list(best.values())[:k]


def markdown_table(frame: pd.DataFrame, missing: str = "", digits: int = 4) -> str:
    """A pipe table for README files: floats below 1 to `digits` significant digits, missing values as
    `missing`."""
    def cell(value) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return missing
        return f"{value:.{digits}g}" if isinstance(value, float) and abs(value) < 1 else str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + " --- |" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)
