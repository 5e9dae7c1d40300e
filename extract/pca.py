"""Visual PCA (2048 -> extract.pca_dim), fitted on training-split frames only with
IncrementalPCA (streamed in chunks, never all frames in memory at once), then applied to
every frame of every split.

Fitting and applying run in float64. The saved mean and components are snapped to a grid
of 2^-24 (absolute: a near-zero entry of a unit-length component becomes 0 rather than
keeping float64 noise in float32's fine exponent range) and stored as float32, the variances
rounded to float32; so the file, and every feature made with it, is the same bytes on
machines whose LAPACK/BLAS kernels differ in float64's last bits."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.decomposition import IncrementalPCA

from extract.atomic_files import write_npz


class PCAError(ValueError):
    pass


PAPER_DIM = 1024  # the paper's visual feature size: what extract.pca_dim `auto` aims for


def resolve_dim(requested, training_frames: int, backbone_dim: int) -> int:
    """extract.pca_dim as fitted: a number as given; `auto` the paper's 1024, or fewer when the training
    split has fewer frames (a PCA cannot have more components than rows)."""
    if requested == "auto":
        return max(1, min(PAPER_DIM, backbone_dim, training_frames))
    return requested


def fit_pca(train_frames, dim: int, whiten: bool = False, chunk: int = 4096) -> IncrementalPCA:
    """train_frames: an iterable of (T x 2048) arrays, one per training clip, consumed once.

    Rows are buffered and fitted `chunk` at a time; at least `chunk` rows are held back
    until the end so that the last partial fit never has fewer rows than components.
    """
    chunk = max(chunk, dim)
    pca = IncrementalPCA(n_components=dim, whiten=whiten)
    buffer = np.zeros((0, 0), np.float64)
    total = 0
    for frames in train_frames:
        frames = np.asarray(frames, np.float64)
        buffer = np.concatenate([buffer, frames]) if len(buffer) else frames
        total += len(frames)
        if len(buffer) >= 2 * chunk:
            pca.partial_fit(buffer[:chunk])
            buffer = buffer[chunk:]
    if total < dim:
        raise PCAError(f"extract.pca_dim {dim} needs at least {dim} training frames, there are {total}; "
                       "set extract.pca_dim to auto or lower it, or add clips")
    pca.partial_fit(buffer)
    return pca


SNAP_STEP = 2.0**-24


def snapped(x: np.ndarray) -> np.ndarray:
    """float32 values on the 2^-24 grid: float64 round-off far below it cannot change them
    (+ 0.0 turns a -0.0 from a tiny negative entry into 0.0)."""
    return (np.round(np.asarray(x, np.float64) / SNAP_STEP) * SNAP_STEP + 0.0).astype(np.float32)


def save_pca(pca: IncrementalPCA, path: str | Path) -> None:
    write_npz(path, {"mean": snapped(pca.mean_), "components": snapped(pca.components_),
                     "explained_variance": pca.explained_variance_.astype(np.float32),
                     "whiten": np.array(pca.whiten)})


def apply_pca(saved: dict, frames: np.ndarray) -> np.ndarray:
    """float64 frames x components (rows of the saved float32 values), rounded to float32 by the caller."""
    mean, components = (np.asarray(saved[k], np.float64) for k in ("mean", "components"))
    out = (np.asarray(frames, np.float64) - mean) @ components.T
    if bool(saved["whiten"]):
        out /= np.sqrt(np.asarray(saved["explained_variance"], np.float64))
    return out
