"""How often does a significance test say "different" when nothing differs? Null simulations
shaped like the report's data, for `evaluate.significance` and the test it replaced.

Per method, seed and test clip a score (a clip's AP) is

    0.5 + effect + clip_c + interaction_mc + seed_ms + residual_msc

with a clip effect shared by both methods, a method x clip interaction, a seed effect and a
residual, all normal with mean zero. Paired seeds (seed i of both methods shares its
randomness, as EICS and its ablations do) correlate the two methods' seed effects and
residuals by `rho`. Sizes as on the dev file (10 seeds, 723 test clips); the seed standard
deviation moves the data from clip-dominated (0.0005) to seed-dominated (0.1), the dev file
lying between (its per-seed MAPs vary by about 0.006).

`python -m evaluate.significance_simulation` prints the false-positive rate at 0.05 and the
power against a difference of one seed standard deviation, for the current test and for the
earlier two-level bootstrap (`bootstrap_test`), per scenario (docs/findings.md has the table).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluate.significance import LEVEL, seeds_and_clips_test


@dataclass(frozen=True)
class Scenario:
    seed_sd: float
    paired: bool
    seeds: int = 10
    clips: int = 723
    clip_sd: float = 0.25
    interaction_sd: float = 0.1
    residual_sd: float = 0.05
    rho: float = 0.9


SCENARIOS = tuple(Scenario(sd, paired) for paired in (False, True) for sd in (0.0005, 0.003, 0.01, 0.03, 0.1))


def draw(rng, sc: Scenario, effect: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(method, reference): seeds x clips scores with a true difference `effect`."""
    shape = (sc.seeds, sc.clips)
    clip = rng.normal(0, sc.clip_sd, sc.clips)

    def correlated(size, sd):
        if not sc.paired:
            return rng.normal(0, sd, size), rng.normal(0, sd, size)
        shared = rng.normal(0, sd, size)
        a, b = (np.sqrt(sc.rho) * shared + np.sqrt(1 - sc.rho) * rng.normal(0, sd, size) for _ in range(2))
        return a, b

    seed_m, seed_r = correlated(sc.seeds, sc.seed_sd)
    resid_m, resid_r = correlated(shape, sc.residual_sd)
    method = (0.5 + effect + clip + rng.normal(0, sc.interaction_sd, sc.clips))[None, :] + seed_m[:, None] + resid_m
    reference = (0.5 + clip + rng.normal(0, sc.interaction_sd, sc.clips))[None, :] + seed_r[:, None] + resid_r
    return method, reference


def rejection_rate(test, sc: Scenario, replications: int, rng, effect: float = 0.0) -> float:
    """Share of replications whose p-value is below LEVEL; `test(method, reference, paired) -> p`."""
    rejected = 0
    for _ in range(replications):
        m, r = draw(rng, sc, effect)
        rejected += test(m, r, sc.paired) < LEVEL
    return rejected / replications


def current_test(method, reference, paired: bool) -> float:
    return seeds_and_clips_test(method, reference, paired=paired).p_value


def bootstrap_test(method, reference, paired: bool = False, resamples: int = 2_000, seed: int = 0) -> float:
    """The test the report used before (kept for comparison): a two-level bootstrap drawing the
    clips with replacement (the same for both methods) and each method's seeds with replacement
    on their own (never paired); p = share of centred resampled differences at least as far from
    zero as the observed one."""
    rng = np.random.default_rng(seed)
    m, r = np.atleast_2d(method), np.atleast_2d(reference)
    n = m.shape[1]
    observed = m.mean() - r.mean()
    clips = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)]) / n
    seeds_m = rng.multinomial(len(m), np.full(len(m), 1 / len(m)), size=resamples) / len(m)
    seeds_r = rng.multinomial(len(r), np.full(len(r), 1 / len(r)), size=resamples) / len(r)
    diffs = ((clips @ m.T) * seeds_m).sum(axis=1) - ((clips @ r.T) * seeds_r).sum(axis=1)
    extreme = np.sum(np.abs(diffs - observed) >= abs(observed) - 1e-15)
    return (1 + extreme) / (1 + resamples)


def table(replications: int = 2_000, bootstrap_replications: int = 300, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    lines = ["| seeds | seed SD | false positives (t, Satterthwaite) | power at Δ = seed SD | "
             "false positives (earlier bootstrap) |", "|---|---:|---:|---:|---:|"]
    for sc in SCENARIOS:
        size = rejection_rate(current_test, sc, replications, rng)
        power = rejection_rate(current_test, sc, replications, rng, effect=sc.seed_sd)
        old = rejection_rate(lambda m, r, p: bootstrap_test(m, r, p, seed=int(rng.integers(1 << 30))), sc,
                             bootstrap_replications, rng)
        lines.append(f"| {'paired' if sc.paired else 'unpaired'} | {sc.seed_sd:g} | {size:.3f} | {power:.3f} | "
                     f"{old:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"Null simulations, 10 seeds x 723 clips, nominal level {LEVEL}:\n")
    print(table())
