"""Value specifications of a search space: a list of choices or a numeric range.

Each spec samples, checks, repairs (`nearest`) and perturbs one gene value with an explicit numpy
Generator, so operators and the Optuna adapter never write a range of their own. `Int`, `Float` and
`Choice` are how a user declares them (as Keras Tuner's `hp.Int`, `hp.Float`, `hp.Choice`); each may
name its `default`, the value of the space's first candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def round_significant(value: float, digits: int = 3) -> float:
    """Keeps floats tidy (and equal genomes equal) by rounding to a few significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of values (categorical or a hand-picked numeric grid)."""

    values: tuple[Any, ...]
    default: Any = None  # None: the first value

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise ValueError("a choice needs at least one value")
        if self.default is not None and self.default not in self.values:
            raise ValueError(f"default {self.default!r} is not one of {list(self.values)}")

    @property
    def first(self) -> Any:
        """The value of a space's first candidate: the declared default, else the first value."""
        return self.values[0] if self.default is None else self.default

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def contains(self, value: Any) -> bool:
        return value in self.values

    def nearest(self, value: Any, rng: np.random.Generator) -> Any:
        if self.contains(value):
            return value
        if _is_number(value) and all(_is_number(v) for v in self.values):
            return min(self.values, key=lambda v: abs(v - value))
        return self.sample(rng)

    def perturb(self, value: Any, rng: np.random.Generator) -> Any:
        """A different value; for numeric grids a neighbour, so mutation takes small steps."""
        if len(self.values) == 1:
            return self.values[0]
        if value in self.values and all(_is_number(v) for v in self.values):
            ordered = sorted(self.values)
            i = ordered.index(value)
            neighbours = [ordered[j] for j in (i - 1, i + 1) if 0 <= j < len(ordered)]
            return neighbours[int(rng.integers(len(neighbours)))]
        others = [v for v in self.values if v != value]
        return others[int(rng.integers(len(others)))]

    @property
    def fixed(self) -> bool:
        return len(self.values) == 1

    @property
    def bounds(self) -> tuple[Any, Any] | None:
        nums = [v for v in self.values if _is_number(v)]
        return (min(nums), max(nums)) if len(nums) == len(self.values) else None


@dataclass(frozen=True)
class Range:
    """A numeric interval, integer when `integer`; sampled and perturbed on a log scale when `log`."""

    low: float
    high: float
    integer: bool = False
    log: bool = False
    default: float | None = None  # None: the low end (as Keras Tuner's `hp.Int` and `hp.Float`)

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"low {self.low} > high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low}")
        if self.default is not None and not self.contains(self.default):
            raise ValueError(f"default {self.default!r} outside {self.low}..{self.high}")

    @property
    def first(self) -> float | int:
        return self.clip(self.low) if self.default is None else self.default

    def _to_unit(self, value: float) -> float:
        lo, hi = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        v = math.log(value) if self.log else value
        return 0.0 if hi == lo else (v - lo) / (hi - lo)

    def _from_unit(self, u: float) -> float | int:
        u = min(max(u, 0.0), 1.0)
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return self.clip(value)

    def clip(self, value: float) -> float | int:
        value = min(max(value, self.low), self.high)
        return int(round(value)) if self.integer else round_significant(value)

    def sample(self, rng: np.random.Generator) -> float | int:
        if self.integer and not self.log:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        return self._from_unit(float(rng.random()))

    def contains(self, value: Any) -> bool:
        if not _is_number(value) or (self.integer and int(value) != value):
            return False
        return self.low <= value <= self.high

    def nearest(self, value: Any, rng: np.random.Generator) -> float | int:
        return self.clip(value) if _is_number(value) and math.isfinite(value) else self.sample(rng)

    def perturb(self, value: Any, rng: np.random.Generator) -> float | int:
        """A Gaussian step of a fifth of the (log) range, so mutation explores locally."""
        u = self._to_unit(self.nearest(value, rng)) + 0.2 * float(rng.normal())
        new = self._from_unit(u)
        if new == value and self.integer and self.low < self.high:
            new = self.clip(value + (1 if value < self.high else -1))
        return new

    def to_unit(self, value: float) -> float:
        """Position in [0, 1] on the sampling scale (used by vector encodings such as DE)."""
        return self._to_unit(self.nearest(value, np.random.default_rng(0)))

    def from_unit(self, u: float) -> float | int:
        return self._from_unit(u)

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)


Spec = Choice | Range


def Int(low: int, high: int, log: bool = False, default: int | None = None) -> Range:
    """An integer from `low` to `high` inclusive (sampled on a log scale with `log`)."""
    return Range(low, high, integer=True, log=log, default=default)


def Float(low: float, high: float, log: bool = False, default: float | None = None) -> Range:
    """A float from `low` to `high` (sampled on a log scale with `log`, as a learning rate is)."""
    return Range(low, high, log=log, default=default)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
