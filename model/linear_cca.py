"""Closed-form linear CCA with a ridge, used to fuse the two subspaces (and as a baseline).

Covariances get a ridge of `ridge` times their mean variance, so the setting does not
depend on the scale of the inputs. The projections whiten each side and keep the top
`dim` canonical directions: on the training data the projected sides have (nearly) unit
covariance and cross-covariance diag(correlations).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import linalg

from extract.atomic_files import write_npz


@dataclass
class LinearCCA:
    mean_x: np.ndarray
    mean_y: np.ndarray
    w_x: np.ndarray
    w_y: np.ndarray
    correlations: np.ndarray

    def transform_x(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean_x) @ self.w_x

    def transform_y(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.mean_y) @ self.w_y

    def save(self, path: str | Path) -> None:
        """Stored as float32 (one rounding of the float64 fit, which hides LAPACK's last-bit
        differences between machines); `load` reads it back as float64."""
        write_npz(path, {k: np.asarray(v, np.float32) for k, v in self.__dict__.items()})

    @classmethod
    def load(cls, path: str | Path) -> "LinearCCA":
        with np.load(path) as f:
            return cls(**{k: f[k].astype(np.float64) for k in f.files})


def inverse_sqrt(cov: np.ndarray) -> np.ndarray:
    """cov^(-1/2) of a symmetric positive definite matrix, by eigendecomposition."""
    values, vectors = linalg.eigh(cov)
    return (vectors / np.sqrt(np.maximum(values, 1e-12))) @ vectors.T


def regularised_covariance(a: np.ndarray, b: np.ndarray | None, ridge: float) -> np.ndarray:
    n = len(a)
    if b is not None:
        return a.T @ b / (n - 1)
    cov = a.T @ a / (n - 1)
    return cov + ridge * max(np.trace(cov) / len(cov), 1e-12) * np.eye(len(cov))


def fit_linear_cca(x: np.ndarray, y: np.ndarray, dim: int, ridge: float) -> LinearCCA:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        raise ValueError(f"CCA needs paired rows, got {len(x)} and {len(y)}")
    if dim > min(x.shape[1], y.shape[1]):
        raise ValueError(f"CCA dimension {dim} exceeds the input dimensions {x.shape[1]} and {y.shape[1]}")
    if len(x) <= dim:
        raise ValueError(f"CCA needs more than {dim} samples, got {len(x)}")
    mean_x, mean_y = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - mean_x, y - mean_y
    kx = inverse_sqrt(regularised_covariance(xc, None, ridge))
    ky = inverse_sqrt(regularised_covariance(yc, None, ridge))
    u, s, vt = linalg.svd(kx @ regularised_covariance(xc, yc, ridge) @ ky)
    return LinearCCA(mean_x, mean_y, kx @ u[:, :dim], ky @ vt[:dim].T, s[:dim])
