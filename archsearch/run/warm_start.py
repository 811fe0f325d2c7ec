"""Warm-starting a search from an earlier run of the same task: its best genomes become the new run's first
candidates and the centres of its prior (`Strategy.use_prior`), as NePS and PriorBand start from what a user
already knows. They are trained again, not trusted: the new run may differ in data, seed or budgets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from archsearch.core.errors import ArchsearchError
from archsearch.core.records import most_trained_first
from archsearch.run.journal import Journal
from archsearch.run.run_dir import JOURNAL
from archsearch.run.settings import RunSettings

WARM_START_COUNT = 3  # the earlier run's best distinct genomes a warm start proposes first


def warm_start_genomes(config: RunSettings, space: Any, count: int = WARM_START_COUNT) -> list[Any]:
    """The `count` best distinct genomes of the run `config.warm_start` names (the most trained first, then
    the lowest fitness), repaired into `space`; a one-line error naming --warm-start when it holds none
    (`prepare_run_dir` has checked that it is a run of this task)."""
    run_dir = Path(config.warm_start)
    try:
        records = Journal(run_dir / JOURNAL).read()
    except Exception as exc:  # a journal this version cannot read (an unknown genome kind, a damaged line)
        raise ArchsearchError(f"--warm-start {run_dir / JOURNAL}: unreadable ({exc})") from None
    genomes: dict[str, Any] = {}
    for record in sorted((r for r in records if math.isfinite(r.result.fitness)), key=most_trained_first):
        try:
            genome = space.repair(record.genome, np.random.default_rng(0))
        except Exception as exc:  # a genome of another space than this run's
            raise ArchsearchError(f"--warm-start {run_dir}: its genomes do not fit this run's space ({exc})") from None
        genomes.setdefault(genome.key, genome)
        if len(genomes) == count:
            break
    if not genomes:
        raise ArchsearchError(f"--warm-start {run_dir}: no candidate there finished with a valid result")
    return list(genomes.values())
