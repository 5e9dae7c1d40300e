"""The clip manifest: which files, which labels, which split, with stable clip ids.

Input is a folder `<root>/<class>/<clip>.<ext>` or a CSV with columns `path,label[,split]`
(paths relative to the CSV). Without a split column the split is stratified and seeded
(default 70/10/20). A clip id is the path relative to the root without its extension,
with '/' kept, so ids do not change when other clips are added.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VIDEO_EXTENSIONS = (".mp4", ".webm", ".mkv", ".avi", ".mov")
SPLITS = ("train", "val", "test")


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Clip:
    clip_id: str
    path: str
    label: str
    split: str
    skip_reason: str = ""  # non-empty: listed for the skip list, never extracted


def scan(source: str | Path) -> list[tuple[str, str, str, str | None]]:
    """(clip_id, path, label, split or None) from a folder or a CSV."""
    source = Path(source)
    if source.is_dir():
        rows = []
        for path in sorted(p for p in source.glob("*/*") if p.suffix.lower() in VIDEO_EXTENSIONS):
            rel = path.relative_to(source)
            rows.append((str(rel.with_suffix("")), str(path), rel.parts[0], None))
        if not rows:
            raise ManifestError(f"{source}: no videos found as <class>/<clip>{{{','.join(VIDEO_EXTENSIONS)}}}")
        return rows
    if source.is_file() and source.suffix.lower() == ".csv":
        with open(source, newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"path", "label"} <= set(reader.fieldnames):
                raise ManifestError(f"{source}: CSV needs columns path,label[,split]")
            rows = []
            for line, row in enumerate(reader, start=2):
                split = (row.get("split") or "").strip() or None
                if split is not None and split not in SPLITS:
                    raise ManifestError(f"{source}:{line}: split {split!r} is not one of {', '.join(SPLITS)}")
                path = Path(row["path"]) if Path(row["path"]).is_absolute() else source.parent / row["path"]
                rows.append((str(Path(row["path"]).with_suffix("")), str(path), row["label"].strip(), split))
        if not rows:
            raise ManifestError(f"{source}: the CSV lists no clips")
        return rows
    raise ManifestError(f"{source}: not a folder of class folders nor a .csv file")


def stratified_split(labels: list[str], fractions, seed: int) -> list[str]:
    """Per class: shuffle with the seed, then cut by the fractions (each class needs >= 3 clips)."""
    rng = np.random.default_rng(seed)
    out = [""] * len(labels)
    for label in sorted(set(labels)):
        members = [i for i, x in enumerate(labels) if x == label]
        if len(members) < 3:
            raise ManifestError(
                f"class {label!r} has {len(members)} clip(s); each class needs at least 3 for train/val/test"
            )
        members = [members[i] for i in rng.permutation(len(members))]
        n_val = max(1, round(fractions[1] * len(members)))
        n_test = max(1, round(fractions[2] * len(members)))
        for rank, i in enumerate(members):
            out[i] = "val" if rank < n_val else "test" if rank < n_val + n_test else "train"
    return out


def build_manifest(source, fractions, seed: int) -> list[Clip]:
    """Clips with splits; a repeated clip id keeps its first row, later rows are marked skipped."""
    seen, rows, duplicates = set(), [], []
    for row in scan(source):
        (duplicates if row[0] in seen else rows).append(row)
        seen.add(row[0])
    given = [r[3] for r in rows]
    if all(s is not None for s in given):
        splits = given
    else:
        splits = stratified_split([r[2] for r in rows], fractions, seed)
        splits = [g or s for g, s in zip(given, splits)]
    clips = [Clip(r[0], r[1], r[2], s) for r, s in zip(rows, splits)]
    return clips + [Clip(r[0], r[1], r[2], "", f"duplicate clip id {r[0]}") for r in duplicates]


def write_manifest(clips: list[Clip], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["clip_id", "path", "label", "split", "skip_reason"])
        writer.writerows([c.clip_id, c.path, c.label, c.split, c.skip_reason] for c in clips)
    tmp.replace(path)


def read_manifest(path: str | Path) -> list[Clip]:
    with open(path, newline="") as f:
        return [Clip(r["clip_id"], r["path"], r["label"], r["split"], r["skip_reason"]) for r in csv.DictReader(f)]
