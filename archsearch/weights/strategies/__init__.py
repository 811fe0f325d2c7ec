"""Weight strategies: batch ask/tell over flat weight vectors, registered by name. Only `cma_es`
imports DEAP; none imports Keras."""

from archsearch.weights.strategies import cma_es, es, ga, ga_mutation, snes  # noqa: F401  (registers them)
from archsearch.weights.strategies.base import WEIGHT_STRATEGIES, WeightStrategy, make_weight_strategy

__all__ = ["WEIGHT_STRATEGIES", "WeightStrategy", "make_weight_strategy"]
