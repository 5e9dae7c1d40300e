"""Recall at k and the paired significance test against independent computations: every
order of tied items enumerated, every sign assignment enumerated."""
import itertools

import numpy as np
import pytest

from evaluate.recall import recall_at
from evaluate.significance import Comparison, holm, p_text, per_clip_ap, seeds_and_clips_test


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


def test_identical_methods_tie_and_a_constant_gap_is_certain():
    rng = np.random.default_rng(2)
    y = rng.uniform(0, 1, (3, 300))  # 3 seeds x 300 clips
    same = seeds_and_clips_test(y, y.copy())
    assert same.p_value == 1.0 and same.difference == 0.0
    for paired in (False, True):
        steady = np.tile(y[0], (3, 1))  # seeds that agree, every seed and clip 0.05 higher: nothing varies
        shifted = seeds_and_clips_test(steady + 0.05, steady, paired=paired)
        assert shifted.difference == pytest.approx(0.05) and shifted.p_value < 1e-12


def test_a_gap_made_by_lucky_seeds_is_not_significant():
    """Known answer: the method's seeds land 0.1 above or below the reference on every clip alike, and
    their mean sits 0.004 above it. Averaged over seeds first, every clip differs by exactly +0.004 and a
    clip-only test calls it certain; the seed-to-seed variance shows it is seed luck."""
    clips = np.random.default_rng(3).uniform(0.2, 0.8, 200)
    reference = np.tile(clips, (5, 1)) + np.random.default_rng(4).normal(0, 1e-3, (5, 200))
    method = np.tile(clips, (5, 1)) + np.array([0.1, -0.1, 0.1, -0.1, 0.02])[:, None]
    result = seeds_and_clips_test(method, reference)
    assert result.difference == pytest.approx(0.004, abs=2e-4)
    assert result.p_value > 0.5 and result.low < 0 < result.high
    clips_only = seeds_and_clips_test(method.mean(axis=0), reference.mean(axis=0))
    assert clips_only.p_value < 0.001  # what testing seed-averaged clips alone would conclude


def test_one_seed_each_is_the_paired_t_test_over_clips():
    """Independent computation: scipy's paired t-test on the clips (one fit per method: only clips vary)."""
    from scipy import stats

    rng = np.random.default_rng(5)
    y = rng.uniform(0, 1, 400)
    method = y + rng.normal(0.03, 0.2, 400)
    result = seeds_and_clips_test(method, y)
    assert result.p_value == pytest.approx(stats.ttest_rel(method, y).pvalue, rel=1e-9)
    low, high = stats.ttest_rel(method, y).confidence_interval()
    assert (result.low, result.high) == pytest.approx((low, high), rel=1e-9)
    assert result.df == pytest.approx(399)


def test_seed_dominated_scores_reduce_to_the_t_tests_on_per_seed_means():
    """When seeds alone vary (clip noise 1e-6 of it), unpaired is Welch's t on the per-seed MAPs and paired
    is the one-sample t on their per-seed differences (scipy, computed independently)."""
    from scipy import stats

    rng = np.random.default_rng(6)
    clips = rng.uniform(0.2, 0.8, 300)
    a, b = rng.normal(0.01, 0.02, 8), rng.normal(0.0, 0.03, 8)
    method = clips + a[:, None] + rng.normal(0, 1e-8, (8, 300))
    reference = clips + b[:, None] + rng.normal(0, 1e-8, (8, 300))
    welch = stats.ttest_ind(method.mean(axis=1), reference.mean(axis=1), equal_var=False)
    unpaired = seeds_and_clips_test(method, reference)
    assert unpaired.p_value == pytest.approx(welch.pvalue, rel=1e-3)
    assert unpaired.df == pytest.approx(welch.df, rel=1e-3)
    one_sample = stats.ttest_1samp(method.mean(axis=1) - reference.mean(axis=1), 0)
    paired = seeds_and_clips_test(method, reference, paired=True)
    assert paired.p_value == pytest.approx(one_sample.pvalue, rel=1e-3) and paired.df == pytest.approx(7, rel=1e-3)


def test_holm_adjusts_by_hand_and_reads_p_values_in_three_bands():
    def comparison(p):
        return Comparison(-0.01, 0.005, 9.0, p, -0.02, 0.0, paired=False)

    adjusted = holm({"a": comparison(0.001), "b": comparison(0.04), "c": comparison(0.03)})
    # sorted 0.001, 0.03, 0.04 scaled by 3, 2, 1: 0.003, 0.06, then max(0.06, 0.04)
    assert [adjusted[k].p_holm for k in "acb"] == pytest.approx([0.003, 0.06, 0.06])
    assert adjusted["a"].significant and adjusted["c"].borderline and adjusted["b"].borderline
    assert holm({"x": comparison(0.2)})["x"].reading == "no significant difference"
    assert holm({"x": comparison(0.0099)})["x"].significant and holm({"x": comparison(0.01)})["x"].borderline
    assert p_text(0.0002) == "< 0.001" and p_text(0.0123) == "0.0123"


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
