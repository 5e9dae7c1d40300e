"""Is one method's MAP really higher than another's on the same test queries?

Both methods rank the same test clips in both directions. Per clip, take its AP as an audio
query and as a visual query, each averaged over the seeds, and average the two: the
average MAP of a method is the mean of these per-clip values (every clip is a query in both
directions). The paired difference per clip, d_i = x_i - y_i, is tested with a sign-flip
permutation test (under "no difference" the sign of every d_i is exchangeable): the
two-sided p-value is the share of random sign assignments whose |mean| reaches the observed
|mean| (with the observed assignment counted, so p >= 1/(n_permutations + 1)). The 95 %
interval of the mean difference is the paired bootstrap percentile interval (clips drawn
with replacement). Seeded, so a report is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_RESAMPLES = 10_000
SEED = 0
_CHUNK = 1_000


@dataclass(frozen=True)
class PairedComparison:
    difference: float  # mean of x - y (per-clip average AP)
    p_value: float  # two-sided, sign-flip permutation test
    low: float  # 95 % bootstrap interval of the difference
    high: float


def per_clip_ap(a2v_ap, v2a_ap) -> np.ndarray:
    """Per test clip: mean of its AP as an audio query and as a visual query (arrays over seeds x clips or clips)."""
    a2v, v2a = np.atleast_2d(np.asarray(a2v_ap, float)), np.atleast_2d(np.asarray(v2a_ap, float))
    return (a2v.mean(axis=0) + v2a.mean(axis=0)) / 2


def paired_test(x, y, resamples: int = N_RESAMPLES, seed: int = SEED) -> PairedComparison:
    """Compare per-clip scores x and y of the same clips (NaN where a clip scored nothing are dropped)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape:
        raise ValueError(f"paired scores need the same clips, got {x.shape} and {y.shape}")
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    observed = float(d.mean())
    rng = np.random.default_rng(seed)
    extreme, boot = 0, []
    for start in range(0, resamples, _CHUNK):  # bounded memory at VEGAS size (5,621 clips)
        n = min(_CHUNK, resamples - start)
        signs = rng.choice((-1.0, 1.0), size=(n, d.size))
        extreme += int(np.sum(np.abs(signs @ d) / d.size >= abs(observed) - 1e-15))
        boot.append(d[rng.integers(0, d.size, size=(n, d.size))].mean(axis=1))
    p = (1 + extreme) / (resamples + 1)
    boot = np.concatenate(boot)
    low, high = np.percentile(boot, [2.5, 97.5])
    return PairedComparison(observed, min(p, 1.0), float(low), float(high))
