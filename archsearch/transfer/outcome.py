"""What a fine-tuning of a transfer classifier reports, by backprop or by weight evolution alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FineTuneOutcome:
    val_accuracy: float
    val_loss: float
    train_loss: float
    epochs: int  # epochs of backprop, or generations of weight evolution
    seconds: float
    diverged: bool
