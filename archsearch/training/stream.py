"""Positions start..stop of an endless stream over n items, read pass by pass: what the training order
(`budgeted.stream_indices`) and each image's augmentation (`augment.Augmentation.codes`) share, so both
split anywhere and a continued training reads what an uninterrupted one would."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def stream_slice(n: int, start: int, stop: int, per_pass: Callable[[int], np.ndarray]) -> np.ndarray:
    """Positions start..stop of the stream whose pass p is `per_pass(p)` (n values each)."""
    parts = []
    for number in range(start // n, (stop - 1) // n + 1):
        parts.append(per_pass(number)[max(start - number * n, 0): min(stop - number * n, n)])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
