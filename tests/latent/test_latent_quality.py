"""Latent-space quality metrics on cases with a known answer (no Keras)."""

import numpy as np
import pytest

from archsearch.latent.quality import cluster_accuracy, latent_quality


def test_cluster_accuracy_ignores_cluster_names_and_matches_one_to_one():
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(labels, np.array([5, 5, 3, 3, 9, 9])) == 1.0  # renamed clusters: perfect
    # clusters 1 and 0: the best matching is 1 -> class 0 (2 right) and 0 -> class 1 (1 right)
    assert cluster_accuracy(np.array([0, 0, 1, 1]), np.array([1, 1, 1, 0])) == 0.75
    # one cluster for everything can match only one class
    assert cluster_accuracy(labels, np.zeros(6, int)) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="5 labels but 4"):
        cluster_accuracy(np.zeros(5), np.zeros(4))


def blobs(rng, per_class, spread):
    """Three classes around far-apart centres in a 2-D code; `spread` is their standard deviation."""
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = np.repeat(np.arange(3), per_class)
    return centres[labels] + rng.normal(0, spread, (len(labels), 2)), labels


def test_separated_classes_score_perfectly_and_codes_without_class_information_score_chance():
    rng = np.random.default_rng(0)
    fit_codes, fit_labels = blobs(rng, 50, 0.5)
    eval_codes, eval_labels = blobs(rng, 50, 0.5)
    perfect = latent_quality(fit_codes, fit_labels, eval_codes, eval_labels)
    assert perfect.cluster_accuracy == perfect.nmi == perfect.ari == perfect.linear_probe_accuracy == 1.0

    noise = latent_quality(rng.normal(size=(150, 2)), fit_labels, rng.normal(size=(150, 2)), eval_labels)
    assert abs(noise.ari) < 0.05 and noise.nmi < 0.05
    assert noise.linear_probe_accuracy < 0.5 and noise.cluster_accuracy < 0.5  # chance is 1/3


def test_codes_of_any_scale_and_shape_give_the_same_answer():
    rng = np.random.default_rng(1)
    fit_codes, fit_labels = blobs(rng, 40, 3.0)  # overlapping classes: the scores are not all 1
    eval_codes, eval_labels = blobs(rng, 40, 3.0)
    plain = latent_quality(fit_codes, fit_labels, eval_codes, eval_labels)
    scaled = latent_quality((fit_codes * [1000, 0.001]).reshape(-1, 1, 2), fit_labels,
                            (eval_codes * [1000, 0.001]).reshape(-1, 1, 2), eval_labels)
    assert plain.to_dict() == pytest.approx(scaled.to_dict(), abs=0.02)
    assert 0.5 < plain.cluster_accuracy < 1.0
    with pytest.raises(ValueError, match="every code needs a label"):
        latent_quality(fit_codes, fit_labels[:-1], eval_codes, eval_labels)
