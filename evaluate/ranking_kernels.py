"""Compiled per-row passes of the tie-aware MAP (see `evaluate.metrics` for the method).

Two loops that NumPy can only express as several full passes with temporaries: building
the int32 sort keys, and walking each sorted row once to read off the AP numerator, the
hits within each scope and the mixed-relevance buckets. Both release the GIL, so the
thread pool in `evaluate.metrics` runs them on both cores next to NumPy's own sort.
"""
from __future__ import annotations

import numba
import numpy as np

KEY_SCALE = 2.0 ** 29  # cosine distances lie in [-1e-15, 2 + 1e-15]: scaled, they fit an int32 with room
SENTINEL = np.iinfo(np.int32).max  # after every row's keys: sorts last and never looks like a bucket partner


@numba.njit(nogil=True, cache=True)
def fill_bucket_keys(base, values, irrelevant, keys):
    """keys[i, k] = trunc(base - values[i, k]) with its lowest bit replaced by irrelevant[k]; last column SENTINEL.

    `base - values` is the scaled distance (the subtraction is fused here to save a pass).

    Truncation is monotone, so with the lowest bit dropped a bucket spans 2^-28 of
    distance and sorting the keys orders items correctly between buckets.
    """
    n_rows, n_gallery = values.shape
    for i in range(n_rows):
        for k in range(n_gallery):
            keys[i, k] = (np.int32(base - values[i, k]) & np.int32(-2)) | irrelevant[k]
        keys[i, n_gallery] = SENTINEL


@numba.njit(nogil=True, cache=True)
def scan_sorted_rows(keys, n_relevant, scopes, max_buckets):
    """Read each sorted key row (relevant items have an even key): one branch-free pass that
    notes the columns of the relevant items, then a pass over those columns alone.

    Returns per row the provisional AP numerator (relevant items first inside a bucket:
    the j-th relevant item at 0-based column k adds j / (k + 1)) and the number of
    relevant items within each scope; and per mixed bucket (a relevant key 2b directly
    followed by the irrelevant key 2b + 1): its row, the column and 1-based relevant index
    of its last relevant item, and b. A row stops recording buckets after `max_buckets`
    + 1 of them (such rows are re-scored whole). `scopes` must be ascending.
    """
    n_rows, width = keys.shape
    n_scopes = scopes.shape[0]
    precision_sum = np.zeros(n_rows)
    hits = np.zeros((n_rows, n_scopes))
    capacity = n_rows * min(n_relevant, max_buckets + 1)
    b_row = np.empty(capacity, np.int64)
    b_col = np.empty(capacity, np.int64)
    b_j = np.empty(capacity, np.int64)
    b_value = np.empty(capacity, np.int32)
    n_buckets = 0
    column = np.empty(n_relevant + 1, np.int64)  # column[j]: sorted column of the (j+1)-th relevant item
    for i in range(n_rows):
        j = 0
        for k in range(width - 1):  # no branch on relevance: relevant items sit at unpredictable columns
            column[j] = k
            j += 1 - (keys[i, k] & 1)
            if j == n_relevant:
                break
        total = 0.0
        s = 0
        in_row = 0
        for j in range(n_relevant):
            k = column[j]
            total += (j + 1) / (k + 1.0)
            while s < n_scopes and scopes[s] <= k:
                hits[i, s] = j
                s += 1
            key = keys[i, k]
            if keys[i, k + 1] == key + 1 and in_row <= max_buckets:
                b_row[n_buckets] = i
                b_col[n_buckets] = k
                b_j[n_buckets] = j + 1
                b_value[n_buckets] = key >> 1
                n_buckets += 1
                in_row += 1
        precision_sum[i] = total
        while s < n_scopes:
            hits[i, s] = n_relevant
            s += 1
    return precision_sum, hits, b_row[:n_buckets], b_col[:n_buckets], b_j[:n_buckets], b_value[:n_buckets]
