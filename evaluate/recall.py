"""Recall at k for cross-modal retrieval, tie-aware.

A query is recalled at k when at least one relevant gallery item (same label) is among its
top k by cosine distance; R@k is the share of recalled queries among those with a relevant
item (the same queries MAP scores). Ties carry no information, as for AP
(`evaluate.metrics`): where distances are equal, the indicator is averaged over every order
of the tied items. With `a` items strictly closer than the nearest relevant one (all
irrelevant), and a group of `t` items tied at that distance holding `r` relevant ones, the
query is recalled at k with probability

    0                                        if a >= k
    1 - C(t - r, m) / C(t, m),  m = k - a    otherwise (C(n, m) = 0 for m > n),

the chance that the first m slots of a random order of the group are not all irrelevant.
"""
from __future__ import annotations

from math import comb

import numpy as np

from evaluate.metrics import snapped_cosines, unit_rows

_CHUNK_ROWS = 256


def recall_at(queries, gallery, query_labels, gallery_labels, ks) -> dict[int, float]:
    """{k: tie-aware R@k} over the queries whose label occurs in the gallery."""
    q, g = unit_rows(queries), unit_rows(gallery)
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    g_distinct, g_index = np.unique(g, axis=0, return_inverse=True)  # equal rows give bitwise-equal distances
    g_index = g_index.ravel()
    recalled = {k: [] for k in ks}
    for start in range(0, len(q), _CHUNK_ROWS):
        rows = slice(start, start + _CHUNK_ROWS)
        distances = (1.0 - snapped_cosines(q[rows], g_distinct))[:, g_index]
        relevant = query_labels[rows, None] == gallery_labels[None, :]
        for d, rel in zip(distances, relevant):
            r_all = int(rel.sum())
            if r_all == 0:
                continue
            nearest = d[rel].min()
            closer = int((d < nearest).sum())
            tied = d == nearest
            t, r = int(tied.sum()), int((tied & rel).sum())
            for k in ks:
                m = k - closer
                recalled[k].append(0.0 if m <= 0 else 1.0 - comb(t - r, min(m, t)) / comb(t, min(m, t)))
    return {k: float(np.mean(v)) if v else float("nan") for k, v in recalled.items()}
