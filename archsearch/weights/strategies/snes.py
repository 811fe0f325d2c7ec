"""`snes`: separable natural evolution strategy, for many weights with very different scales.

A Gaussian with one mean and one step size per weight. Each generation samples antithetic pairs
mu +- sigma * eps, turns the losses into rank utilities (NES fitness shaping: only the better half
gets positive weight), and follows the natural gradient: the mean moves along the utility-weighted
noise, each step size grows where larger steps paid off and shrinks where they did not. Unlike OpenAI-ES
it needs little tuning per network: the step sizes find each layer's scale themselves.
(Schaul, Glasmachers and Schmidhuber, "High dimensions and heavy tails for natural evolution
strategies", 2011.)
"""

from __future__ import annotations

import math

import numpy as np

from archsearch.weights.strategies.base import (
    WeightStrategy,
    annealed,
    check_sampling_settings,
    register,
)
from archsearch.weights.strategies.noise import NoiseTable, antithetic_population


def nes_utilities(fitness: np.ndarray) -> np.ndarray:
    """Rank utilities of NES, for losses (lower is better): the best gets the most, the worse half
    nothing before centring; they sum to zero."""
    count = len(fitness)
    raw = np.maximum(0.0, math.log(count / 2 + 1) - np.log(np.arange(1, count + 1)))
    raw = raw / raw.sum() - 1.0 / count
    utilities = np.empty(count)
    utilities[np.argsort(fitness, kind="stable")] = raw
    return utilities


@register
class SNES(WeightStrategy):
    name = "snes"

    def __init__(self, initial, rng, population: int, sigma: float = 0.05, learning_rate: float = 1.0,
                 sigma_learning_rate: float | None = 0.1, anneal: float = 0.0) -> None:
        """`sigma_learning_rate` None takes the paper's (3 + ln n) / (5 sqrt n) (0.017 for the seed network,
        0.012 for 784-32-2-32-784); 0.1 reached lower losses on both within a minute, 0.2 better still on the
        seed network alone (benchmarks/README.md). `anneal`: over that last share of the run the mean's
        learning rate falls linearly to a tenth (`annealed`)."""
        check_sampling_settings(self.name, population, sigma, learning_rate, anneal)
        super().__init__(initial, rng, population)
        self.mu = self.initial[0].copy()
        self.sigma = np.full(self.n_params, float(sigma), np.float32)
        self.learning_rate, self.anneal = float(learning_rate), float(anneal)
        default = (3 + math.log(self.n_params)) / (5 * math.sqrt(self.n_params))
        self.sigma_learning_rate = default if sigma_learning_rate is None else float(sigma_learning_rate)
        if self.sigma_learning_rate <= 0:
            raise ValueError(f"sigma_learning_rate must be positive, got {sigma_learning_rate}")
        self.noise_table = NoiseTable(rng, self.n_params)
        self.noise: np.ndarray | None = None  # the first half's noise; the second half is its negative

    def _ask(self) -> np.ndarray:
        self.noise = self.noise_table.rows(self.rng, self.population_size // 2)
        return antithetic_population(self.mu, self.sigma, self.noise)

    def _tell(self, population, fitness) -> None:
        utility = nes_utilities(fitness)
        half = self.population_size // 2
        gradient_mu = (utility[:half] - utility[half:]).astype(np.float32) @ self.noise
        # sum_k u_k (eps_k^2 - 1), where the -1 terms cancel because the utilities sum to zero
        gradient_sigma = (utility[:half] + utility[half:]).astype(np.float32) @ np.square(self.noise)
        self.mu += annealed(self.learning_rate, self.progress, self.anneal) * self.sigma * gradient_mu
        self.sigma *= np.exp(0.5 * self.sigma_learning_rate * gradient_sigma)
        self.noise = None

    @property
    def solution(self) -> np.ndarray:
        return self.mu.copy()
