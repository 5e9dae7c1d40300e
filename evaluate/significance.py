"""Is one method's MAP really different from a reference's, beyond the clips that happened to be
in the test split and the seeds that happened to be drawn?

Scores are per seed and per test clip: a clip's AP as an audio query and as a visual query,
averaged (every clip is a query in both directions). A method's average MAP is the mean over
its seeds and clips. The difference Δ = method minus reference is tested with a two-level
paired bootstrap: each resample draws the test clips with replacement (the same clips for
both methods: the comparison is paired by clip) and, independently for each method, its
seeds with replacement (seed 0 of one method has nothing to do with seed 0 of another).
The two-sided p-value is the share of resampled differences, centred on the observed one,
at least as far from it as the observed difference is from zero ((1 + count) / (1 + B)); the
95 % interval is the percentile interval of the resampled differences. So a difference that
one lucky seed makes is not called significant, nor one that a few clips make.

Monte-Carlo resolution: with B = 50,000 resamples the standard error of a p-value near 0.05
is sqrt(0.05 * 0.95 / B) = 0.00097. Over a table's comparisons with its reference, Holm's
step-down correction controls the family-wise error at 0.05 (`holm`); an adjusted p-value
within three Monte-Carlo standard errors of 0.05, or within 0.045-0.055 (the wider of the
two), is `borderline`, never a verdict.
Seeded, so a report is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_RESAMPLES = 50_000
ALPHA = 0.05
BAND = 0.005  # an adjusted p in ALPHA +- BAND (0.045-0.055) is borderline whatever its Monte-Carlo error
SEED = 0
_CHUNK = 2_000


@dataclass(frozen=True)
class PairedComparison:
    difference: float  # method minus reference: mean over seeds and clips
    p_value: float  # two-sided, two-level bootstrap over seeds and clips
    low: float  # 95 % bootstrap interval of the difference
    high: float
    resamples: int

    @property
    def standard_error(self) -> float:
        """Monte-Carlo standard error of the p-value."""
        return float(np.sqrt(max(self.p_value * (1 - self.p_value), 1e-12) / self.resamples))


def per_clip_ap(a2v_ap, v2a_ap) -> np.ndarray:
    """Seeds x clips: per seed and test clip, the mean of its AP as an audio and as a visual query."""
    a2v, v2a = np.atleast_2d(np.asarray(a2v_ap, float)), np.atleast_2d(np.asarray(v2a_ap, float))
    return (a2v + v2a) / 2


def _clip_counts(rng, n: int, rows: int) -> np.ndarray:
    """rows x n: how often each clip is drawn when n clips are drawn with replacement."""
    drawn = rng.integers(0, n, size=(rows, n)) + np.arange(rows)[:, None] * n
    return np.bincount(drawn.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float64)


def seeds_and_clips_test(method, reference, resamples: int = N_RESAMPLES, seed: int = SEED) -> PairedComparison:
    """Compare seeds x clips scores of a method and of the reference on the same clips (columns);
    the two may have different seed counts. A clip that is NaN for either is left out."""
    m, r = np.atleast_2d(np.asarray(method, float)), np.atleast_2d(np.asarray(reference, float))
    if m.shape[1] != r.shape[1]:
        raise ValueError(f"paired scores need the same clips, got {m.shape[1]} and {r.shape[1]}")
    keep = ~(np.isnan(m).any(axis=0) | np.isnan(r).any(axis=0))
    m, r = m[:, keep], r[:, keep]
    n = m.shape[1]
    observed = float(m.mean() - r.mean())
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, resamples, _CHUNK):  # bounded memory at VEGAS size (5,621 clips)
        rows = min(_CHUNK, resamples - start)
        clips = _clip_counts(rng, n, rows) / n  # rows x n, each row sums to 1
        seeds_m = rng.multinomial(len(m), np.full(len(m), 1 / len(m)), size=rows) / len(m)  # rows x seeds
        seeds_r = rng.multinomial(len(r), np.full(len(r), 1 / len(r)), size=rows) / len(r)
        diffs.append(((clips @ m.T) * seeds_m).sum(axis=1) - ((clips @ r.T) * seeds_r).sum(axis=1))
    diffs = np.concatenate(diffs)
    extreme = int(np.sum(np.abs(diffs - observed) >= abs(observed) - 1e-15))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return PairedComparison(observed, min((1 + extreme) / (1 + resamples), 1.0), float(low), float(high), resamples)


@dataclass(frozen=True)
class Adjusted:
    """A comparison after Holm's correction over its table: the adjusted p-value, its Monte-Carlo
    standard error, and the reading."""

    test: PairedComparison
    p_holm: float
    standard_error: float
    borderline: bool

    @property
    def significant(self) -> bool:
        return not self.borderline and self.p_holm < ALPHA


def holm(tests: dict, alpha: float = ALPHA) -> dict:
    """{name: Adjusted}: Holm's step-down correction of the raw p-values of `tests` ({name:
    PairedComparison}). The k-th smallest p (k = 0, 1, ...) is held to alpha / (m - k), i.e. its
    adjusted value is max over j <= k of min(1, (m - j) p_j), compared with alpha. An adjusted
    value within max(3 standard errors, BAND) of alpha reads borderline."""
    order = sorted(tests, key=lambda name: tests[name].p_value)
    m, running, error, out = len(order), 0.0, 0.0, {}
    for k, name in enumerate(order):
        test = tests[name]
        scaled = min(1.0, (m - k) * test.p_value)
        if scaled >= running:
            running, error = scaled, (m - k) * test.standard_error
        out[name] = Adjusted(test, running, error, abs(running - alpha) <= max(3 * error, BAND))
    return out
