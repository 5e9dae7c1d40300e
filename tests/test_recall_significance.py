"""Recall at k and the paired significance test against independent computations: every
order of tied items enumerated, every sign assignment enumerated."""
import itertools

import numpy as np
import pytest

from evaluate.recall import recall_at
from evaluate.significance import PairedComparison, holm, per_clip_ap, seeds_and_clips_test


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


def test_identical_methods_tie_and_a_constant_gap_is_significant():
    rng = np.random.default_rng(2)
    y = rng.uniform(0, 1, (3, 300))  # 3 seeds x 300 clips
    same = seeds_and_clips_test(y, y.copy(), resamples=4_000)
    assert same.p_value == 1.0 and same.difference == 0.0
    steady = np.tile(y[0], (3, 1))  # seeds that agree: resampling them changes nothing
    shifted = seeds_and_clips_test(steady + 0.05, steady, resamples=4_000)  # every seed and clip 0.05 higher
    assert shifted.difference == pytest.approx(0.05)
    assert shifted.p_value == 1 / 4_001 and shifted.low == pytest.approx(0.05) and shifted.high == pytest.approx(0.05)


def test_a_gap_made_by_lucky_seeds_is_not_significant():
    """Known answer: the method's seeds land 0.1 above or below the reference on every clip alike, and
    their mean sits 0.004 above it. Averaged over seeds first, every clip differs by exactly +0.004 and a
    clip-only test calls it certain; resampling the seeds shows it is seed luck."""
    clips = np.random.default_rng(3).uniform(0.2, 0.8, 200)
    reference = np.tile(clips, (5, 1))
    method = reference + np.array([0.1, -0.1, 0.1, -0.1, 0.02])[:, None]
    result = seeds_and_clips_test(method, reference, resamples=4_000)
    assert result.difference == pytest.approx(0.004)
    assert result.p_value > 0.5 and result.low < 0 < result.high
    clips_only = seeds_and_clips_test(method.mean(axis=0), reference.mean(axis=0), resamples=4_000)
    assert clips_only.p_value < 0.001  # what testing seed-averaged clips alone would conclude


def test_false_alarms_under_no_difference_stay_near_five_percent():
    """200 simulated comparisons of two methods with the same distribution (shared clip difficulty, clip
    noise and seed noise): the share with p < 0.05 is the test's size, about 0.05."""
    rng = np.random.default_rng(4)
    rejected = 0
    for _ in range(200):
        difficulty = rng.uniform(0.2, 0.8, 60)
        draw = lambda: difficulty + rng.normal(0, 0.02, (4, 1)) + rng.normal(0, 0.1, (4, 60))  # noqa: E731
        test = seeds_and_clips_test(draw(), draw(), resamples=1_000, seed=int(rng.integers(1 << 30)))
        rejected += test.p_value < 0.05
    assert 0.01 <= rejected / 200 <= 0.10


def test_the_interval_matches_the_known_standard_error_of_a_paired_mean():
    rng = np.random.default_rng(5)
    d = rng.normal(0.03, 0.2, 400)
    y = rng.uniform(0, 1, 400)
    result = seeds_and_clips_test(y + d, y, resamples=20_000)  # one seed each: clips alone vary
    half_width = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    assert (result.high - result.low) / 2 == pytest.approx(half_width, rel=0.1)
    assert result.standard_error == pytest.approx(np.sqrt(result.p_value * (1 - result.p_value) / 20_000))


def test_holm_adjusts_by_hand_and_reads_near_threshold_p_values_as_borderline():
    def comparison(p):
        return PairedComparison(-0.01, p, -0.02, 0.0, resamples=50_000)

    adjusted = holm({"a": comparison(0.01), "b": comparison(0.04), "c": comparison(0.03)})
    # sorted 0.01, 0.03, 0.04 held to 0.05/3, 0.05/2, 0.05/1; adjusted max(3 x 0.01), max(., 2 x 0.03), max(., 0.04)
    assert [adjusted[k].p_holm for k in "acb"] == pytest.approx([0.03, 0.06, 0.06])
    assert adjusted["a"].significant and not adjusted["c"].significant and not adjusted["b"].significant
    near = holm({"x": comparison(0.0251), "y": comparison(0.2)})  # x adjusted 0.0502, its MC error 2 x 0.0007
    assert near["x"].borderline and not near["x"].significant and not near["y"].borderline
    assert near["x"].standard_error == pytest.approx(2 * comparison(0.0251).standard_error)
    assert holm({"x": comparison(0.046)})["x"].borderline  # inside 0.045-0.055, though 4 standard errors away
    assert not holm({"x": comparison(0.02)})["x"].borderline  # 0.03 below 0.05: 30 standard errors away


def test_per_clip_ap_keeps_seeds_and_averages_directions():
    a2v = [[1.0, 0.0], [0.5, 0.0]]  # two seeds x two clips
    v2a = [[0.0, 1.0], [0.5, 1.0]]
    np.testing.assert_allclose(per_clip_ap(a2v, v2a), [[0.5, 0.5], [0.5, 0.5]])


def test_pair_ranks_match_a_sort_and_ties_by_hand():
    from evaluate.pair_retrieval import median_rank, pair_ranks, pair_recall

    rng = np.random.default_rng(6)
    a, v = rng.normal(size=(40, 5)), rng.normal(size=(40, 5))
    closer, tied = pair_ranks(a, v)
    cos = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (v / np.linalg.norm(v, axis=1, keepdims=True)).T
    by_sort = np.array([1 + int(np.argwhere(np.argsort(-row, kind="stable") == i)[0, 0]) for i, row in enumerate(cos)])
    np.testing.assert_array_equal(closer + 1, by_sort)  # no ties in random data
    assert set(tied) == {1}
    assert pair_recall(closer, tied, [1, 5])[5] == pytest.approx(np.mean(by_sort <= 5))
    assert median_rank(closer, tied) == pytest.approx(np.median(by_sort))
    # by hand: query 0's pair ties with one other item, both ahead of the third; query 1's pair is third of three
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    g = np.array([[1.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    closer, tied = pair_ranks(np.vstack([q, [[1.0, 0.0]]]), g)  # three paired rows
    assert list(closer[:2]) == [0, 2] and list(tied[:2]) == [2, 1]
    r1 = pair_recall(closer[:2], tied[:2], [1, 2])
    assert r1[1] == pytest.approx((0.5 + 0.0) / 2) and r1[2] == pytest.approx((1.0 + 0.0) / 2)
    assert median_rank(closer[:2], tied[:2]) == pytest.approx(np.median([1.5, 3.0]))
