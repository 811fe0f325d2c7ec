"""Reference points a searched autoencoder must beat: PCA with as many components as its code."""

from __future__ import annotations

import numpy as np


def pca_test_mse(x_fit: np.ndarray, x_test: np.ndarray, components: int) -> float:
    """Per-pixel test MSE of the best linear code of size `components`, fitted on `x_fit`.

    An autoencoder that does not beat this has learned nothing a linear map could not.
    """
    fit = x_fit.reshape(len(x_fit), -1).astype(np.float64)
    test = x_test.reshape(len(x_test), -1).astype(np.float64)
    mean = fit.mean(axis=0)
    centred = fit - mean
    # Eigenvectors of the (pixels x pixels) covariance: cheaper than an SVD of the data when N >> pixels.
    covariance = centred.T @ centred / max(len(fit) - 1, 1)
    _, vectors = np.linalg.eigh(covariance)
    basis = vectors[:, ::-1][:, :components]
    reconstructed = (test - mean) @ basis @ basis.T + mean
    return float(np.mean((reconstructed - test) ** 2))
