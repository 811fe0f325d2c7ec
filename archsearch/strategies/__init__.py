"""Search strategies behind one batch ask/tell interface, registered by name.

Only modules in this package import DEAP; Optuna is imported here (the `optuna-tpe` strategy and its
space encoding) and by `analysis.lineage`, which records runs as Optuna studies."""

from archsearch.strategies import (  # noqa: F401  (registers them)
    de,
    evolution,
    ga,
    nsga2,
    optuna_hyperband,
    optuna_tpe,
    random_search,
    tournament,
)
from archsearch.strategies.base import STRATEGIES, Proposal, Strategy, make_strategy, register_strategy

__all__ = ["STRATEGIES", "Proposal", "Strategy", "make_strategy", "register_strategy"]
