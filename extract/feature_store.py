"""The project's HDF5 feature layout (the community layout, completed): read, validate, write.

One file per dataset with, for each split s in train/val/test:

    audio_s   N x 128   float32   clip-level audio features (VGGish, frame mean)
    visual_s  N x 1024  float32   clip-level visual features (InceptionV3 + PCA, frame mean)
    lab_s     N         int64     class index into the `class_names` attribute
    ids_s     N         str       stable clip ids

File attributes: `class_names` (JSON list), `backbone`, `source`, `provenance` (JSON).
Every split is written in a seeded random order, never grouped by class.
Community files (VEGAS/AVE as passed around) often have train and test only, labels
as one-hot rows and no ids; `read_raw` reads those too, and `extract.community` turns them
into this layout.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

SPLITS = ("train", "val", "test")
SPLIT_ALIASES = {"train": ("train",), "val": ("val", "valid", "validation"), "test": ("test",)}
UNRECORDED_BACKBONE = "community file (backbone not recorded)"


class FeatureFileError(ValueError):
    """A feature file that cannot be used; the message names the file and the problem."""


@dataclass
class Split:
    audio: np.ndarray
    visual: np.ndarray
    labels: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class FeatureSet:
    splits: dict[str, Split]
    class_names: list[str]
    backbone: str = "unknown"
    source: str = "unknown"
    provenance: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def audio_dim(self) -> int:
        return self.splits["train"].audio.shape[1]

    @property
    def visual_dim(self) -> int:
        return self.splits["train"].visual.shape[1]


def validate(features: FeatureSet, where: str, audio_dim: int | None = None, visual_dim: int | None = None,
             required=SPLITS) -> None:
    """Raise FeatureFileError on wrong shapes, dtypes, non-finite values or labels out of range."""
    missing = [s for s in required if s not in features.splits]
    if missing:
        raise FeatureFileError(f"{where}: missing split(s) {', '.join(missing)}")
    for name, split in features.splits.items():
        for modality, array, dim in (("audio", split.audio, audio_dim), ("visual", split.visual, visual_dim)):
            label = f"{where}: {modality}_{name}"
            if array.ndim != 2:
                raise FeatureFileError(f"{label} must be 2-D (clips x dimensions), got shape {array.shape}")
            if not np.issubdtype(array.dtype, np.floating):
                raise FeatureFileError(f"{label} must hold floats, got {array.dtype}")
            if dim is not None and array.shape[1] != dim:
                raise FeatureFileError(
                    f"{label} has {array.shape[1]} dimensions, but data.{modality}_dim in params.yaml "
                    f"says {dim}; set it to {array.shape[1]} or to auto"
                )
            if len(array) != len(split.labels):
                raise FeatureFileError(f"{label} has {len(array)} rows but lab_{name} has {len(split.labels)}")
            if not np.isfinite(array).all():
                bad = int((~np.isfinite(array)).any(axis=1).sum())
                raise FeatureFileError(f"{label} has NaN or infinite values in {bad} row(s)")
        if len(split.labels) == 0:
            raise FeatureFileError(f"{where}: split {name} is empty")
        if not np.issubdtype(split.labels.dtype, np.integer):
            raise FeatureFileError(f"{where}: lab_{name} must hold integer class indices, got {split.labels.dtype}")
        if split.labels.min() < 0 or split.labels.max() >= features.n_classes:
            raise FeatureFileError(
                f"{where}: lab_{name} has labels in [{split.labels.min()}, {split.labels.max()}] "
                f"but there are {features.n_classes} class names"
            )
        if len(split.ids) != len(split.labels):
            raise FeatureFileError(f"{where}: ids_{name} has {len(split.ids)} entries, expected {len(split.labels)}")
    for modality in ("audio", "visual"):
        dims = {getattr(s, modality).shape[1] for s in features.splits.values()}
        if len(dims) > 1:
            raise FeatureFileError(f"{where}: {modality} dimensions differ between splits: {sorted(dims)}")


def shuffled(features: FeatureSet, seed: int) -> FeatureSet:
    """Every split in a seeded random order (ids, labels and both modalities move together).

    Files are never stored grouped by class: any rule that breaks ties by position (a
    metric, a batch order) would otherwise see the labels.
    """
    splits = {}
    for index, (name, split) in enumerate(sorted(features.splits.items())):
        order = np.random.default_rng([seed, index]).permutation(len(split))
        splits[name] = Split(split.audio[order], split.visual[order], split.labels[order], np.asarray(split.ids)[order])
    return FeatureSet(splits, features.class_names, features.backbone, features.source,
                      {**features.provenance, "row_order": {"shuffled_with_seed": seed}})


def write_features(features: FeatureSet, path: str | os.PathLike, seed: int) -> None:
    """Validate, shuffle every split with `seed`, then write atomically (temporary file, then rename)."""
    path = Path(path)
    validate(features, str(path))
    features = shuffled(features, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        for name, split in features.splits.items():
            f.create_dataset(f"audio_{name}", data=split.audio.astype(np.float32))
            f.create_dataset(f"visual_{name}", data=split.visual.astype(np.float32))
            f.create_dataset(f"lab_{name}", data=split.labels.astype(np.int64))
            f.create_dataset(f"ids_{name}", data=np.asarray(split.ids, dtype=object), dtype=h5py.string_dtype())
        f.attrs["class_names"] = json.dumps(features.class_names)
        f.attrs["backbone"] = features.backbone
        f.attrs["source"] = features.source
        f.attrs["provenance"] = json.dumps(features.provenance, sort_keys=True)
    os.replace(tmp, path)


def read_features(path: str | os.PathLike, audio_dim: int | None = None, visual_dim: int | None = None,
                  splits=SPLITS) -> FeatureSet:
    """Read a file in our layout and validate it; only the datasets of `splits` are opened
    (tuning and training read train and val, never test)."""
    features = read_raw(Path(path), splits)
    if "val" in splits and "val" not in features.splits:
        raise FeatureFileError(f"{path}: no validation split; import it with data.source: community to carve one")
    validate(features, str(path), audio_dim, visual_dim, required=splits)
    return features


def read_raw(path: Path, wanted=SPLITS) -> FeatureSet:
    if path.is_dir():
        raise FeatureFileError(f"{path} is a folder; set data.community_file to the feature file")
    if not path.is_file():
        raise FeatureFileError(f"{path}: feature file not found")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise FeatureFileError(f"{path}: not a readable HDF5 file ({err})") from None
    with f:
        splits = {}
        for name in wanted:
            name_in_file = next((alias for alias in SPLIT_ALIASES[name] if f"audio_{alias}" in f), name)
            keys = [f"audio_{name_in_file}", f"visual_{name_in_file}", f"lab_{name_in_file}"]
            present = [k for k in keys if k in f]
            if not present:
                continue
            if len(present) < 3:
                missing = sorted(set(keys) - set(present))
                raise FeatureFileError(f"{path}: split {name} lacks dataset(s) {', '.join(missing)}")
            labels = _labels(np.asarray(f[f"lab_{name_in_file}"]), f"{path}: lab_{name_in_file}")
            ids = (
                np.array(
                    [i.decode() if isinstance(i, bytes) else str(i) for i in f[f"ids_{name_in_file}"][()]], dtype=object
                )
                if f"ids_{name_in_file}" in f
                else np.array([f"{name}_{i:06d}" for i in range(len(labels))], dtype=object)
            )
            splits[name] = Split(
                np.asarray(f[f"audio_{name_in_file}"]), np.asarray(f[f"visual_{name_in_file}"]), labels, ids
            )
        needed = [s for s in ("train", "test") if s in wanted]
        if any(s not in splits for s in needed):
            raise FeatureFileError(f"{path}: needs at least audio/visual/lab datasets for {' and '.join(needed)}")
        n_classes = 1 + max(int(s.labels.max()) for s in splits.values() if len(s))
        class_names = (_class_names(f.attrs["class_names"], path) if "class_names" in f.attrs
                       else [f"class_{i}" for i in range(n_classes)])
        return FeatureSet(
            splits=splits,
            class_names=class_names,
            backbone=str(f.attrs.get("backbone", UNRECORDED_BACKBONE)),
            source=str(f.attrs.get("source", "community")),
            provenance=json.loads(f.attrs["provenance"]) if "provenance" in f.attrs else {},
        )


def _class_names(raw, path: Path) -> list[str]:
    """A JSON list (str or bytes), or an HDF5 array of str/bytes, as h5py stores a Python list."""
    def text(x):
        return x.decode() if isinstance(x, bytes) else str(x)

    if isinstance(raw, (str, bytes)):
        try:
            names = json.loads(text(raw))
        except json.JSONDecodeError:
            raise FeatureFileError(f"{path}: attribute class_names is a string but not a JSON list") from None
    else:
        names = np.asarray(raw).ravel().tolist()
    if not isinstance(names, list) or not names:
        raise FeatureFileError(f"{path}: attribute class_names must be a non-empty list of names")
    return [text(n) for n in names]


def _labels(raw: np.ndarray, where: str) -> np.ndarray:
    """Integer labels from an index vector or from one-hot rows."""
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim == 2:
        if not (np.isin(raw, (0, 1)).all() and (raw.sum(axis=1) == 1).all()):
            raise FeatureFileError(f"{where}: 2-D labels must be one-hot rows")
        return raw.argmax(axis=1).astype(np.int64)
    if raw.ndim != 1:
        raise FeatureFileError(f"{where}: labels must be a vector or one-hot rows, got shape {raw.shape}")
    if np.issubdtype(raw.dtype, np.floating):
        if not np.isfinite(raw).all() or (raw != np.round(raw)).any():
            raise FeatureFileError(f"{where}: labels must be whole numbers")
        raw = raw.astype(np.int64)
    if not np.issubdtype(raw.dtype, np.integer):
        raise FeatureFileError(f"{where}: labels must be integers, got {raw.dtype}")
    if len(raw) and raw.min() < 0:
        raise FeatureFileError(f"{where}: negative label {raw.min()}")
    return raw.astype(np.int64)
