"""Is one method's MAP really different from a reference's, beyond the clips that happened to be
in the test split and the seeds that happened to be drawn?

Scores are per seed and per test clip: a clip's AP as an audio query and as a visual query,
averaged. A method's average MAP is the mean over its seeds and clips, and Δ = method minus
reference. The test is a t-test on Δ whose standard error has both sources of randomness,
estimated from a two-way (seed x clip) analysis of variance, with Satterthwaite's degrees of
freedom (a mixed model with random seeds and random clips):

- paired seeds (seed i of both methods shares initialisation and batch order: EICS and its
  ablations): z = method - reference per seed and clip; Var(Δ) = σ²_seed/S + σ²_clip/C +
  σ²_residual/(S C), from the row, column and residual mean squares of z;
- unpaired seeds: each method's own seed variance (from its row and residual mean squares)
  plus the variance over clips of the seed-averaged difference, less the residual parts that
  both would otherwise count twice.

A variance component estimated below zero is set to zero. With one seed per method only the
clips vary. The two-sided p-value and the 95 % interval come from Student's t with those
degrees of freedom. Its false-positive rate was measured by simulation
(`evaluate/significance_simulation.py`; tests/test_significance_size.py and docs/findings.md):
within 0.03-0.06 at a nominal 0.05 from clip-dominated to seed-dominated data, paired or not.

Holm's step-down correction runs over a table's comparisons with its reference (`holm`). The
reading of an adjusted p (`Adjusted.reading`): below 0.01 significant, 0.01 up to 0.10
borderline (weak evidence: in replications with other seeds such a p falls on either side of
0.05 often), 0.10 and above no significant difference. A p below 0.001 prints "< 0.001".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SIGNIFICANT = 0.01  # an adjusted p below this is a verdict
NOT_SIGNIFICANT = 0.10  # an adjusted p at or above this reads "no significant difference"; between: borderline
LEVEL = 0.05  # the level the false-positive rate was measured at
MEASURED_RATE = (0.03, 0.06)  # where that rate lies in every null simulation (tests/test_significance_size.py)


@dataclass(frozen=True)
class Comparison:
    difference: float  # method minus reference: mean over seeds and clips
    standard_error: float
    df: float  # Satterthwaite degrees of freedom
    p_value: float  # two-sided
    low: float  # 95 % interval of the difference
    high: float
    paired: bool


def per_clip_ap(a2v_ap, v2a_ap) -> np.ndarray:
    """Seeds x clips: per seed and test clip, the mean of its AP as an audio and as a visual query."""
    a2v, v2a = np.atleast_2d(np.asarray(a2v_ap, float)), np.atleast_2d(np.asarray(v2a_ap, float))
    return (a2v + v2a) / 2


def _two_way(y: np.ndarray) -> tuple[float, float, float, float, float]:
    """(row mean square, its df, column mean square, residual mean square, its df) of seeds x clips."""
    s, c = y.shape
    rows, cols, grand = y.mean(axis=1), y.mean(axis=0), y.mean()
    ms_rows = c * float(np.sum((rows - grand) ** 2)) / (s - 1) if s > 1 else 0.0
    ms_cols = s * float(np.sum((cols - grand) ** 2)) / (c - 1) if c > 1 else 0.0
    df_e = (s - 1) * (c - 1)
    resid = y - rows[:, None] - cols[None, :] + grand
    ms_e = float(np.sum(resid ** 2)) / df_e if df_e > 0 else 0.0
    return ms_rows, s - 1, ms_cols, ms_e, df_e


def _satterthwaite(terms: list[tuple[float, float, float]]) -> tuple[float, float]:
    """(variance, df) of sum(coef * mean square) for terms (coef, mean square, df)."""
    variance = sum(c * ms for c, ms, _ in terms)
    denominator = sum((c * ms) ** 2 / df for c, ms, df in terms if df > 0 and ms > 0)
    return max(variance, 0.0), (variance ** 2 / denominator if denominator > 0 else math.inf)


def _terms_paired(z: np.ndarray) -> list:
    s, c = z.shape
    ms_r, df_r, ms_c, ms_e, df_e = _two_way(z)
    if s == 1:
        return [(1 / c, ms_c, c - 1)]
    n = s * c
    terms = [(1 / n, ms_e, df_e)]
    if ms_r > ms_e:  # seed component above zero
        terms += [(1 / n, ms_r, df_r), (-1 / n, ms_e, df_e)]
    if ms_c > ms_e:  # clip component above zero
        terms += [(1 / n, ms_c, c - 1), (-1 / n, ms_e, df_e)]
    return terms


def _terms_unpaired(m: np.ndarray, r: np.ndarray) -> list:
    c = m.shape[1]
    d = m.mean(axis=0) - r.mean(axis=0)
    ms_d = float(np.var(d, ddof=1)) if c > 1 else 0.0  # clip-to-clip variance of the seed-averaged difference
    terms, residual_in_d = [], []
    for y in (m, r):
        s = y.shape[0]
        if s == 1:
            continue
        ms_r, df_r, _, ms_e, df_e = _two_way(y)
        n = s * c
        terms.append((1 / n, ms_e, df_e))  # the residual, counted once
        residual_in_d.append((ms_e / s, -1 / n, ms_e, df_e))
        if ms_r > ms_e:
            terms += [(1 / n, ms_r, df_r), (-1 / n, ms_e, df_e)]
    if ms_d > sum(x[0] for x in residual_in_d):  # clip (interaction) component above zero
        terms += [(1 / c, ms_d, c - 1)] + [(coef, ms, df) for _, coef, ms, df in residual_in_d]
    elif not residual_in_d:  # one seed each: only the clips vary
        terms = [(1 / c, ms_d, c - 1)]
    return terms


def _merge(terms: list) -> list:
    """Terms with the same mean square and df combined (Satterthwaite counts each mean square once)."""
    merged = {}
    for coef, ms, df in terms:
        merged[(ms, df)] = merged.get((ms, df), 0.0) + coef
    return [(coef, ms, df) for (ms, df), coef in merged.items() if coef != 0.0]


def seeds_and_clips_test(method, reference, paired: bool = False) -> Comparison:
    """Compare seeds x clips scores of a method and of the reference on the same clips (columns).
    `paired`: seed i of both shares its randomness (both need the same seeds, in order). A clip
    that is NaN for either is left out."""
    from scipy import stats

    m, r = np.atleast_2d(np.asarray(method, float)), np.atleast_2d(np.asarray(reference, float))
    if m.shape[1] != r.shape[1]:
        raise ValueError(f"paired scores need the same clips, got {m.shape[1]} and {r.shape[1]}")
    if paired and m.shape[0] != r.shape[0]:
        raise ValueError(f"paired seeds need the same number of seeds, got {m.shape[0]} and {r.shape[0]}")
    keep = ~(np.isnan(m).any(axis=0) | np.isnan(r).any(axis=0))
    m, r = m[:, keep], r[:, keep]
    difference = float(m.mean() - r.mean())
    terms = _merge(_terms_paired(m - r) if paired else _terms_unpaired(m, r))
    variance, df = _satterthwaite(terms)
    se = math.sqrt(variance)
    if se == 0.0:
        p = 1.0 if difference == 0.0 else 0.0
        return Comparison(difference, 0.0, df, p, difference, difference, paired)
    p = float(2 * stats.t.sf(abs(difference) / se, df))
    half = float(stats.t.ppf(0.975, df)) * se
    return Comparison(difference, se, float(df), p, difference - half, difference + half, paired)


@dataclass(frozen=True)
class Adjusted:
    """A comparison after Holm's correction over its table, and its reading."""

    test: Comparison
    p_holm: float

    @property
    def significant(self) -> bool:
        return self.p_holm < SIGNIFICANT

    @property
    def borderline(self) -> bool:
        return SIGNIFICANT <= self.p_holm < NOT_SIGNIFICANT

    @property
    def reading(self) -> str:
        return "significant" if self.significant else "borderline" if self.borderline else "no significant difference"


def holm(tests: dict) -> dict:
    """{name: Adjusted}: Holm's step-down correction of the p-values of `tests` ({name: Comparison}):
    the k-th smallest p (k = 0, 1, ...) is scaled by (m - k), and each adjusted value is the
    largest scaled value up to its own (capped at 1)."""
    order = sorted(tests, key=lambda name: tests[name].p_value)
    m, running, out = len(order), 0.0, {}
    for k, name in enumerate(order):
        running = max(running, min(1.0, (m - k) * tests[name].p_value))
        out[name] = Adjusted(tests[name], running)
    return out


def p_text(p: float) -> str:
    """A p-value as the report prints it: three significant digits, "< 0.001" below 0.001."""
    return "< 0.001" if p < 0.001 else f"{p:.3g}"
