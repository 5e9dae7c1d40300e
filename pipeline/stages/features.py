"""Stage `features`: write data/features.h5 (synthetic data, or an imported community file)."""
from __future__ import annotations

from extract.community import import_community_file
from extract.constants import FRAMES_PER_SECOND, SAMPLE_RATE
from extract.feature_store import validate, write_features
from extract.synthetic import make_synthetic_features
from pipeline.settings import paths
from pipeline.settings.params import feature_dims, load_params
from pipeline.stage import StageError, run


def video_features(params: dict):
    """Clip-level features from the extract stages' shards, and the skipped (path, reason) list."""
    import librosa
    import numpy as np
    import tensorflow as tf

    from extract.manifest import read_manifest
    from extract.shards import read_shards
    from extract.video_features import assemble

    listed = read_manifest(paths.MANIFEST)
    clips = [c for c in listed if not c.skip_reason]
    audio, audio_skips, audio_backbone = read_shards(paths.EXTRACT / "audio")
    visual, visual_skips, visual_backbone = read_shards(paths.EXTRACT / "visual")
    with np.load(paths.PCA) as f:
        pca = {k: f[k] for k in f.files}
    x = params["extract"]
    fitted_dim = int(pca["components"].shape[0]) if "components" in pca else x["pca_dim"]  # `auto` resolved
    provenance = {
        "videos": params["data"]["videos"], "audio_frontend": x["audio_frontend"], "pca_dim": fitted_dim,
        "pca_whiten": x["pca_whiten"], "frames_per_second": FRAMES_PER_SECOND, "audio_sample_rate": SAMPLE_RATE,
        "tools": {"librosa": librosa.__version__, "pyav": __import__("av").__version__,
                  "opencv": __import__("cv2").__version__, "tensorflow": tf.__version__},
        "note": "Keras InceptionV3 with our own PCA: not YouTube-8M-compatible",
    }
    backbone = f"audio: {audio_backbone}; visual: {visual_backbone}"
    try:
        features, missing = assemble(clips, audio, visual, pca, provenance, backbone)
    except ValueError as err:
        raise StageError(str(err)) from None
    reasons = {**visual_skips, **audio_skips}
    skipped = [(c.path, c.skip_reason) for c in listed if c.skip_reason]
    return features, skipped + [(c.path, reasons.get(c.clip_id, "no features")) for c in missing]


READS = (
    "data",
    "synthetic",
    "extract.skips",
    "extract.audio_frontend",
    "extract.pca_dim",
    "extract.pca_whiten",
)


def main() -> None:
    from extract.shards import write_skip_list

    params = load_params(reads=READS)
    data = params["data"]
    skipped = []
    if data["source"] == "synthetic":
        syn = params["synthetic"]
        features = make_synthetic_features(
            sizes={"train": syn["n_train"], "val": syn["n_val"], "test": syn["n_test"]},
            n_classes=syn["n_classes"],
            audio_dim=syn["audio_dim"],
            visual_dim=syn["visual_dim"],
            latent_dim=syn["latent_dim"],
            class_separation=syn["class_separation"],
            clip_spread=syn["clip_spread"],
            nuisance=syn["nuisance"],
            noise=syn["noise"],
            seed=data["seed"],
        )
    elif data["source"] == "videos":
        features, skipped = video_features(params)
    else:
        features = import_community_file(
            data["community_file"], data["val_fraction"], data["seed"], *feature_dims(params)
        )
    validate(features, data["source"], *feature_dims(params))
    write_features(features, paths.FEATURES, data["seed"])
    write_skip_list(params["extract"]["skips"], skipped)
    if skipped:
        print(f"features: {len(skipped)} clip(s) skipped, see {params['extract']['skips']}")
    sizes = ", ".join(f"{name} {len(split)}" for name, split in features.splits.items())
    print(f"features: {paths.FEATURES} ({features.source}; {features.n_classes} classes; {sizes})")
    from extract.duplicates import duplicate_rows, summary_line

    print(f"features: {summary_line(duplicate_rows(features.splits))}")


if __name__ == "__main__":
    run(main, reads=READS)
