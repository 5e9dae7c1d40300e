"""Per-shard extraction: clips in manifest order are cut into shards of `shard_size`;
each shard becomes one HDF5 file of per-clip rows, written atomically, so an interrupted
run resumes at the first missing shard and the result equals an uninterrupted run.

Decoding and input preparation run in a background thread one shard ahead of the
backbone; inputs of all clips in a shard are concatenated and inferred in batches, except
for per-clip backbones (VGGish takes one clip's waveform per call), which see each clip on
its own. Either way a clip's rows never depend on the other clips of its batch or shard,
and every clip must get exactly one row per start, or the stage stops with a clear error.
Clips that fail to decode are recorded (clip id, path, reason) and get no rows.

Shard file layout: `rows` (sum T x D float32), `offsets` (n + 1 int64), `starts`
(sum T float64, each row's start time in seconds), `ids` (n str), attribute `backbone`.
"""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py
import numpy as np

from extract.atomic_files import write_csv
from extract.decode import DecodeError
from extract.rows import checked_rows


@dataclass
class Modality:
    name: str
    backbone: str
    prepare: Callable[[str], tuple[np.ndarray, np.ndarray]]  # path -> (starts, inputs); may raise DecodeError
    infer: Callable[[np.ndarray], np.ndarray]                # inputs (N, ...) -> rows (N, D)
    batch_size: int = 64
    settings: str = ""  # everything besides the clips that changes the rows (front end, the code that makes rows...)
    per_clip: bool = False  # infer each clip's inputs on their own (no batching across clips)


def shard_path(out_dir: Path, index: int) -> Path:
    return out_dir / f"shard_{index:05d}.h5"


def fingerprint(modality: Modality, clips) -> str:
    """What a finished shard must have been made from to be reused on resume."""
    text = "\n".join([modality.backbone, modality.settings] +
                     [f"{c.clip_id}\t{c.path}\t{getattr(c, 'digest', '')}" for c in clips])
    return hashlib.sha1(text.encode()).hexdigest()


def _is_done(path: Path, expected: str) -> bool:
    if not path.exists():
        return False
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("fingerprint") == expected
    except OSError:
        return False


def prepare_shard(modality: Modality, clips):
    """(prepared, skipped): decoded inputs per usable clip, (clip, reason) per clip that fails to decode."""
    prepared, skipped = [], []
    for clip in clips:
        try:
            starts, inputs = modality.prepare(clip.path)
            if len(starts) == 0:
                raise DecodeError("no complete example")
            prepared.append((clip, starts, inputs))
        except DecodeError as err:
            skipped.append((clip, str(err)))
    return prepared, skipped


def _infer_all(modality, prepared):
    if modality.per_clip:
        out = np.concatenate([checked_rows(modality.infer(inputs), len(starts), f"{modality.backbone} on {clip.path}")
                              for clip, starts, inputs in prepared])
    else:
        inputs = np.concatenate([p[2] for p in prepared])
        out = np.concatenate(
            [modality.infer(inputs[i : i + modality.batch_size]) for i in range(0, len(inputs), modality.batch_size)]
        )
        out = checked_rows(out, sum(len(p[1]) for p in prepared), modality.backbone)
    if not np.isfinite(out).all():
        raise FloatingPointError(f"{modality.name} backbone produced non-finite values")
    return out.astype(np.float32)


def clip_rows(modality: Modality, path) -> np.ndarray:
    """One clip's rows computed exactly as the extract stages compute them (same prepare, same
    inference and checks); raises DecodeError for a clip the stages would skip."""
    starts, inputs = modality.prepare(path)
    if len(starts) == 0:
        raise DecodeError("no complete example")
    return _infer_all(modality, [(_Named(str(path)), starts, inputs)])


@dataclass
class _Named:
    path: str


