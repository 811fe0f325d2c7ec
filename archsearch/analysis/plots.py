"""Pictures people would rather look at than read. Matplotlib with the non-interactive Agg backend."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from archsearch.analysis.tables import best_so_far  # noqa: E402


def save_reconstructions(images: np.ndarray, reconstructions: np.ndarray, path: Path,
                         title: str = "") -> None:
    """Test images (top row) over their reconstructions (bottom row)."""
    count = len(images)
    fig, axes = plt.subplots(2, count, figsize=(1.2 * count, 2.8), squeeze=False)
    for i in range(count):
        for row, batch in enumerate((images, reconstructions)):
            axis = axes[row][i]
            picture = batch[i]
            axis.imshow(picture[..., 0] if picture.shape[-1] == 1 else picture, cmap="gray", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
    axes[0][0].set_ylabel("input")
    axes[1][0].set_ylabel("output")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_progress_plot(records: Sequence, path: Path, title: str = "", ylabel: str = "validation MSE") -> None:
    """Each evaluation's fitness (validation MSE, or error for a transfer search) and the run's best so far
    (the most trained first, as the run chooses its result)."""
    values = np.asarray([r.result.fitness if r.result.ok else np.inf for r in records], dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    best = best_so_far(values, [r.rung or 0 for r in records])
    fig, axis = plt.subplots(figsize=(6, 3.5))
    axis.scatter(np.arange(len(values)), finite, s=10, alpha=0.5, label="evaluation")
    axis.plot(np.arange(len(values)), np.where(np.isfinite(best), best, np.nan), color="C3", label="best so far")
    axis.set_xlabel("evaluation")
    axis.set_ylabel(ylabel)
    if np.nanmin(finite, initial=np.inf) > 0:  # a perfect score (a validation error of 0) has no logarithm
        axis.set_yscale("log")
    axis.legend()
    if title:
        axis.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


Points = list[tuple[float, ...]]


def save_pareto_plot(series: dict[str, tuple[Points, Points]], path: Path, title: str = "",
                     ylabel: str = "validation MSE", axes: Sequence[tuple[str, bool]] = (("parameters", True),),
                     ) -> None:
    """Every evaluation (faint) and its Pareto front per label: the loss against each other objective.

    Points are (x_1, ..., x_k, loss) for the k `axes` (label, log scale), one panel each. With one other
    objective the front is a step line; with more, a panel shows a projection of the front, whose points
    need not be monotone, so they are drawn alone."""
    fig, panels = plt.subplots(1, len(axes), figsize=(6.5 if len(axes) == 1 else 4.5 * len(axes), 4), squeeze=False)
    for position, (xlabel, log_x) in enumerate(axes):
        axis = panels[0][position]
        for number, (label, (evaluated, front)) in enumerate(series.items()):
            colour = f"C{number % 10}"
            if evaluated:
                axis.scatter([p[position] for p in evaluated], [p[-1] for p in evaluated], s=8, alpha=0.25,
                             color=colour)
            if front:
                xs, ys = zip(*sorted((p[position], p[-1]) for p in front))
                if len(axes) == 1:
                    axis.step(xs, ys, where="post", color=colour)
                axis.scatter(xs, ys, s=22, color=colour, label=f"{label} ({len(front)} on the front)")
        if log_x:
            axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        if axis.get_legend_handles_labels()[0]:  # nothing on a front when every candidate failed
            axis.legend(fontsize=8)
    others = " and ".join(label for label, _ in axes)
    fig.suptitle(title or f"Pareto front: loss against {others} (lower left is better)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
