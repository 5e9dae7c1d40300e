"""Stages `extract@audio` and `extract@visual`: per-shard backbone features of every clip in the
manifest (`python -m pipeline.stages.extract audio|visual`). Resumes from finished shards."""
from __future__ import annotations

import sys

from pipeline.settings import paths
from pipeline.settings.backbones import BACKBONE_READS
from pipeline.settings.params import load_params
from pipeline.stage import StageError, run


def progress_printer():
    """On a terminal, one line rewritten in place (a live progress bar); in a log, one line per shard."""
    if not sys.stdout.isatty():
        return lambda message: print(message, flush=True)

    def show(message):
        sys.stdout.write("\r\033[K" + message)  # back to the line start, clear it, rewrite
        sys.stdout.flush()

    return show


READS = BACKBONE_READS + (
    "extract.audio_frontend",
    "extract.shard_size",
    "extract.batch_size",
    "extract.engine",
    "extract.ray",
)


def main(args) -> None:
    from extract.manifest import read_manifest
    from extract.shards import extract
    from pipeline.settings.backbones import modality

    name = args.modality
    params = load_params(reads=READS)
    out_dir = paths.EXTRACT / name
    clips = (
        [c for c in read_manifest(paths.MANIFEST) if not c.skip_reason] if params["data"]["source"] == "videos" else []
    )
    if not clips:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("shard_*.h5"):
            old.unlink()
        print(f"{name}: nothing to extract (data.source: {params['data']['source']})")
        return
    x = params["extract"]
    if x["engine"] == "ray":
        from functools import partial

        from extract.ray_engine import RayCapacityError, RaySettings, extract_with_ray
        from pipeline.settings.backbones import require_weights

        require_weights(name, params)
        r = x["ray"]
        settings = RaySettings(
            r["address"], r["workers"], r["gpus_per_worker"], r["cpus_per_decoder"], r["cpus_per_worker"]
        )
        try:
            # the driver needs only the backbone's name; each actor loads the weights
            extract_with_ray(clips, modality(name, params, load_backbone=False), partial(modality, name, params),
                             partial(modality, name, params, load_backbone=False), out_dir, x["shard_size"], settings,
                             log=progress_printer())
        except RayCapacityError as err:
            raise StageError(str(err)) from None
    else:
        extract(clips, modality(name, params), out_dir, x["shard_size"], log=progress_printer())
    if sys.stdout.isatty():
        print()


if __name__ == "__main__":
    run(
        main,
        reads=READS,
        arguments=[("modality", {"choices": ("audio", "visual"), "help": "which backbone's features to extract"})],
    )