def _write_shard(path: Path, modality, prepared, rows, skipped, stamp):
    counts = [len(p[1]) for p in prepared]  # one row per start
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        f["rows"] = rows if prepared else np.zeros((0, 0), np.float32)
        f["offsets"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        f["starts"] = np.concatenate([p[1] for p in prepared]) if prepared else np.zeros(0)
        f.create_dataset(
            "ids", data=np.array([p[0].clip_id for p in prepared], dtype=object), dtype=h5py.string_dtype()
        )
        f.create_dataset(
            "skipped_ids", data=np.array([s[0].clip_id for s in skipped], dtype=object), dtype=h5py.string_dtype()
        )
        f.create_dataset(
            "skipped_reasons", data=np.array([s[1] for s in skipped], dtype=object), dtype=h5py.string_dtype()
        )
        f.attrs["backbone"] = modality.backbone
        f.attrs["fingerprint"] = stamp
    os.replace(tmp, path)


@dataclass
class ShardPlan:
    """Which shards of a clip list exist, what each must be made from, and which are still to do."""
    out_dir: Path
    shards: list  # lists of clips, in manifest order
    stamps: list  # fingerprint per shard
    todo: list    # shard numbers still to write

    def remaining_clips(self, after: int) -> int:
        return sum(len(self.shards[k]) for k in self.todo[after:])


def plan_shards(clips, modality: Modality, out_dir: str | Path, shard_size: int) -> ShardPlan:
    """Cut `clips` into shards; finished shards made from the same clips, backbone and settings (which
    include the row-making code's digest) are kept (resume), shards beyond the clip list are removed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = [clips[i:i + shard_size] for i in range(0, len(clips), shard_size)]
    stamps = [fingerprint(modality, s) for s in shards]
    for stale in sorted(out_dir.glob("shard_*.h5"))[len(shards):]:
        stale.unlink()
    todo = [k for k in range(len(shards)) if not _is_done(shard_path(out_dir, k), stamps[k])]
    return ShardPlan(out_dir, shards, stamps, todo)


class Progress:
    """One log line per finished shard: clips done, rate and ETA."""

    def __init__(self, plan: ShardPlan, name: str, log):
        self.plan, self.name, self.log = plan, name, log
        self.started, self.done, self.finished = time.perf_counter(), 0, 0
        if len(plan.todo) < len(plan.shards):
            log(f"{name}: {len(plan.shards) - len(plan.todo)} of {len(plan.shards)} shard(s) already done, resuming")

    def shard_written(self, k: int, skipped: int) -> None:
        self.done += len(self.plan.shards[k])
        self.finished += 1
        rate = self.done / (time.perf_counter() - self.started)
        remaining = self.plan.remaining_clips(self.finished)
        self.log(f"{self.name}: shard {k + 1}/{len(self.plan.shards)}, {self.done}/{self.done + remaining} clips, "
                 f"{rate:.1f} clips/s, ETA {_duration(remaining / rate)}, {skipped} skipped")


def write_shard(plan: ShardPlan, k: int, modality: Modality, prepared, rows, skipped) -> None:
    _write_shard(shard_path(plan.out_dir, k), modality, prepared, rows, skipped, plan.stamps[k])


def infer_shard(modality: Modality, prepared):
    """The rows of every prepared clip of one shard (None when none is usable)."""
    return _infer_all(modality, prepared) if prepared else None


def extract(clips, modality: Modality, out_dir: str | Path, shard_size: int, log=print) -> None:
    """The local engine: write every missing or outdated shard of `clips` under out_dir,
    decoding the next shard in a background thread while the backbone works on this one."""
    plan = plan_shards(clips, modality, out_dir, shard_size)
    progress = Progress(plan, modality.name, log)
    todo = plan.todo
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(prepare_shard, modality, plan.shards[todo[0]]) if todo else None
        for n, k in enumerate(todo):
            prepared, skipped = pending.result()
            if n + 1 < len(todo):  # decode the next shard while the backbone works on this one
                pending = pool.submit(prepare_shard, modality, plan.shards[todo[n + 1]])
            write_shard(plan, k, modality, prepared, infer_shard(modality, prepared), skipped)
            progress.shard_written(k, len(skipped))


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
    )


def read_shards(out_dir: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str], str]:
    """({clip_id: T x D rows}, {clip_id: skip reason}, backbone) over all shards of a directory."""
    rows, skips, backbones = {}, {}, set()
    for path in sorted(Path(out_dir).glob("shard_*.h5")):
        with h5py.File(path, "r") as f:
            offsets, data = f["offsets"][()], f["rows"][()]
            for i, clip_id in enumerate(f["ids"].asstr()[()]):
                rows[clip_id] = data[offsets[i]:offsets[i + 1]]
            for clip_id, reason in zip(f["skipped_ids"].asstr()[()], f["skipped_reasons"].asstr()[()]):
                skips[clip_id] = reason
            backbones.add(f.attrs["backbone"])
    return rows, skips, " + ".join(sorted(backbones))


def write_skip_list(path: str | Path, entries: list[tuple[str, str]]) -> None:
    """CSV `path,reason`, written atomically."""
    write_csv(path, ["path", "reason"], sorted(entries))
