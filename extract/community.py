"""Importing a community feature file (VEGAS/AVE features as passed around): labels that
start at 1 are shifted to 0, the test split must share no clip with train, and a missing
validation split is carved out of train (stratified, seeded). The result is written in the
project's layout by the `features` stage (`extract.feature_store`)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from extract.feature_store import FeatureFileError, FeatureSet, Split, read_raw, validate


def import_community_file(
    path: str | os.PathLike,
    val_fraction: float,
    seed: int,
    audio_dim: int | None = None,
    visual_dim: int | None = None,
) -> FeatureSet:
    """Read a community file; when it has no val split, carve a stratified, seeded one out of train."""
    path = Path(path)
    features = read_raw(path)
    _shift_one_based_labels(features, path)
    validate(features, str(path), audio_dim, visual_dim, required=("train", "test"))
    shared = set(features.splits["train"].ids) & set(features.splits["test"].ids)
    if shared:
        raise FeatureFileError(
            f"{path}: {len(shared)} clip id(s) are in both train and test (e.g. {sorted(shared)[0]!r}); "
            "the test split must be disjoint from training"
        )
    if "val" not in features.splits:
        features.splits["val"], features.splits["train"] = _carve(features.splits["train"], val_fraction, seed, path)
        features.provenance["val_carved_from_train"] = {"fraction": val_fraction, "seed": seed}
    features.provenance["imported_from"] = path.name
    validate(features, str(path), audio_dim, visual_dim)
    return features


def _shift_one_based_labels(features: FeatureSet, path: Path) -> None:
    """Labels 1..c with no 0 anywhere are 1-based (as MATLAB-made files often are): shift them to 0..c-1."""
    lowest = min(int(s.labels.min()) for s in features.splits.values() if len(s))
    if lowest == 1:
        for split in features.splits.values():
            split.labels = split.labels - 1
        if len(features.class_names) == 1 + max(int(s.labels.max()) for s in features.splits.values()) + 1:
            features.class_names = features.class_names[1:]  # generated names counted the unused 0
        features.provenance["labels_shifted_from_one_based"] = True
        print(f"note: {path.name}: labels start at 1 with no 0; read as 1-based and shifted to start at 0")


def _carve(train: Split, fraction: float, seed: int, path: Path) -> tuple[Split, Split]:
    counts = np.bincount(train.labels)
    present = counts[counts > 0]
    if present.min() < 2:
        rare = int(np.flatnonzero(counts == present.min())[0])
        raise FeatureFileError(
            f"{path}: class {rare} has {present.min()} training clip(s); need 2 to carve a validation split"
        )
    index = np.arange(len(train))
    from sklearn.model_selection import (
        train_test_split,  # imported here: sklearn costs seconds, most stages never carve
    )

    try:
        rest, val = train_test_split(index, test_size=fraction, random_state=seed, stratify=train.labels)
    except ValueError as err:
        raise FeatureFileError(f"{path}: cannot carve a validation split of {fraction}: {err}") from None
    take = lambda idx: Split(train.audio[idx], train.visual[idx], train.labels[idx], train.ids[idx])  # noqa: E731
    return take(np.sort(val)), take(np.sort(rest))
