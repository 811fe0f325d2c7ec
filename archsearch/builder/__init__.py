"""Genome -> Keras models. Imports the core and Keras; never DEAP, Optuna or the strategies."""

from archsearch.builder.autoencoder import Autoencoder, build_autoencoder, describe
from archsearch.builder.plan import ModelPlan, plan_autoencoder

__all__ = ["Autoencoder", "ModelPlan", "build_autoencoder", "describe", "plan_autoencoder"]
