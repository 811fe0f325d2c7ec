"""Pictures of a weight-evolution run: the fitness curve and reconstructions as they improve."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from archsearch.analysis.plots import plt


def save_fitness_curve(history: Sequence, path: Path, loss: str, reference: dict[str, float] | None = None,
                       title: str = "") -> None:
    """Population best and median on each generation's images, the solution on the monitor images,
    and horizontal reference lines (e.g. backprop, PCA), against generations."""
    generations = np.array([r.generation for r in history])
    fig, axis = plt.subplots(figsize=(6.5, 3.8))
    axis.plot(generations, [r.median for r in history], color="C0", alpha=0.4, lw=1, label="population median")
    axis.plot(generations, [r.best for r in history], color="C0", lw=1, label="population best")
    monitored = [(r.generation, r.monitor) for r in history if r.monitor is not None]
    if monitored:
        axis.plot(*zip(*monitored), "o-", color="C3", ms=3, label="solution (monitor images)")
    for i, (name, value) in enumerate((reference or {}).items()):
        axis.axhline(value, color=f"C{i + 4}", ls="--", lw=1, label=f"{name}: {value:.4f}")
    _finish_loss_plot(fig, axis, path, "generation", loss, title)


def save_reconstruction_strip(targets: np.ndarray, snapshots: Sequence[tuple[int | str, np.ndarray]], path: Path,
                              title: str = "") -> None:
    """The targets (top row) over rows of reconstructions: one per generation (an int label) or per
    named model (a str label)."""
    count = len(targets)
    rows = [("target", targets)] + [(f"gen {g}" if isinstance(g, int) else g, images) for g, images in snapshots]
    fig, axes = plt.subplots(len(rows), count, figsize=(1.0 * count, 1.05 * len(rows) + 0.4), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for i in range(count):
            axis = axes[r][i]
            axis.imshow(images[i][..., 0], cmap="gray", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[r][0].set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def save_loss_against_seconds(curves: dict[str, tuple[Sequence[float], Sequence[float]]], path: Path, loss: str,
                              thresholds: dict[str, float] | None = None, title: str = "", log: bool = True) -> None:
    """One curve per method (a loss, or with `log` False any score, against wall seconds), with dotted
    horizontal target lines."""
    fig, axis = plt.subplots(figsize=(7, 4.2))
    for i, (name, (seconds, values)) in enumerate(curves.items()):
        axis.plot(seconds, values, color=f"C{i}", lw=1.3, label=name)
    for name, value in (thresholds or {}).items():
        axis.axhline(value, color="grey", ls=":", lw=1)
        axis.annotate(name, (1.0, value), xycoords=("axes fraction", "data"), fontsize=7, color="grey",
                      ha="right", va="bottom")
    _finish_loss_plot(fig, axis, path, "seconds", loss, title, log)


def _finish_loss_plot(fig, axis, path: Path, xlabel: str, loss: str, title: str, log: bool = True) -> None:
    """Labels, log scale (unless not `log`), legend and title, then saved and closed."""
    axis.set_xlabel(xlabel)
    axis.set_ylabel(loss.upper() if log else loss)
    if log:
        axis.set_yscale("log")
    axis.legend(fontsize=8)
    if title:
        axis.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
