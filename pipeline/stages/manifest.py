"""Stage `manifest`: list the clips of data.videos with labels, splits and stable ids; probe
each file and mark the unusable ones skipped (one line each) before splits are counted."""
from __future__ import annotations

from pathlib import Path

from extract.manifest import Clip, ManifestError, build_manifest, check_split_counts, content_digest, write_manifest
from extract.probe import probe
from pipeline.settings import paths
from pipeline.settings.params import load_params
from pipeline.stage import StageError, run


def probed(clips: list[Clip]) -> list[Clip]:
    """The clips with each unusable file's reason as its skip_reason (one printed line per clip) and each
    usable one's content digest."""
    out = []
    for clip in clips:
        problem = None if clip.skip_reason else probe(clip.path)
        if problem is not None:
            print(f"manifest: skipping {clip.path}: {problem.reason}")
            clip = Clip(clip.clip_id, clip.path, clip.label, clip.split, str(problem))
        elif not clip.skip_reason:
            clip = Clip(clip.clip_id, clip.path, clip.label, clip.split, digest=content_digest(clip.path))
        out.append(clip)
    return out


def check_watched(clips: list[Clip], root: str) -> None:
    """Every usable clip lies inside data.clips_root, the folder DVC watches for replaced clips."""
    watched = Path(root).resolve()
    outside = [c.path for c in clips if not c.skip_reason and not Path(c.path).resolve().is_relative_to(watched)]
    if outside:
        raise StageError(f"data.clips_root: {outside[0]} ({len(outside)} clip(s)) lies outside {root}, so DVC would "
                         "not see it replaced; set data.clips_root to a folder holding every clip (data.videos "
                         "itself for a folder)")


READS = (
    "data.source",
    "data.videos",
    "data.clips_root",
    "data.split_fractions",
    "data.split_seed",
)


def main() -> None:
    params = load_params(reads=READS)
    data = params["data"]
    if data["source"] != "videos":
        write_manifest([], paths.MANIFEST)
        print(f"manifest: not used (data.source: {data['source']})")
        return
    try:
        clips = probed(build_manifest(data["videos"], tuple(data["split_fractions"]), data["split_seed"]))
        counts = check_split_counts(clips)
        check_watched(clips, data["clips_root"])
    except ManifestError as err:
        raise StageError(str(err)) from None
    write_manifest(clips, paths.MANIFEST)
    totals = {s: sum(c[s] for c in counts.values()) for s in ("train", "val", "test")}
    skipped = sum(bool(c.skip_reason) for c in clips)
    print(f"manifest: {len(clips) - skipped} usable clips, {len(counts)} classes, {totals}, {skipped} skipped")


if __name__ == "__main__":
    run(main, reads=READS)
