"""From per-clip frame features to the clip-level feature file (paper section 3.3, Eq. 1):
PCA on every visual frame, then the mean over the frame axis for each modality."""
from __future__ import annotations

import numpy as np

from extract.feature_store import FeatureSet, Split
from extract.pca import apply_pca


def clip_vector(rows: np.ndarray, pca: dict | None = None) -> np.ndarray:
    """A clip's feature vector from its per-frame rows: PCA first when given (visual), then the
    mean, both in float64 (the caller rounds once to float32)."""
    return (np.asarray(rows, np.float64) if pca is None else apply_pca(pca, rows)).mean(axis=0)


def assemble(clips, audio_rows: dict, visual_rows: dict, pca: dict, provenance: dict, backbone: str):
    """(FeatureSet, skipped): clips lacking rows in either modality are left out and listed
    as (path, reason); reasons recorded by the extract stages come in via the caller."""
    class_names = sorted({c.label for c in clips})
    index = {name: i for i, name in enumerate(class_names)}
    parts = {s: {"audio": [], "visual": [], "labels": [], "ids": []} for s in ("train", "val", "test")}
    missing = []
    for clip in clips:
        if clip.clip_id not in audio_rows or clip.clip_id not in visual_rows:
            missing.append(clip)
            continue
        part = parts[clip.split]
        part["audio"].append(clip_vector(audio_rows[clip.clip_id]))
        part["visual"].append(clip_vector(visual_rows[clip.clip_id], pca))
        part["labels"].append(index[clip.label])
        part["ids"].append(clip.clip_id)
    splits = {}
    for name, p in parts.items():
        if not p["ids"]:
            raise ValueError(f"no usable clip in the {name} split")
        splits[name] = Split(np.stack(p["audio"]).astype(np.float32), np.stack(p["visual"]).astype(np.float32),
                             np.asarray(p["labels"], np.int64), np.asarray(p["ids"], dtype=object))
    return FeatureSet(splits, class_names, backbone, "videos", provenance), missing
