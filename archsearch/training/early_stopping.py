"""The one epoch-based fit every task shares (fidelity "off"): early stopping on a validation metric with
the best epoch's weights kept, and a loss that turns NaN/inf stopping the fit as a divergence."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from archsearch.training.keras_parts import build_optimizer


@dataclass(frozen=True)
class EarlyStoppedFit:
    history: dict[str, list[float]]
    best: int  # the epoch whose weights the model kept (0 after a divergence)
    seconds: float
    diverged_at: int | None  # the first epoch (from 1) whose loss or monitored value was NaN/inf

    @property
    def epochs(self) -> int:
        return len(self.history.get("loss", []))

    def at_best(self, name: str) -> float:
        """A metric at the kept epoch; inf after a divergence."""
        return float(self.history[name][self.best]) if self.diverged_at is None else math.inf


def fit_with_early_stopping(model: keras.Model, x: Any, y: Any, validation: tuple[Any, Any], batch_size: int,
                            epochs: int, patience: int, monitor: str, mode: str = "min",
                            callbacks: Sequence[Any] = ()) -> EarlyStoppedFit:
    """Fits a compiled model for up to `epochs`, stopping after `patience` epochs without a better
    `monitor` (a validation metric, `mode` "min" or "max") and restoring the best epoch's weights."""
    stop = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    build_optimizer(model)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=validation,
                        callbacks=[keras.callbacks.TerminateOnNaN(), stop, *callbacks], verbose=0).history
    seconds = time.perf_counter() - start
    losses, monitored = history.get("loss", []), history.get(monitor, [])
    finite = bool(losses) and bool(monitored) and all(math.isfinite(v) for v in losses + monitored)
    if finite:
        return EarlyStoppedFit(history, int(np.argmin(monitored) if mode == "min" else np.argmax(monitored)),
                               seconds, None)
    diverged_at = next((i + 1 for i, v in enumerate(losses) if not math.isfinite(v)), len(losses))
    return EarlyStoppedFit(history, 0, seconds, diverged_at)
