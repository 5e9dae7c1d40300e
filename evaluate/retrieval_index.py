"""The retrieval index: fused embeddings of every clip of every split, both modalities, with
what a results page needs to show them, in one HDF5 file; and ranking against it.

Layout (N clips): `audio`, `visual` (N x d float32, the fused CCA space, rows L2-normalised),
`ids`, `split`, `paths` (str; "" when there is no video, e.g. community feature files),
`labels` (N int64), `thumbnails` (N variable-length uint8 arrays of JPEG bytes, empty when
there is none). Attributes: `class_names` (JSON), `source`, `model_fingerprint` (SHA-1 of
the model and fusion files it was built with), `backbone` (of the features), `dataset` (a
description for messages).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np


class RetrievalIndexError(ValueError):
    """An index that cannot answer a query; the message says why."""


@dataclass
class RetrievalIndex:
    audio: np.ndarray
    visual: np.ndarray
    ids: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    paths: np.ndarray
    thumbnails: list[bytes]
    class_names: list[str]
    source: str
    backbone: str
    model_fingerprint: str
    dataset: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, clip_id: str) -> int | None:
        hits = np.flatnonzero(self.ids == clip_id)
        return int(hits[0]) if len(hits) else None

    def gallery(self, splits) -> np.ndarray:
        """Positions of the clips in the given splits ("all" = every clip)."""
        if splits == "all":
            return np.arange(len(self))
        return np.flatnonzero(np.isin(self.split, list(splits)))


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def files_fingerprint(*files) -> str:
    """SHA-1 over the bytes of the files (a model is identified by what it is, not its name)."""
    digest = hashlib.sha1()
    for path in files:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def write_index(index: RetrievalIndex, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = h5py.string_dtype()
    with h5py.File(tmp, "w") as f:
        f["audio"] = unit_rows(index.audio)
        f["visual"] = unit_rows(index.visual)
        f["labels"] = np.asarray(index.labels, np.int64)
        for name in ("ids", "split", "paths"):
            f.create_dataset(name, data=np.asarray(getattr(index, name), dtype=object), dtype=text)
        thumbs = f.create_dataset("thumbnails", (len(index),), dtype=h5py.vlen_dtype(np.uint8))
        for i, jpeg in enumerate(index.thumbnails):
            thumbs[i] = np.frombuffer(jpeg, np.uint8)
        f.attrs["class_names"] = json.dumps(list(index.class_names))
        f.attrs["source"] = index.source
        f.attrs["backbone"] = index.backbone
        f.attrs["model_fingerprint"] = index.model_fingerprint
        f.attrs["dataset"] = index.dataset
    os.replace(tmp, path)


def read_index(path: str | Path) -> RetrievalIndex:
    path = Path(path)
    if not path.exists():
        raise RetrievalIndexError(f"no index at {path}; run `dvc repro index` first")
    with h5py.File(path, "r") as f:
        return RetrievalIndex(
            audio=f["audio"][()],
            visual=f["visual"][()],
            ids=f["ids"].asstr()[()].astype(object),
            labels=f["labels"][()],
            split=f["split"].asstr()[()].astype(object),
            paths=f["paths"].asstr()[()].astype(object),
            thumbnails=[bytes(t) for t in f["thumbnails"][()]],
            class_names=json.loads(f.attrs["class_names"]),
            source=str(f.attrs["source"]),
            backbone=str(f.attrs["backbone"]),
            model_fingerprint=str(f.attrs["model_fingerprint"]),
            dataset=str(f.attrs.get("dataset", "")),
        )


def top_matches(query: np.ndarray, gallery: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions, cosine similarities) of the `top` gallery rows most similar to `query`,
    best first. `gallery` rows are unit length (as stored); argpartition picks the top
    rows in linear time and only those are sorted (ties: lower position first)."""
    scores = gallery @ unit_rows(query)
    top = min(top, len(scores))
    if top == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    picked = np.argpartition(-scores, top - 1)[:top] if top < len(scores) else np.arange(len(scores))
    order = np.lexsort((picked, -scores[picked]))
    return picked[order], scores[picked[order]]
