"""Checks of a weight strategy's settings, as one-line errors naming the command's flag."""

from __future__ import annotations

from typing import Any

from archsearch.core.errors import ArchsearchError
from archsearch.run.settings import INNER_LOOPS
from archsearch.weights.strategies.base import WEIGHT_STRATEGIES


def check_weight_strategy(name: str, population: int, options: dict[str, Any], flag: str = "--weight-strategy",
                          n_params: int = 10_000) -> None:
    """One-line errors, naming the command's `flag`, for an unknown weight strategy or settings it
    refuses (for a network of `n_params` weights, where known), before any work."""
    if name not in WEIGHT_STRATEGIES:
        raise ArchsearchError(f"{flag} {name}: unknown (known: {', '.join(sorted(WEIGHT_STRATEGIES))})")
    try:
        WEIGHT_STRATEGIES[name].check(n_params, population, **options)
    except (ValueError, TypeError) as exc:
        raise ArchsearchError(f"{flag} {name}: {exc}") from None


def check_inner_loop(config: Any) -> None:
    """One-line errors for an unknown inner loop (`RunSettings.inner`) or, with "weights", a weight
    strategy or settings it refuses."""
    if config.inner not in INNER_LOOPS:
        raise ArchsearchError(f"--inner {config.inner}: unknown (known: {', '.join(INNER_LOOPS)})")
    if config.inner == "weights":
        check_weight_strategy(config.weight_strategy, config.weight_population, config.weight_options)
