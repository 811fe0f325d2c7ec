"""A comparison's cells (STRATEGY or STRATEGY:FIDELITY) and the checks of its arguments."""

from __future__ import annotations

from collections.abc import Sequence

from archsearch.autoencoder.config import SearchConfig, check_config, resolved_fidelity
from archsearch.core.errors import ArchsearchError
from archsearch.run.settings import MULTI_FIDELITY
from archsearch.strategies import STRATEGIES


def comparison_cell(label: str) -> tuple[str, str | None]:
    """A comparison's cell as written on the command line: STRATEGY, or STRATEGY:FIDELITY (e.g. ga:full)."""
    strategy, _, fidelity = label.partition(":")
    return strategy, fidelity or None


def check_comparison(base: SearchConfig, cells: Sequence[str], seeds: int, budget: int,
                     seconds: float | None = None) -> None:
    """One-line errors for bad arguments, before anything slow happens."""
    if base.inherit_weights:
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
    resolved = resolved_fidelity(base)
    for cell in cells:
        strategy, fidelity = comparison_cell(cell)
        if fidelity is not None and (fidelity not in MULTI_FIDELITY or resolved not in MULTI_FIDELITY):
            raise ArchsearchError(f"--strategies {cell}: a cell's fidelity is asha or full, beside a multi-fidelity "
                                  "base (the cells of a seed share one data split)")
        check_config(base.with_overrides(strategy=strategy, budget=budget, fidelity=fidelity))
