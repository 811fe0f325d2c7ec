"""Fits the predicted clock's cost model (`archsearch.autoencoder.cost`) to the seconds that journaled
evaluations measured, and reports its error on them: the coefficients to write into `cost.py`.

An evaluation's seconds are modelled as FIXED + images x exp(c0 + c1 ln multiply-adds + c2 ln batch size +
c3 ln parameters + c4 layers): a fixed cost (building, tracing, scoring) and a per-image cost that grows
with the work and shrinks with larger batches. Each journal gives (genome, images trained, seconds
measured): `measured_seconds` on the predicted clock, `seconds` on the wall clock. FIXED is chosen on a
grid, the rest by least squares on the log of the per-image seconds; folds by genome give the held-out
error.

    python benchmarks/cost_model.py RUN_DIR_OR_JOURNAL... [--folds 5]

Calibrating to a machine means journals measured there (two workers, as the default run trains).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from archsearch.autoencoder.cost import FIXED_SECONDS, PER_IMAGE, plan_cost
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.plan import plan_autoencoder

SHAPE = (28, 28, 1)


def read(paths: list[Path]) -> list[tuple[Genome, int, float]]:
    """(genome, images trained, measured seconds) of every valid evaluation in the journals."""
    rows = []
    for path in paths:
        journal = path / "journal.jsonl" if path.is_dir() else path
        records = [json.loads(line) for line in journal.read_text().splitlines()]
        budgets = {r["index"]: r["budget"] for r in records if "result" in r}
        for record in records:
            result = record.get("result")
            if not result or result["status"] != "ok" or record.get("cached_from") is not None:
                continue
            start = budgets[record["continued_from"]] if record.get("continued_from") is not None else 0
            seconds = result["metrics"].get("measured_seconds", result["seconds"])
            rows.append((Genome.from_dict(record["genome"]), record["budget"] - start, seconds))
    return rows


def features(genome: Genome) -> list[float]:
    cost = plan_cost(plan_autoencoder(genome, SHAPE))
    return [1.0, math.log(max(cost.multiply_adds, 1)), math.log(genome.training.batch_size),
            math.log(max(cost.params, 1)), float(len(genome.encoder))]


def fit(x: np.ndarray, images: np.ndarray, seconds: np.ndarray) -> tuple[float, np.ndarray]:
    """(FIXED, coefficients) with the lowest median relative error over a grid of fixed costs."""
    best = None
    for fixed in np.arange(0.1, 3.0, 0.05):
        training = seconds - fixed
        keep = training > 0.05 * seconds
        coef, *_ = np.linalg.lstsq(x[keep], np.log(training[keep] / images[keep]), rcond=None)
        error = np.median(np.abs(predict(fixed, coef, x, images) / seconds - 1))
        if best is None or error < best[0]:
            best = (error, fixed, coef)
    return best[1], best[2]


def predict(fixed: float, coef: np.ndarray, x: np.ndarray, images: np.ndarray) -> np.ndarray:
    return fixed + images * np.exp(x @ coef)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    rows = read(args.runs)
    x = np.array([features(g) for g, _, _ in rows])
    images = np.array([float(i) for _, i, _ in rows])
    seconds = np.array([s for _, _, s in rows])
    keys = np.array([int(g.key, 16) % args.folds for g, _, _ in rows])
    held_out = np.zeros(len(rows))
    for fold in range(args.folds):
        test = keys == fold
        if test.any() and (~test).any():
            fixed, coef = fit(x[~test], images[~test], seconds[~test])
            held_out[test] = predict(fixed, coef, x[test], images[test])
    fixed, coef = fit(x, images, seconds)
    current = predict(FIXED_SECONDS, np.array(PER_IMAGE), x, images)
    print(f"{len(rows)} evaluations, {seconds.sum():.0f} s measured")
    print(f"the model in cost.py: predicts {current.sum() / seconds.sum():.2f}x the seconds in all, median relative "
          f"error {np.median(np.abs(current / seconds - 1)):.0%}")
    print(f"refitted, held out over {args.folds} folds by genome: {held_out.sum() / seconds.sum():.2f}x in all, "
          f"median relative error {np.median(np.abs(held_out / seconds - 1)):.0%}, "
          f"Spearman {spearmanr(held_out, seconds).statistic:.2f}")
    print(f"PER_IMAGE = ({', '.join(f'{c:.4f}' for c in coef)})\nFIXED_SECONDS = {fixed:.3f}")


if __name__ == "__main__":
    main()
