"""Reference points a searched autoencoder must beat: PCA with as many components as its code."""

from __future__ import annotations

import numpy as np


def fit_pca(x_fit: np.ndarray, components: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean image and the top `components` principal directions (pixels x components) of `x_fit`."""
    fit = x_fit.reshape(len(x_fit), -1).astype(np.float64)
    mean = fit.mean(axis=0)
    centred = fit - mean
    # Eigenvectors of the (pixels x pixels) covariance: cheaper than an SVD of the data when N >> pixels.
    covariance = centred.T @ centred / max(len(fit) - 1, 1)
    _, vectors = np.linalg.eigh(covariance)
    return mean, vectors[:, ::-1][:, :components]


def pca_codes(images: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The images' coordinates along the principal directions: PCA's latent codes."""
    return (images.reshape(len(images), -1).astype(np.float64) - mean) @ basis


def pca_test_mse(x_fit: np.ndarray, x_test: np.ndarray, components: int) -> float:
    """Per-pixel test MSE of the best linear code of size `components`, fitted on `x_fit`.

    An autoencoder that does not beat this has learned nothing a linear map could not.
    """
    mean, basis = fit_pca(x_fit, components)
    test = x_test.reshape(len(x_test), -1).astype(np.float64)
    reconstructed = pca_codes(x_test, mean, basis) @ basis.T + mean
    return float(np.mean((reconstructed - test) ** 2))
