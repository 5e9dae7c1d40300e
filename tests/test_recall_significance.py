"""Recall at k and the paired significance test against independent computations: every
order of tied items enumerated, every sign assignment enumerated."""
import itertools

import numpy as np
import pytest

from evaluate.recall import recall_at
from evaluate.significance import paired_test, per_clip_ap


def brute_force_recall(queries, gallery, q_labels, g_labels, k):
    """Average over every order of tied items of 'a relevant item is in the top k'."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    values = []
    for row, label in zip(q, q_labels):
        if not (g_labels == label).any():
            continue
        d = np.round(1 - g @ row, 12)
        groups = [np.flatnonzero(d == value) for value in np.unique(d)]
        hits = []
        for orders in itertools.product(*(itertools.permutations(group) for group in groups)):
            ranking = np.concatenate(orders)
            hits.append(float((g_labels[ranking[:k]] == label).any()))
        values.append(np.mean(hits))
    return float(np.mean(values))


def tied_case(seed):
    rng = np.random.default_rng(seed)
    gallery = rng.integers(-1, 2, size=(7, 2)).astype(float)  # repeated rows and mirror images: many exact ties
    gallery[np.linalg.norm(gallery, axis=1) == 0] = 1.0
    queries = rng.integers(-1, 2, size=(5, 2)).astype(float)
    queries[np.linalg.norm(queries, axis=1) == 0] = 1.0
    return queries, gallery, rng.integers(0, 3, 5), rng.integers(0, 3, 7)


@pytest.mark.parametrize("seed", range(4))
def test_recall_equals_the_average_over_every_order_of_tied_items(seed):
    queries, gallery, q_labels, g_labels = tied_case(seed)
    ours = recall_at(queries, gallery, q_labels, g_labels, ks=(1, 2, 3, 5))
    for k, value in ours.items():
        assert value == pytest.approx(brute_force_recall(queries, gallery, q_labels, g_labels, k), abs=1e-12)


def test_recall_without_ties_by_hand():
    gallery = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])  # distances from [1, 0]: 0, 0.2, 1
    queries = np.array([[1.0, 0.0]])
    assert recall_at(queries, gallery, [1], [0, 0, 1], ks=(1, 2, 3)) == {1: 0.0, 2: 0.0, 3: 1.0}
    assert recall_at(queries, gallery, [0], [0, 1, 1], ks=(1,)) == {1: 1.0}


def test_class_averaged_map_is_the_mean_of_the_per_class_means():
    from evaluate.metrics import retrieval_scores

    rng = np.random.default_rng(0)
    labels = np.array([0] * 12 + [1] * 3 + [2] * 5)  # unbalanced: the two definitions differ
    a, v = rng.standard_normal((20, 4)), rng.standard_normal((20, 4))
    scores = retrieval_scores(a, v, labels, labels, scopes=())
    by_hand = np.mean([scores.average_precision[labels == c].mean() for c in range(3)])
    assert scores.class_averaged_map == pytest.approx(by_hand, abs=1e-12)
    assert abs(scores.class_averaged_map - scores.mean_average_precision) > 1e-4


def exact_sign_flip_p(d):
    observed = abs(d.mean())
    flips = [abs((np.array(s) * d).mean()) >= observed - 1e-15 for s in itertools.product((-1, 1), repeat=d.size)]
    return float(np.mean(flips))


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.2])
def test_permutation_p_value_matches_exact_enumeration(shift):
    rng = np.random.default_rng(1)
    y = rng.uniform(0.2, 0.8, 12)
    x = y + shift + rng.normal(0, 0.1, 12)
    result = paired_test(x, y, resamples=20_000)
    assert result.p_value == pytest.approx(exact_sign_flip_p(x - y), abs=0.01)
    assert result.difference == pytest.approx(np.mean(x - y))
    assert result.low <= result.difference <= result.high


def test_identical_methods_are_tied_and_a_clear_gap_is_significant():
    rng = np.random.default_rng(2)
    y = rng.uniform(0, 1, 300)
    same = paired_test(y, y.copy())
    assert same.p_value == 1.0 and same.difference == 0.0
    better = paired_test(y + 0.05 + rng.normal(0, 0.05, 300), y)
    assert better.p_value < 0.001 and better.low > 0


def test_per_clip_ap_averages_seeds_then_directions():
    a2v = [[1.0, 0.0], [0.5, 0.0]]  # two seeds x two clips
    v2a = [[0.0, 1.0], [0.5, 1.0]]
    np.testing.assert_allclose(per_clip_ap(a2v, v2a), [0.5, 0.5])
