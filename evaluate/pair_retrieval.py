"""Instance-level retrieval: where does a clip's own pair rank? The protocol of audio-visual
retrieval on AudioSet and VGGSound, beside the class-level MAP.

Query i of one modality ranks every gallery item of the other modality by cosine similarity
(the same snapped similarities as the MAP: `evaluate.metrics.snapped_cosines`); its pair is
gallery item i. Tied items carry no order, so the pair's rank is taken in expectation over
the orders of its tie group: with c items strictly closer and t items tied with it (itself
included), the expected rank is c + (t + 1) / 2, and the chance that it lands in the top k is
1 when c + t <= k, 0 when c >= k, and (k - c) / t in between. pair R@k is that chance averaged
over the queries; the median rank is the median of the expected ranks.
"""
from __future__ import annotations

import numpy as np

from evaluate.metrics import snapped_cosines, unit_rows

_CHUNK_ROWS = 256


def pair_ranks(queries, gallery) -> tuple[np.ndarray, np.ndarray]:
    """(closer, tied) per query: gallery items strictly more similar than its pair, and items tied
    with the pair (the pair included). Row i of `queries` and of `gallery` belong to one clip."""
    q, g = unit_rows(queries), unit_rows(gallery)
    if q.shape != g.shape:
        raise ValueError(f"paired rows needed, got {q.shape} and {g.shape}")
    closer, tied = np.empty(len(q), np.int64), np.empty(len(q), np.int64)
    for start in range(0, len(q), _CHUNK_ROWS):
        rows = np.arange(start, min(start + _CHUNK_ROWS, len(q)))
        similarity = snapped_cosines(q[rows], g)
        own = similarity[np.arange(len(rows)), rows][:, None]
        closer[rows] = (similarity > own).sum(axis=1)
        tied[rows] = (similarity == own).sum(axis=1)
    return closer, tied


def pair_recall(closer, tied, ks) -> dict[int, float]:
    """{k: mean chance that the pair is in the top k}, tie-aware."""
    closer, tied = np.asarray(closer, float), np.asarray(tied, float)
    return {k: float(np.clip((k - closer) / tied, 0.0, 1.0).mean()) for k in ks}


def median_rank(closer, tied) -> float:
    return float(np.median(np.asarray(closer, float) + (np.asarray(tied, float) + 1) / 2))
