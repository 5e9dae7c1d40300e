"""VEGAS-shaped synthetic features with a known audio-visual structure.

Every clip has a latent vector z shared by its two modalities: its class centre plus a
clip-specific offset (so pairs carry more than the label). Each modality sees z through
its own random non-linear map, adds a modality-specific nuisance (a low-rank signal that
is unrelated to the class, the "background") and isotropic noise:

    z      = centre[y] + spread * e,                        e ~ N(0, I)
    audio  = tanh(z P_a) Q_a + nuisance * (u_a R_a) + noise * n_a
    visual = tanh(z P_v) Q_v + nuisance * (u_v R_v) + noise * n_v

Retrieval on these features is well above chance but far from perfect, and a non-linear
model has something to gain over a linear one. Used as the default data source and by
the tests and benchmarks.
"""
from __future__ import annotations

import numpy as np

from extract.feature_store import FeatureSet, Split

HIDDEN_DIM = 64  # width of each modality's random non-linear map
NUISANCE_RANK = 8  # rank of each modality's background signal


def make_synthetic_features(
    sizes: dict[str, int],
    *,
    n_classes: int,
    audio_dim: int,
    visual_dim: int,
    latent_dim: int,
    class_separation: float,
    clip_spread: float,
    nuisance: float,
    noise: float,
    seed: int,
) -> FeatureSet:
    """Build train/val/test splits of the given sizes (balanced classes, shuffled); the knobs are
    params.yaml's `synthetic` section (the `features` stage passes them, data.seed as seed)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, latent_dim)) * class_separation
    maps = {
        modality: (
            rng.standard_normal((latent_dim, HIDDEN_DIM)) / np.sqrt(latent_dim),
            rng.standard_normal((HIDDEN_DIM, dim)) / np.sqrt(HIDDEN_DIM),
            rng.standard_normal((NUISANCE_RANK, dim)) / np.sqrt(NUISANCE_RANK),
        )
        for modality, dim in (("audio", audio_dim), ("visual", visual_dim))
    }

    def observe(z, modality):
        p, q, r = maps[modality]
        n, dim = len(z), q.shape[1]
        background = rng.standard_normal((n, r.shape[0])) @ r
        return (np.tanh(z @ p) @ q + nuisance * background + noise * rng.standard_normal((n, dim))).astype(np.float32)

    splits = {}
    for name, n in sizes.items():
        labels = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
        z = centres[labels] + clip_spread * rng.standard_normal((n, latent_dim))
        ids = np.array([f"synthetic_{name}_{i:06d}" for i in range(n)], dtype=object)
        splits[name] = Split(observe(z, "audio"), observe(z, "visual"), labels, ids)
    return FeatureSet(
        splits=splits,
        class_names=[f"class_{i}" for i in range(n_classes)],
        backbone="none (synthetic features)",
        source="synthetic",
        provenance={
            "generator": "extract.synthetic.make_synthetic_features",
            "seed": seed,
            "latent_dim": latent_dim,
            "class_separation": class_separation,
            "clip_spread": clip_spread,
            "nuisance": nuisance,
            "noise": noise,
        },
    )
