"""A comparison's cells (STRATEGY or STRATEGY:FIDELITY) and the checks of its arguments."""

from __future__ import annotations

from collections.abc import Sequence

from archsearch.autoencoder.config import SearchConfig, resolved_fidelity
from archsearch.core.errors import ArchsearchError
from archsearch.run.settings import MULTI_FIDELITY, RunSettings
from archsearch.run.task import Task
from archsearch.strategies import STRATEGIES


def comparison_cell(label: str) -> tuple[str, str | None]:
    """A comparison's cell as written on the command line: STRATEGY, or STRATEGY:FIDELITY (e.g. ga:full)."""
    strategy, _, fidelity = label.partition(":")
    return strategy, fidelity or None


def run_fidelity(config: RunSettings) -> str | None:
    """The fidelity a run uses (an autoencoder run left unset gets its inner loop's)."""
    return resolved_fidelity(config) if isinstance(config, SearchConfig) else config.fidelity


def check_comparison(task: Task, base: RunSettings, cells: Sequence[str], seeds: int, budget: int,
                     seconds: float | None = None) -> None:
    """One-line errors for bad arguments, before anything slow happens."""
    if getattr(base, "inherit_weights", False):
        raise ArchsearchError("inherit_weights: not for comparisons (the strategies of a seed share one evaluator)")
    if seconds is None and (base.fidelity in MULTI_FIDELITY or any(comparison_cell(c)[1] for c in cells)):
        raise ArchsearchError(f"--strategies {','.join(cells)}: fidelities need --seconds (an equal budget of "
                              "evaluations is not equal compute when evaluations differ in cost)")
    if seconds is not None and seconds <= 0:
        raise ArchsearchError(f"--seconds {seconds:g}: must be above 0")
    if not cells:
        raise ArchsearchError("--strategies: name at least one strategy")
    if len(set(cells)) != len(cells):
        raise ArchsearchError(f"--strategies {','.join(cells)}: a strategy is named twice")
    if seeds < 1:
        raise ArchsearchError(f"--seeds {seeds}: must be at least 1")
    if budget < 1:
        raise ArchsearchError(f"--budget {budget}: must be at least 1")
    unknown = [c for c in cells if comparison_cell(c)[0] not in STRATEGIES]
    if unknown:
        raise ArchsearchError(f"--strategies: unknown {', '.join(unknown)} (known: {', '.join(sorted(STRATEGIES))})")
    resolved = run_fidelity(base)
    for cell in cells:
        strategy, fidelity = comparison_cell(cell)
        if fidelity is not None and (fidelity not in MULTI_FIDELITY or resolved not in MULTI_FIDELITY):
            raise ArchsearchError(f"--strategies {cell}: a cell's fidelity is asha or full, beside a multi-fidelity "
                                  "base (the cells of a seed share one data split)")
        task.check(base.with_overrides(strategy=strategy, budget=budget, fidelity=fidelity))
