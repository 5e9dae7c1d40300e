"""Category-based cross-modal retrieval metrics.

Definition (DESIGN.md, "Metrics, exactly"): every query of one modality ranks the whole
gallery of the other modality by cosine distance 1 - cos(q, g), ascending, ties broken
by gallery index (lower index first). A gallery item is relevant when it has the query's
label. With R relevant items in the gallery,

    AP(q) = (1/R) * sum over ranks k holding a relevant item of precision@k,

MAP is the mean AP over queries ("MAP@all": the full ranking, never truncated). A query
whose class has no item in the gallery has no defined AP; it is left out of the mean and
counted in `RetrievalScores.queries_without_relevant`.

The implementation is vectorised over the gallery; queries are processed in chunks (two
threads, NumPy releases the GIL while sorting) so memory stays bounded at VEGAS size.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

DEFAULT_SCOPES = (10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)
_CHUNK_ROWS = 128


@dataclass(frozen=True)
class RetrievalScores:
    """Per-query results of one retrieval direction."""

    average_precision: np.ndarray  # (n_queries,), NaN where the query has no relevant item
    precision_at: dict[int, float]  # scope K -> mean precision of the top K over queries
    query_labels: np.ndarray

    @property
    def mean_average_precision(self) -> float:
        valid = ~np.isnan(self.average_precision)
        return float(self.average_precision[valid].mean())

    @property
    def queries_without_relevant(self) -> int:
        return int(np.isnan(self.average_precision).sum())

    def ap_per_class(self) -> dict[int, float]:
        """Mean AP of the queries of each class present among the queries."""
        out = {}
        for label in np.unique(self.query_labels):
            ap = self.average_precision[self.query_labels == label]
            ap = ap[~np.isnan(ap)]
            if ap.size:
                out[int(label)] = float(ap.mean())
        return out


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


_SIGN_FLIP = np.int64(0x7FFFFFFFFFFFFFFF)


def ranked_relevance(distances, query_labels, gallery_labels) -> np.ndarray:
    """Boolean matrix: is the gallery item at rank k (column) relevant to query q (row).

    Ranking is by ascending distance, ties by gallery index. For speed each distance is
    turned into an order-preserving int64 key whose lowest bit is replaced by the item's
    relevance (0 relevant, 1 not), so one value sort per row yields the relevance sequence
    without an argsort. That is exact except where two keys agree in all but the lowest
    bit and differ in relevance (equal distances, or distances one unit in the last place
    apart); such rows are ranked again with a stable argsort, which is exact by definition.
    """
    keys = np.add(distances, 0.0).view(np.int64)  # a fresh copy; + 0.0 turns -0.0 into +0.0
    negative = keys < 0
    if negative.any():
        keys[negative] ^= _SIGN_FLIP  # negative floats: flip the magnitude bits to keep the order
    keys &= ~np.int64(1)
    keys |= gallery_labels[None, :] != query_labels[:, None]
    keys.sort(axis=1)
    # keys differing only in the lowest bit: same (or adjacent) distance, mixed relevance
    ambiguous = np.flatnonzero((np.bitwise_xor(keys[:, 1:], keys[:, :-1]) == 1).any(axis=1))
    relevant = (keys & 1) == 0
    for r in ambiguous:
        order = np.argsort(distances[r], kind="stable")
        relevant[r] = gallery_labels[order] == query_labels[r]
    return relevant


def _score_chunk(distances, query_labels, gallery_labels, scopes):
    """AP and hits@K for a block of queries: the j-th relevant item, at rank r, adds j / r."""
    relevant = ranked_relevance(distances, query_labels, gallery_labels)
    rows, cols = np.nonzero(relevant)
    n_relevant = np.bincount(rows, minlength=len(relevant))
    first_of_row = np.cumsum(n_relevant) - n_relevant
    j = np.arange(1, len(rows) + 1) - first_of_row[rows]
    precision_sum = np.bincount(rows, weights=j / (cols + 1.0), minlength=len(relevant))
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(n_relevant > 0, precision_sum / n_relevant, np.nan)
    hits_at = {k: relevant[:, :k].sum(axis=1) for k in scopes}
    return ap, hits_at


def retrieval_scores(
    queries: np.ndarray,
    gallery: np.ndarray,
    query_labels: np.ndarray,
    gallery_labels: np.ndarray,
    scopes=DEFAULT_SCOPES,
) -> RetrievalScores:
    """AP of every query and precision at each scope K (scopes beyond the gallery size are dropped)."""
    queries = np.asarray(queries)
    gallery = np.asarray(gallery)
    query_labels = np.asarray(query_labels).ravel()
    gallery_labels = np.asarray(gallery_labels).ravel()
    _check_inputs(queries, gallery, query_labels, gallery_labels)
    scopes = tuple(int(k) for k in scopes if 0 < int(k) <= len(gallery))

    q_unit, g_unit = _unit_rows(queries), _unit_rows(gallery)
    starts = range(0, len(queries), _CHUNK_ROWS)

    def work(start):
        stop = start + _CHUNK_ROWS
        distances = 1.0 - q_unit[start:stop] @ g_unit.T
        return _score_chunk(distances, query_labels[start:stop], gallery_labels, scopes)

    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(work, starts))
    ap = np.concatenate([p[0] for p in parts])
    precision_at = {
        k: float(np.concatenate([p[1][k] for p in parts]).mean() / k) for k in scopes
    }
    if np.isnan(ap).all():
        raise ValueError("no query has a relevant item in the gallery: the label sets are disjoint")
    return RetrievalScores(ap, precision_at, query_labels)


def mean_average_precision(queries, gallery, query_labels, gallery_labels) -> float:
    """MAP@all of retrieving `gallery` items for each of `queries` (see module docstring)."""
    return retrieval_scores(queries, gallery, query_labels, gallery_labels, scopes=()).mean_average_precision


def _check_inputs(queries, gallery, query_labels, gallery_labels):
    if queries.ndim != 2 or gallery.ndim != 2:
        raise ValueError(f"queries and gallery must be 2-D, got shapes {queries.shape} and {gallery.shape}")
    if queries.shape[1] != gallery.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} dimensions but the gallery has {gallery.shape[1]}")
    if len(queries) != len(query_labels) or len(gallery) != len(gallery_labels):
        raise ValueError("each query and gallery item needs exactly one label")
    if len(queries) == 0 or len(gallery) == 0:
        raise ValueError("queries and gallery must not be empty")
    if not (np.isfinite(queries).all() and np.isfinite(gallery).all()):
        raise ValueError("embeddings contain NaN or infinite values")


def bidirectional_map(audio, visual, labels) -> dict[str, float]:
    """MAP audio->visual, visual->audio and their mean, for paired embeddings of one split."""
    a2v = mean_average_precision(audio, visual, labels, labels)
    v2a = mean_average_precision(visual, audio, labels, labels)
    return {"audio_to_visual": a2v, "visual_to_audio": v2a, "average": (a2v + v2a) / 2}
