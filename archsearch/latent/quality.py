"""What an autoencoder's latent space knows about the classes it never saw: clustering and a linear probe.

Reconstruction error says how much of an image a code keeps, not whether the code separates what people
care about. The usual checks on latent codes, computed here from codes and labels alone (no Keras):
- k-means with k = number of classes, scored against the labels by cluster accuracy (the best
  one-to-one matching of clusters to classes, found by the Hungarian algorithm), normalised mutual
  information (NMI) and the adjusted Rand index (ARI);
- a linear probe: a logistic regression trained on one set of codes, scored on another.
Codes are standardised with the fitting set's statistics first, because a latent dimension's scale is
arbitrary and would otherwise weigh in k-means' distances.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.preprocessing import StandardScaler


@dataclass(frozen=True)
class LatentQuality:
    cluster_accuracy: float
    nmi: float
    ari: float
    linear_probe_accuracy: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def cluster_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """The share of points whose cluster maps to their class, under the best one-to-one mapping of
    clusters to classes (clusters left without a class count as wrong)."""
    if len(labels) != len(clusters):
        raise ValueError(f"{len(labels)} labels but {len(clusters)} cluster assignments")
    counts = contingency_matrix(labels, clusters)  # classes x clusters
    rows, columns = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, columns].sum() / len(labels))


def latent_quality(codes_fit: np.ndarray, labels_fit: np.ndarray, codes_eval: np.ndarray,
                   labels_eval: np.ndarray, seed: int = 0) -> LatentQuality:
    """k-means (k = the classes in `labels_eval`) on the evaluation codes, and a linear probe fitted on
    the fitting codes and scored on the evaluation codes. Codes are (n, latent) or any shape that
    flattens per example."""
    codes_fit = np.asarray(codes_fit, np.float64).reshape(len(codes_fit), -1)
    codes_eval = np.asarray(codes_eval, np.float64).reshape(len(codes_eval), -1)
    if len(codes_fit) != len(labels_fit) or len(codes_eval) != len(labels_eval):
        raise ValueError("every code needs a label: "
                         f"{len(codes_fit)}/{len(labels_fit)} fitting, {len(codes_eval)}/{len(labels_eval)} evaluation")
    scaler = StandardScaler().fit(codes_fit)
    fit, evaluation = scaler.transform(codes_fit), scaler.transform(codes_eval)
    classes = len(np.unique(labels_eval))
    clusters = KMeans(n_clusters=classes, n_init=10, random_state=seed).fit_predict(evaluation)
    probe = LogisticRegression(max_iter=2000).fit(fit, labels_fit)
    return LatentQuality(
        cluster_accuracy=cluster_accuracy(labels_eval, clusters),
        nmi=float(normalized_mutual_info_score(labels_eval, clusters)),
        ari=float(adjusted_rand_score(labels_eval, clusters)),
        linear_probe_accuracy=float(probe.score(evaluation, labels_eval)),
    )
