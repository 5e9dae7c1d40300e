"""Stage `features`: write data/features.h5 (synthetic data, or an imported community file)."""
from __future__ import annotations

from extract.feature_store import import_community_file, validate, write_features
from extract.synthetic import make_synthetic_features
from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import run


def main() -> None:
    params = load_params()
    data = params["data"]
    if data["source"] == "synthetic":
        syn = params["synthetic"]
        features = make_synthetic_features(
            sizes={"train": syn["n_train"], "val": syn["n_val"], "test": syn["n_test"]},
            n_classes=syn["n_classes"],
            audio_dim=data["audio_dim"],
            visual_dim=data["visual_dim"],
            latent_dim=syn["latent_dim"],
            class_separation=syn["class_separation"],
            clip_spread=syn["clip_spread"],
            nuisance=syn["nuisance"],
            noise=syn["noise"],
            seed=data["seed"],
        )
    else:
        features = import_community_file(
            data["community_file"], data["val_fraction"], data["seed"], data["audio_dim"], data["visual_dim"]
        )
    validate(features, data["source"], data["audio_dim"], data["visual_dim"])
    write_features(features, paths.FEATURES)
    sizes = ", ".join(f"{name} {len(split)}" for name, split in features.splits.items())
    print(f"features: {paths.FEATURES} ({features.source}; {features.n_classes} classes; {sizes})")


if __name__ == "__main__":
    run(main)
