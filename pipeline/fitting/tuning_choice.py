"""Which grid point a method runs at, from its validation MAPs over the tuning seeds; a choice
that noise could flip falls to a stated rule, and a choice at the edge of a grid axis is flagged.

Each point was fitted with the same tuning seeds (the first `tuning.seeds` of report.seeds), so
two points are compared paired by seed: for the point with the best mean validation MAP and
any other point, d_s = best_s - other_s, and the standard error of their gap is
std(d) / sqrt(seeds). A point whose mean is less than TIE_ERRORS (2) standard errors below the
best is tied with it: with 3 seeds the gap's t-statistic has 2 degrees of freedom, and a lead
of 2 standard errors is about a one-sided 90 % test (t = 1.89). With one standard error, the
dev file's Ex-Im-share chose alpha 1 on seeds 0-2 and alpha 3 on seeds 10-12 (a lead of 1.4
standard errors), which moved its comparison with EICS from level to significantly above.
Among tied points the rule picks, in this order: the method's authors' published
setting (a grid point equal to `pipeline.settings.schema.AUTHORS`), else the point that agrees with
params.yaml's own values on the most knobs (its defaults), else the best mean; remaining ties
go to grid order. With one tuning seed there is no standard error and the best mean wins.

An axis (a knob with three or more numeric values among the points) whose chosen value is its
smallest or largest is an "edge": validation MAP may still rise beyond the grid. The report
prints the rule where it applied and flags edges.
"""
from __future__ import annotations

import math

import numpy as np

TIE_ERRORS = 2.0
BEST = "best mean validation MAP"
AUTHORS_RULE = "tied within two standard errors: its authors' published setting"
DEFAULTS_RULE = "tied within two standard errors: the point closest to params.yaml's values"


def choose(points: list[dict], scores: list[list[float]], defaults: dict, authors: dict | None = None) -> dict:
    """{"index", "rule", "tied" (indices), "standard_errors"} for `points` with per-seed validation
    MAPs `scores` (one list per point, the same seeds in the same order)."""
    means = [float(np.mean(s)) for s in scores]
    best = int(np.argmax(means))
    errors = [standard_error(scores[best], s) for s in scores]
    tied = [i for i in range(len(points)) if i == best or means[best] - means[i] < TIE_ERRORS * errors[i]]
    rule = BEST
    index = best
    if len(tied) > 1:
        by_authors = [i for i in tied if authors and points[i] == authors]
        if by_authors:
            index, rule = by_authors[0], AUTHORS_RULE
        else:
            agreement = [sum(defaults.get(k) == v for k, v in points[i].items()) for i in tied]
            top = max(agreement)
            if agreement.count(top) == 1:
                index, rule = tied[agreement.index(top)], DEFAULTS_RULE
    return {"index": index, "rule": rule, "tied": tied, "standard_errors": errors, "best_mean": index == best}


def standard_error(best: list[float], other: list[float]) -> float:
    """Standard error of mean(best) - mean(other), paired by seed (0 for the best itself; NaN-free:
    0 with one seed, where no spread can be measured)."""
    d = np.asarray(best, float) - np.asarray(other, float)
    if len(d) < 2:
        return 0.0
    return float(np.std(d, ddof=1) / math.sqrt(len(d)))


def edges(points: list[dict], chosen: dict) -> list[str]:
    """The knobs whose chosen value is the smallest or largest of three or more numeric values in the grid."""
    out = []
    for knob, value in chosen.items():
        values = sorted({p[knob] for p in points if knob in p and isinstance(p[knob], (int, float))})
        if len(values) >= 3 and isinstance(value, (int, float)) and value in (values[0], values[-1]):
            out.append(knob)
    return out
