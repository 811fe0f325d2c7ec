"""`es`: the OpenAI evolution strategy, for networks with many weights.

The population samples the weights around a centre: theta + sigma * eps and theta - sigma * eps
(antithetic pairs, which cancel the noise of the centre's own loss). Losses become centred ranks
(rank-based shaping: scale-free, robust to outliers), which weight the noise into a gradient estimate;
Adam follows it, with L2 weight decay. The step size sigma decays geometrically towards `sigma_floor`.
The solution is the centre, which is usually better than any of its noisy samples.
"""

from __future__ import annotations

import numpy as np

from archsearch.weights.strategies.base import (
    WeightStrategy,
    annealed,
    centred_ranks,
    check_sampling_settings,
    register,
)
from archsearch.weights.strategies.noise import NoiseTable, antithetic_population


@register
class OpenAIES(WeightStrategy):
    name = "es"

    def __init__(self, initial, rng, population: int, sigma: float = 0.02, learning_rate: float = 0.01,
                 weight_decay: float = 0.0, sigma_decay: float = 1.0, sigma_floor: float = 0.0,
                 beta1: float = 0.9, beta2: float = 0.999, anneal: float = 0.0) -> None:
        """`anneal`: over that last share of the run Adam's learning rate falls linearly to a tenth."""
        check_sampling_settings(self.name, population, sigma, learning_rate, anneal)
        super().__init__(initial, rng, population)
        self.theta = self.initial[0].astype(np.float64)
        self.sigma, self.sigma_decay, self.sigma_floor = float(sigma), float(sigma_decay), float(sigma_floor)
        self.learning_rate, self.weight_decay, self.anneal = float(learning_rate), float(weight_decay), float(anneal)
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.m = np.zeros_like(self.theta)
        self.v = np.zeros_like(self.theta)
        self.steps = 0
        self.noise_table = NoiseTable(rng, self.n_params)
        self.noise: np.ndarray | None = None

    def _ask(self) -> np.ndarray:
        self.noise = self.noise_table.rows(self.rng, self.population_size // 2)
        return antithetic_population(self.theta.astype(np.float32), np.float32(self.sigma), self.noise)

    def _tell(self, population, fitness) -> None:
        utility = centred_ranks(fitness)
        half = self.population_size // 2
        weights = (utility[:half] - utility[half:]).astype(np.float32)
        gradient = (weights @ self.noise).astype(np.float64) / (self.population_size * self.sigma)
        gradient -= self.weight_decay * self.theta  # ascent on utility, so decay pulls towards zero
        self.steps += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * gradient
        self.v = self.beta2 * self.v + (1 - self.beta2) * gradient**2
        m_hat = self.m / (1 - self.beta1**self.steps)
        v_hat = self.v / (1 - self.beta2**self.steps)
        rate = annealed(self.learning_rate, self.progress, self.anneal)
        self.theta = self.theta + rate * m_hat / (np.sqrt(v_hat) + 1e-8)
        self.sigma = max(self.sigma * self.sigma_decay, self.sigma_floor)
        self.noise = None

    @property
    def solution(self) -> np.ndarray:
        return self.theta.astype(np.float32)
