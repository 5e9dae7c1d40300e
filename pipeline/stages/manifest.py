"""Stage `manifest`: list the clips of data.videos with labels, splits and stable ids."""
from __future__ import annotations

from extract.manifest import ManifestError, build_manifest, write_manifest
from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import StageError, run


def main() -> None:
    params = load_params()
    data = params["data"]
    if data["source"] != "videos":
        write_manifest([], paths.MANIFEST)
        print(f"manifest: not used (data.source: {data['source']})")
        return
    try:
        clips = build_manifest(data["videos"], tuple(data["split_fractions"]), data["seed"])
    except ManifestError as err:
        raise StageError(str(err)) from None
    write_manifest(clips, paths.MANIFEST)
    counts = {s: sum(c.split == s for c in clips) for s in ("train", "val", "test")}
    print(f"manifest: {len(clips)} clips, {len({c.label for c in clips})} classes, {counts}")


if __name__ == "__main__":
    run(main, reads=("data.source", "data.videos", "data.split_fractions", "data.seed"))
