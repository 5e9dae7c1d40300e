"""Visual PCA (2048 -> extract.pca_dim), fitted on training-split frames only with
IncrementalPCA (streamed in chunks, never all frames in memory at once), then applied to
every frame of every split."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.decomposition import IncrementalPCA


class PCAError(ValueError):
    pass


def fit_pca(train_frames, dim: int, whiten: bool = False, chunk: int = 4096) -> IncrementalPCA:
    """train_frames: an iterable of (T x 2048) arrays, one per training clip, consumed once.

    Rows are buffered and fitted `chunk` at a time; at least `chunk` rows are held back
    until the end so that the last partial fit never has fewer rows than components.
    """
    chunk = max(chunk, dim)
    pca = IncrementalPCA(n_components=dim, whiten=whiten)
    buffer = np.zeros((0, 0), np.float32)
    total = 0
    for frames in train_frames:
        buffer = np.concatenate([buffer, frames]) if len(buffer) else np.asarray(frames)
        total += len(frames)
        if len(buffer) >= 2 * chunk:
            pca.partial_fit(buffer[:chunk])
            buffer = buffer[chunk:]
    if total < dim:
        raise PCAError(f"extract.pca_dim {dim} needs at least {dim} training frames, there are {total}; "
                       "lower extract.pca_dim (and data.visual_dim) or add clips")
    pca.partial_fit(buffer)
    return pca


def save_pca(pca: IncrementalPCA, path: str | Path) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, mean=pca.mean_, components=pca.components_, explained_variance=pca.explained_variance_,
             whiten=pca.whiten)
    tmp.replace(path)


def apply_pca(saved: dict, frames: np.ndarray) -> np.ndarray:
    out = (frames - saved["mean"]) @ saved["components"].T
    if bool(saved["whiten"]):
        out /= np.sqrt(saved["explained_variance"])
    return out.astype(np.float32)
