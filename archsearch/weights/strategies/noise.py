"""Gaussian noise for many weights at the price of a copy (the shared noise table of OpenAI-ES), and
the antithetic populations es and snes build from it.

Drawing a fresh normal per weight per individual cost 16 ms a generation on a 2-core CPU for
784-32-2-32-784 at population 64, as much as a quarter of the forward pass. Instead, one table of
normals is drawn once per (seed, length) and every noise row is a slice of it at a random offset
(1.8 ms). Rows at different offsets are shifted copies of independent draws, so they are uncorrelated;
the table holds at least 8 times as many numbers as a row (and 4 million), so two rows almost never
start at the same place, while a million-weight network's table stays at 32 MB.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MIN_LENGTH = 1 << 22  # 16 MB of float32: drawn in about 60 ms


@lru_cache(maxsize=2)  # the running strategy's table, and the one before it
def _table(seed: int, length: int) -> np.ndarray:
    table = np.random.default_rng(seed).standard_normal(length, dtype=np.float32)
    table.flags.writeable = False
    return table


class NoiseTable:
    """Rows of standard normal noise, `(count, width)` float32, each a slice of one seeded table.
    Only the seed and length are state (the table is rebuilt from them), so a strategy holding one
    saves and pickles small."""

    def __init__(self, rng: np.random.Generator, width: int) -> None:
        self.seed = int(rng.integers(2**63))
        self.length = max(MIN_LENGTH, 8 * width)
        self.width = width

    def rows(self, rng: np.random.Generator, count: int) -> np.ndarray:
        table = _table(self.seed, self.length)
        starts = rng.integers(0, self.length - self.width + 1, count)
        return np.stack([table[start:start + self.width] for start in starts])


def antithetic_population(centre: np.ndarray, sigma, noise: np.ndarray) -> np.ndarray:
    """centre + sigma * noise, then centre - sigma * noise: (2 * len(noise), n) float32, written in
    place (fresh temporaries of this size cost more than the arithmetic)."""
    half = len(noise)
    population = np.empty((2 * half, noise.shape[1]), np.float32)
    np.multiply(noise, sigma, out=population[:half])
    np.negative(population[:half], out=population[half:])
    population += centre
    return population
