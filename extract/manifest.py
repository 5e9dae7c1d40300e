"""The clip manifest: which files, which labels, which split, with stable clip ids.

Input is a folder `<root>/<class>/<clip>.<ext>` or a CSV with columns `path,label[,split]`
(paths relative to the CSV). A clip id is the path relative to the root without its
extension, with '/' kept, so ids do not change when other clips are added.

Without a split column, a clip's split is decided by its own id alone: a seeded SHA-256 of
the id gives a number u in [0, 1), and the fractions cut [0, 1) into train, val and test.
Adding, removing or skipping any clip therefore never moves another. Per class the shares
follow the fractions up to sampling noise: a class of n clips has Binomial(n, f) clips in a
split of fraction f (mean n·f, standard deviation sqrt(n·f·(1 - f))); `check_split_counts`
stops when a class has no usable clip in some split.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from extract.atomic_files import file_digest, write_csv

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
    digest: str = ""  # of the file's bytes: a clip replaced in place re-runs its shard (extract/shards.py)


def content_digest(path: str | Path) -> str:
    return file_digest(path, "sha1")[:16]


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


def hashed_split(clip_id: str, fractions, seed: int) -> str:
    """train / val / test from the clip's id and the seed alone."""
    digest = hashlib.sha256(f"{seed}\0{clip_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    return "train" if u < fractions[0] else "val" if u < fractions[0] + fractions[1] else "test"


def check_split_counts(clips: list[Clip]) -> dict[str, dict[str, int]]:
    """{class: {split: usable clips}}; a class without a usable clip in some split stops the manifest."""
    counts = {}
    for clip in clips:
        if not clip.skip_reason:
            per_class = counts.setdefault(clip.label, dict.fromkeys(SPLITS, 0))
            per_class[clip.split] += 1
    for label, per_split in sorted(counts.items()):
        empty = [s for s in SPLITS if not per_split[s]]
        if empty:
            raise ManifestError(
                f"class {label!r} has no usable clip in the {' and '.join(empty)} split ({sum(per_split.values())} "
                "usable clips, split by a hash of each id); add clips, give the CSV a split column, "
                "or change data.split_seed"
            )
    return counts


def build_manifest(source, fractions, seed: int) -> list[Clip]:
    """Clips with splits; a repeated clip id keeps its first row, later rows are marked skipped.
    A clip without a split from the CSV gets `hashed_split` of its id."""
    seen, rows, duplicates = set(), [], []
    for row in scan(source):
        (duplicates if row[0] in seen else rows).append(row)
        seen.add(row[0])
    clips = [Clip(r[0], r[1], r[2], r[3] or hashed_split(r[0], fractions, seed)) for r in rows]
    return clips + [Clip(r[0], r[1], r[2], "", f"duplicate clip id {r[0]}") for r in duplicates]


def write_manifest(clips: list[Clip], path: str | Path) -> None:
    write_csv(path, ["clip_id", "path", "label", "split", "skip_reason", "digest"],
              [[c.clip_id, c.path, c.label, c.split, c.skip_reason, c.digest] for c in clips])


def read_manifest(path: str | Path) -> list[Clip]:
    with open(path, newline="") as f:
        return [Clip(r["clip_id"], r["path"], r["label"], r["split"], r["skip_reason"], r.get("digest", ""))
                for r in csv.DictReader(f)]
