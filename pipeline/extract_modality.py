"""Stages `audio` and `visual`: per-shard backbone features of every clip in the manifest
(`python -m pipeline.extract_modality audio|visual`). Resumes from finished shards."""
from __future__ import annotations

import sys

import numpy as np

from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import StageError, run


def modality(name: str, params: dict, require_both: bool = True):
    """The Modality to extract: decoding in the prepare step (background thread), backbone in infer.
    With `require_both` (the extract stages) a clip must decode in both modalities; a search
    query needs only its own."""
    from extract.backbones import IMAGE_SIZE
    from extract.decode import decode_audio, decode_frames_1fps
    from extract.shards import Modality
    from pipeline.backbone import audio_backbone, visual_backbone

    x = params["extract"]
    # A clip is kept only when both of its modalities decode, so both stages check both.
    if name == "audio":
        backbone = audio_backbone(params)

        def prepare(path):
            if require_both:
                decode_frames_1fps(path)
            return backbone.prepare(decode_audio(path))

        return Modality("audio", backbone.name, prepare, backbone.infer, x["batch_size"], f"frontend={x['audio_frontend']}",
                        per_clip=backbone.per_clip)
    backbone = visual_backbone(params)

    def prepare_visual(path):
        if require_both:
            decode_audio(path)
        return decode_frames_1fps(path, size=IMAGE_SIZE)  # every clip's frames at the backbone's input size

    return Modality("visual", backbone.name, prepare_visual, backbone.embed, x["batch_size"])


def progress_printer():
    """On a terminal, one line rewritten in place (a live progress bar); in a log, one line per shard."""
    if not sys.stdout.isatty():
        return lambda message: print(message, flush=True)

    def show(message):
        sys.stdout.write("\r\033[K" + message)  # back to the line start, clear it, rewrite
        sys.stdout.flush()

    return show


def main() -> None:
    from extract.manifest import read_manifest
    from extract.shards import extract

    if len(sys.argv) != 2 or sys.argv[1] not in ("audio", "visual"):
        raise StageError("usage: python -m pipeline.extract_modality audio|visual")
    name = sys.argv[1]
    params = load_params()
    out_dir = paths.EXTRACT / name
    clips = [c for c in read_manifest(paths.MANIFEST) if not c.skip_reason] if params["data"]["source"] == "videos" else []
    if not clips:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("shard_*.h5"):
            old.unlink()
        print(f"{name}: nothing to extract (data.source: {params['data']['source']})")
        return
    extract(clips, modality(name, params), out_dir, params["extract"]["shard_size"], log=progress_printer())
    if sys.stdout.isatty():
        print()


if __name__ == "__main__":
    run(main)
