"""Category-based cross-modal retrieval metrics, tie-aware.

Definition (docs/findings.md, "Metrics and significance"): every query of one modality ranks the whole
gallery of the other modality by cosine distance d = 1 - cos(q, g), computed in float64 and
rounded to a grid of 2^-40 (so ties are the same on every machine: `snap_to_grid`),
ascending. A gallery item is relevant when it has the query's label. With R relevant
items in the gallery,

    AP(q) = (1/R) * sum over ranks k holding a relevant item of precision@k.

Ties carry no information. Where distances are exactly equal, AP is the expectation over
every order of the tied items (McSherry & Najork, "Computing information retrieval
performance measures efficiently in the presence of tied scores", ECIR 2008): a group of
n tied items holding r relevant ones, entered after c items of which h are relevant,
adds to the sum of precisions

    (r/n) * sum_{j=c+1..c+n} (h + 1 + (j-c-1) * (r-1)/(n-1)) / j     ((r-1)/(n-1) := 0 for n = 1)

(each of its n slots holds a relevant item with probability r/n; given that, the expected
number of relevant items in the earlier slots of the group is (j-c-1)(r-1)/(n-1)).
Without ties this is plain AP. Precision@K takes the same expectation: a tie group that
straddles rank K contributes r/n per slot inside the top K. MAP is the mean AP over the
queries that have at least one relevant item ("MAP@all": the full ranking, never
truncated); queries whose class is absent from the gallery are left out of MAP and of
precision@K alike and counted in `RetrievalScores.queries_without_relevant`.

How it is computed fast, and still exactly: each float64 distance, scaled by 2^29, is
truncated to an int32 key whose lowest bit is replaced by the item's relevance (0
relevant, 1 not). Truncating and dropping a bit are monotone, so one int32 value sort per
row (NumPy's vectorised sort) orders the items correctly *between* buckets of equal
key >> 1, and every exact tie lies inside one bucket. A bucket whose items are all
relevant or all irrelevant contributes the same whatever its internal order. A bucket of
mixed relevance (sorted neighbours differing only in the low bit) is re-scored exactly:
its items are gathered with their float64 distances, sorted, split into exact tie groups
and scored by the formula above, replacing the bucket's provisional contribution. Rows
with many mixed buckets (hash codes, heavily quantised embeddings) are re-scored whole the
same way. Building the keys and reading each sorted row are single compiled passes
(`evaluate.ranking_kernels`). Queries are processed in chunks on two threads (the sort
and the compiled passes release the GIL), so memory stays bounded at VEGAS size.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from evaluate.ranking_kernels import KEY_SCALE, fill_bucket_keys, scan_sorted_rows

_CHUNK_ROWS = 48
_MAX_BUCKETS_PER_ROW = 16  # rows with more mixed buckets are re-scored whole
_SERIAL_BELOW = 1_000_000  # (chunk rows x gallery) below which chunks run in the calling thread


@dataclass(frozen=True)
class RetrievalScores:
    """Per-query results of one retrieval direction."""

    average_precision: np.ndarray  # (n_queries,), NaN where the query has no relevant item
    precision_at: dict[int, float]  # scope K -> expected precision of the top K, mean over scored queries
    query_labels: np.ndarray

    @property
    def mean_average_precision(self) -> float:
        valid = ~np.isnan(self.average_precision)
        return float(self.average_precision[valid].mean())

    @property
    def queries_without_relevant(self) -> int:
        return int(np.isnan(self.average_precision).sum())

    @property
    def class_averaged_map(self) -> float:
        """Class-averaged mAP: the mean AP of each query class, then the mean over classes (the
        second definition in use; with unbalanced classes it differs from the per-query MAP)."""
        return float(np.mean(list(self.ap_per_class().values())))

    def ap_per_class(self) -> dict[int, float]:
        """Mean AP of the queries of each class present among the queries."""
        out = {}
        for label in np.unique(self.query_labels):
            ap = self.average_precision[self.query_labels == label]
            ap = ap[~np.isnan(ap)]
            if ap.size:
                out[int(label)] = float(ap.mean())
        return out


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero), in float64."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


SNAP = 2.0**11  # scaled similarities (2^29 q.g) are rounded to multiples of 2^-11, i.e. q.g to 2^-40


def snap_to_grid(scaled: np.ndarray) -> np.ndarray:
    """Round 2^29 q.g to the 2^-11 grid, in place. BLAS kernels sum a dot product in an order of
    their own (core type, instruction set), so equal similarities - the ties of hash codes -
    can come out a last bit apart on one machine and equal on another; on the grid they are
    equal everywhere, and two items closer than 2^-40 in cosine count as tied."""
    np.multiply(scaled, SNAP, out=scaled)
    np.round(scaled, out=scaled)
    return np.divide(scaled, SNAP, out=scaled)


def snapped_cosines(q_unit: np.ndarray, g_unit: np.ndarray) -> np.ndarray:
    """q.g of unit rows on the 2^-40 grid (as the ranking uses them)."""
    return snap_to_grid(q_unit @ (g_unit.T * KEY_SCALE)) / KEY_SCALE


def _bucket_values(scaled: np.ndarray) -> np.ndarray:
    """The bucket b of every scaled distance: its key without the relevance bit (see fill_bucket_keys)."""
    return scaled.astype(np.int32) >> 1


def tie_group_terms(segment, value, relevant, start, relevant_before):
    """Exact expected contributions of items sorted by (segment, value).

    A segment is a run of consecutive ranks; `start[s]` and `relevant_before[s]` are the
    numbers of items and of relevant items ranked before segment s. Returns per item (one
    item = one slot of its tie group): the slot's expected precision term (their sum is
    the AP numerator), the probability that the slot holds a relevant item, and its rank.
    """
    n = len(value)
    new_segment = np.r_[True, segment[1:] != segment[:-1]]
    new_group = new_segment | np.r_[True, value[1:] != value[:-1]]
    group = np.cumsum(new_group) - 1
    group_first = np.flatnonzero(new_group)
    segment_first = np.flatnonzero(new_segment)
    size = np.diff(np.r_[group_first, n])
    rel_in_group = np.add.reduceat(relevant.astype(np.float64), group_first)
    cum_rel = np.r_[0.0, np.cumsum(relevant, dtype=np.float64)]
    seg_of_group = segment[group_first]
    first_of_seg = segment_first[np.searchsorted(segment[segment_first], seg_of_group)]
    c = start[seg_of_group] + (group_first - first_of_seg)
    h = relevant_before[seg_of_group] + (cum_rel[group_first] - cum_rel[first_of_seg])
    slope = np.divide(rel_in_group - 1, size - 1, out=np.zeros(len(size)), where=size > 1)
    slot = np.arange(n) - group_first[group]
    rank = c[group] + slot + 1
    p_relevant = rel_in_group[group] / size[group]
    term = p_relevant * (h[group] + 1 + slot * slope[group]) / rank
    return term, p_relevant, rank


def _score_chunk(base, values, irrelevant, n_relevant, scopes, keys_buffer):
    """Provisional AP numerator and hits@K for a block of queries of one class, and its mixed buckets.

    The block's distances times 2^29 are `base - values` (one float64 subtraction, done
    where the keys are built); `irrelevant` (gallery,) int32 marks the items of other
    classes and `n_relevant` counts the rest; `scopes` is an ascending int64 array;
    `keys_buffer` is a scratch int32 array with one column more than the gallery.
    """
    keys = keys_buffer[:len(values)]
    fill_bucket_keys(base, values, irrelevant, keys)
    keys.sort(axis=1)
    precision_sum, hits, b_rows, b_cols, b_j, b_value = scan_sorted_rows(
        keys, n_relevant, scopes, _MAX_BUCKETS_PER_ROW)
    if len(b_rows) == 0:  # the common case: no mixed bucket in the block
        touched = local = b_rows
        return precision_sum, hits, (touched, values[:0], local, b_cols, b_j, b_value)
    touched, local = np.unique(b_rows, return_inverse=True)
    # the repair must see the very distances the keys came from (BLAS rounding depends on the block shape)
    return precision_sum, hits, (touched, base - values[touched], local, b_cols, b_j, b_value)


def _repair_mixed_buckets(distances, irrelevant, buckets, precision_sum, hits_at, scopes):
    """Replace the provisional contribution of every mixed bucket by its exact tie-aware one.

    Rows here are the queries that have a mixed bucket. Bucket i (of row b_rows[i], key
    value b_value[i]) ends its run of relevant items at sorted column b_cols[i], which holds
    the b_j[i]-th relevant item of the row. Rows with more than _MAX_BUCKETS_PER_ROW buckets
    are re-scored whole instead. `irrelevant` is (rows x gallery) int32.
    """
    by_row = np.argsort(buckets[0], kind="stable")
    b_rows, b_cols, b_j, b_value = (b[by_row] for b in buckets)
    n_rows, n_gallery = distances.shape
    per_row = np.bincount(b_rows, minlength=n_rows)
    whole = per_row > _MAX_BUCKETS_PER_ROW
    kept_per_row = np.where(whole, 0, per_row)
    keep = ~whole[b_rows]
    b_rows, b_cols, b_j, b_value = b_rows[keep], b_cols[keep], b_j[keep], b_value[keep]
    n_buckets = len(b_rows)
    level = np.arange(n_buckets) - (np.cumsum(kept_per_row) - kept_per_row)[b_rows]
    keys = _bucket_values(distances)

    # Gather the items of every mixed bucket (one pass per level: the l-th bucket of each row),
    # then every item of the rows re-scored whole; segment ids: buckets first, then whole rows.
    seg_parts, row_parts, col_parts = [], [], []
    for lv in range(int(level.max(initial=-1)) + 1):
        pick = np.flatnonzero(level == lv)
        hit, col = np.nonzero(keys[b_rows[pick]] == b_value[pick, None])
        seg_parts.append(pick[hit])
        row_parts.append(b_rows[pick][hit])
        col_parts.append(col)
    whole_rows = np.flatnonzero(whole)
    if len(whole_rows):
        w_seg, w_col = np.divmod(np.arange(len(whole_rows) * n_gallery), n_gallery)
        seg_parts.append(n_buckets + w_seg)
        row_parts.append(whole_rows[w_seg])
        col_parts.append(w_col)
    seg, item_row, item_col = (np.concatenate(p) for p in (seg_parts, row_parts, col_parts))
    value = distances[item_row, item_col]
    item_rel = irrelevant[item_row, item_col] == 0
    order = np.lexsort((value, seg))
    seg, item_row, value, item_rel = seg[order], item_row[order], value[order], item_rel[order]

    n_segments = n_buckets + len(whole_rows)
    rel_per_seg = np.bincount(seg, weights=item_rel, minlength=n_segments).astype(np.int64)
    start = np.zeros(n_segments, np.int64)
    rel_before = np.zeros(n_segments, np.int64)
    start[:n_buckets] = b_cols + 1 - rel_per_seg[:n_buckets]
    rel_before[:n_buckets] = b_j - rel_per_seg[:n_buckets]
    term, p_rel, rank = tie_group_terms(seg, value, item_rel, start, rel_before)

    # The provisional order put a bucket's relevant items first: its slot t (0-based) was
    # relevant iff t < r, and then added (h + t + 1) / (c + t + 1). Swap that for the exact terms.
    seg_first = np.r_[0, np.flatnonzero(seg[1:] != seg[:-1]) + 1]
    slot = np.arange(len(seg)) - np.repeat(seg_first, np.diff(np.r_[seg_first, len(seg)]))
    in_bucket = seg < n_buckets
    was_rel = in_bucket & (slot < rel_per_seg[seg])
    provisional = np.where(was_rel, (rel_before[seg] + slot + 1) / (start[seg] + slot + 1.0), 0.0)
    precision_sum = precision_sum + np.bincount(item_row, weights=term - provisional, minlength=n_rows)
    whole_items = ~in_bucket
    precision_sum[whole_rows] = np.bincount(item_row[whole_items], weights=term[whole_items], minlength=n_rows)[
        whole_rows
    ]
    hits_at = dict(hits_at)
    for k in scopes:
        inside = rank <= k
        hits_at[k] = hits_at[k] + np.bincount(item_row, weights=(p_rel - was_rel) * inside, minlength=n_rows)
        hits_at[k][whole_rows] = np.bincount(item_row[whole_items], weights=(p_rel * inside)[whole_items],
                                             minlength=n_rows)[whole_rows]
    return precision_sum, hits_at


def retrieval_scores(
    queries: np.ndarray,
    gallery: np.ndarray,
    query_labels: np.ndarray,
    gallery_labels: np.ndarray,
    scopes,
) -> RetrievalScores:
    """Tie-aware AP of every query and precision at each scope K (scopes beyond the gallery size are dropped)."""
    queries = np.asarray(queries)
    gallery = np.asarray(gallery)
    query_labels, gallery_labels = np.asarray(query_labels).ravel(), np.asarray(gallery_labels).ravel()
    _check_inputs(queries, gallery, query_labels, gallery_labels)
    q_unit, g_unit = unit_rows(queries), unit_rows(gallery)
    q_scaled = q_unit * KEY_SCALE
    # BLAS rounds the same dot product differently at different positions of the output block,
    # so identical gallery vectors are computed once and shared: they must tie exactly.
    g_distinct, g_index = np.unique(g_unit, axis=0, return_inverse=True)
    if len(g_distinct) == len(g_unit):
        g_distinct, g_index = g_unit, None
    g_transposed = np.ascontiguousarray(g_distinct.T)

    def scaled_similarities(
        rows, out
    ):  # 2^29 q.g; 2^29 - that = 2^29 (1 - q.g) exactly (a power of two commutes with rounding)
        if g_index is None:
            np.matmul(q_scaled[rows], g_transposed, out=out)
        else:
            np.take(q_scaled[rows] @ g_transposed, g_index.ravel(), axis=1, out=out)
        return snap_to_grid(out)

    return _scores(KEY_SCALE, scaled_similarities, len(queries), query_labels, gallery_labels, scopes)


def _scores(base, values_of, n_queries, query_labels, gallery_labels, scopes) -> RetrievalScores:
    """Queries are scored in chunks of one class each (one relevance vector per chunk); the
    scaled distances of query rows are `base - values_of(rows, out)`."""
    scopes = tuple(sorted({int(k) for k in scopes if 0 < int(k) <= len(gallery_labels)}))
    scope_array = np.array(scopes, dtype=np.int64)
    classes = np.unique(query_labels)
    n_relevant = {c: int((gallery_labels == c).sum()) for c in classes}
    if not any(n_relevant.values()):
        raise ValueError("no query has a relevant item in the gallery: the label sets are disjoint")
    chunks = []
    for c in classes:
        rows = np.flatnonzero(query_labels == c)
        if n_relevant[c]:
            chunks += [(c, rows[i:i + _CHUNK_ROWS]) for i in range(0, len(rows), _CHUNK_ROWS)]

    scratch = threading.local()  # per thread: reused buffers (fresh large arrays cost page faults)

    def work(chunk):
        c, rows = chunk
        if not hasattr(scratch, "values"):
            scratch.values = np.empty((_CHUNK_ROWS, len(gallery_labels)))
            scratch.keys = np.empty((_CHUNK_ROWS, len(gallery_labels) + 1), np.int32)
        irrelevant = (gallery_labels != c).astype(np.int32)
        values = values_of(rows, scratch.values[:len(rows)])
        return _score_chunk(base, values, irrelevant, n_relevant[c], scope_array, scratch.keys)

    if len(chunks) * _CHUNK_ROWS * len(gallery_labels) < _SERIAL_BELOW:  # small: threads would cost more than they save
        parts = [work(chunk) for chunk in chunks]
    else:
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(max_workers=2) as pool:
            parts = list(pool.map(work, chunks))
    precision_sum = np.full(n_queries, np.nan)
    hits = {k: np.full(n_queries, np.nan) for k in scopes}
    # per mixed bucket: query row, sorted column, relevant index, key value; per touched query: row, distances
    b_rows, b_cols, b_j, b_value, touched_rows, touched_scaled = ([] for _ in range(6))
    for (c, rows), (chunk_sum, chunk_hits, (touched, scaled, local, cols, j, value)) in zip(chunks, parts):
        precision_sum[rows] = chunk_sum
        for s, k in enumerate(scopes):
            hits[k][rows] = chunk_hits[:, s]
        for store, part in zip((b_rows, b_cols, b_j, b_value, touched_rows, touched_scaled),
                               (rows[touched][local], cols, j, value, rows[touched], scaled)):
            store.append(part)
    b_rows, b_cols, b_j, b_value, touched_rows, touched_scaled = (
        np.concatenate(p) for p in (b_rows, b_cols, b_j, b_value, touched_rows, touched_scaled))
    if len(b_rows):
        order = np.argsort(touched_rows)
        touched = touched_rows[order]
        irrelevant = (gallery_labels[None, :] != query_labels[touched, None]).astype(np.int32)
        precision_sum[touched], repaired = _repair_mixed_buckets(
            touched_scaled[order], irrelevant, (np.searchsorted(touched, b_rows), b_cols, b_j, b_value),
            precision_sum[touched], {k: hits[k][touched] for k in scopes}, scopes)
        for k in scopes:
            hits[k][touched] = repaired[k]
    per_query = np.array([n_relevant[c] for c in query_labels], dtype=np.float64)
    ap = np.divide(precision_sum, per_query, out=np.full(n_queries, np.nan), where=per_query > 0)
    scored = ~np.isnan(ap)
    precision_at = {k: float(hits[k][scored].mean() / k) for k in scopes}
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
