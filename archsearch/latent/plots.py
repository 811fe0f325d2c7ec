"""The 2-D t-SNE of latent codes coloured by class: whether the classes separate, at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.manifold import TSNE

from archsearch.analysis.plots import plt


def tsne_embedding(codes: np.ndarray, seed: int) -> np.ndarray:
    """(n, 2) t-SNE of the codes; 2-D codes are shown as they are."""
    codes = np.asarray(codes, np.float64).reshape(len(codes), -1)
    if codes.shape[1] <= 2:
        return codes if codes.shape[1] == 2 else np.column_stack([codes[:, 0], np.zeros(len(codes))])
    return TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, (len(codes) - 1) / 3)
                ).fit_transform(codes)


def save_latent_maps(panels: dict[str, np.ndarray], labels: np.ndarray, path: Path, seed: int = 0,
                     title: str = "") -> None:
    """One scatter per named set of codes (e.g. before and after training), side by side."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4), squeeze=False)
    for axis, (name, codes) in zip(axes[0], panels.items()):
        points = tsne_embedding(codes, seed)
        scatter = axis.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=4, alpha=0.8)
        axis.set_title(name, fontsize=10)
        axis.set_xticks([])
        axis.set_yticks([])
    fig.legend(*scatter.legend_elements(), title="class", loc="center right", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
