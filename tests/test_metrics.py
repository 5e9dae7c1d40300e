import math

import numpy as np
import pytest

from evaluate.metrics import KEY_SCALE, _scores, bidirectional_map, mean_average_precision, retrieval_scores
from tests.reference import brute_force_ap, loop_scores, plain_ap, tie_aware_ap


def distance_scores(distances, query_labels, gallery_labels, scopes):
    """The metric's scores from a precomputed (queries x gallery) distance matrix: the ranking
    core of evaluate.metrics fed chosen distances (exact ties placed by hand)."""
    distances = np.asarray(distances, dtype=np.float64)
    query_labels, gallery_labels = np.asarray(query_labels).ravel(), np.asarray(gallery_labels).ravel()
    return _scores(0.0, lambda rows, out: np.multiply(distances[rows], -KEY_SCALE, out=out),  # 0 - (-2^29 d) = 2^29 d
                   len(query_labels), query_labels, gallery_labels, scopes)

def test_hand_worked_example():
    # distances from q=(1,0): g0=(0,1) -> 1, g1=(1,0.1) -> ~0.005, g2=(1,0) -> 0, g3=(-1,0) -> 2
    gallery = np.array([[0, 1], [1, 0.1], [1, 0], [-1, 0]], dtype=float)
    # ranking g2 (rel), g1, g0 (rel), g3: AP = (1/1 + 2/3) / 2
    ap = mean_average_precision(np.array([[1.0, 0.0]]), gallery, [0], [0, 1, 0, 1])
    assert ap == pytest.approx(5 / 6, abs=1e-12)


def test_a_tie_is_the_average_of_both_orders():
    q = np.array([[1.0, 0.0]])
    gallery = np.array([[0, 1], [0, -1]], dtype=float)  # both at distance 1
    # orders (rel, irrel) -> 1 and (irrel, rel) -> 1/2; their mean, whichever index holds the relevant one
    assert mean_average_precision(q, gallery, [0], [1, 0]) == pytest.approx(0.75, abs=1e-15)
    assert mean_average_precision(q, gallery, [0], [0, 1]) == pytest.approx(0.75, abs=1e-15)


def test_precision_at_scope_by_hand():
    gallery = np.array([[0, 1], [1, 0.1], [1, 0], [-1, 0]], dtype=float)
    s = retrieval_scores(np.array([[1.0, 0.0]]), gallery, [0], [0, 1, 0, 1], scopes=(1, 2, 3, 4, 10))
    assert s.precision_at == pytest.approx({1: 1.0, 2: 0.5, 3: 2 / 3, 4: 0.5})  # 10 > gallery size: dropped


def test_precision_at_scope_straddling_a_tie_by_hand():
    # ranks: 0.1 (rel) then a tie of three at 0.5 holding one relevant item
    distances = np.array([[0.5, 0.1, 0.5, 0.5]])
    s = distance_scores(distances, [0], [1, 0, 0, 1], scopes=(1, 2, 3, 4))
    assert s.precision_at == pytest.approx({1: 1.0, 2: (1 + 1 / 3) / 2, 3: (1 + 2 / 3) / 3, 4: 2 / 4}, abs=1e-15)


def _tie_heavy_matrix(rng, n_queries, n_gallery, levels):
    return rng.integers(0, levels, (n_queries, n_gallery)) / levels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_loop_formula_on_random_embeddings(seed):
    rng = np.random.default_rng(seed)
    nq, ng, dim = 70, 95, 5  # query set and gallery differ in size and class balance
    queries = rng.standard_normal((nq, dim))
    gallery = rng.standard_normal((ng, dim))
    gallery[10:20] = gallery[0]  # exact duplicates create ties
    ql = rng.integers(0, 4, nq)
    gl = rng.choice(4, ng, p=[0.5, 0.3, 0.15, 0.05])
    distances = 1.0 - (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ (
        gallery / np.linalg.norm(gallery, axis=1, keepdims=True)).T
    scopes = (1, 5, 10, 37, 95)
    ours = distance_scores(distances, ql, gl, scopes)
    ref_ap, ref_hits = [], []
    for row, label in zip(distances, ql):
        rel = [g == label for g in gl]
        ref_ap.append(tie_aware_ap(list(row), rel))
        ref_hits.append(
            {k: sum(r * min(max(k - c, 0), n) / n for c, n, r in _groups_with_offsets(row, rel)) for k in scopes}
        )
    np.testing.assert_allclose(ours.average_precision, np.array(ref_ap, dtype=float), rtol=0, atol=1e-12)
    for k in scopes:
        assert ours.precision_at[k] == pytest.approx(np.mean([h[k] for h in ref_hits]) / k, abs=1e-12)


def _groups_with_offsets(row, rel):
    groups = {}
    for d, r in zip(row, rel):
        n, rr = groups.get(d, (0, 0))
        groups[d] = (n + 1, rr + int(r))
    c = 0
    for d in sorted(groups):
        n, r = groups[d]
        yield c, n, r
        c += n


@pytest.mark.parametrize("levels", [2, 3, 7, 40, 1000])
def test_agrees_with_loop_formula_under_heavy_ties(levels):
    rng = np.random.default_rng(levels)
    distances = _tie_heavy_matrix(rng, 60, 300, levels)  # few distinct values: every row is tie-heavy
    ql, gl = rng.integers(0, 3, 60), rng.integers(0, 3, 300)
    ours = distance_scores(distances, ql, gl, scopes=(1, 50, 299))
    ref = [tie_aware_ap(list(row), [g == q for g in gl]) for row, q in zip(distances, ql)]
    np.testing.assert_allclose(ours.average_precision, np.array(ref, dtype=float), rtol=0, atol=1e-12)


def test_agrees_with_loop_on_embeddings_through_cosine():
    rng = np.random.default_rng(5)
    queries = rng.integers(-1, 2, (40, 3)).astype(float)  # few distinct directions: many exact ties
    gallery = rng.integers(-1, 2, (60, 3)).astype(float)
    ql, gl = rng.integers(0, 3, 40), rng.integers(0, 3, 60)
    ours = retrieval_scores(queries, gallery, ql, gl, scopes=()).average_precision
    ref, _ = loop_scores(queries.tolist(), gallery.tolist(), ql.tolist(), gl.tolist())
    # the loop's cosine may differ from BLAS in the last bits, which can split or merge ties: compare
    # only queries whose tie structure is the same under both computations
    q_unit = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-300)
    g_unit = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-300)
    blas = 1.0 - q_unit @ g_unit.T
    ref_direct = [tie_aware_ap(list(row), [g == q for g in gl]) for row, q in zip(blas, ql)]
    expected = np.array([np.nan if r is None else r for r in ref_direct])
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    close = np.array([r is None or abs(a - r) < 1e-12 for a, r in zip(ref_direct, ref)])
    assert close.mean() > 0.9


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_brute_force_over_tie_permutations(seed):
    rng = np.random.default_rng(100 + seed)
    n = 9
    distances = rng.integers(0, 4, (5, n)) / 4.0  # tiny: every distinct order of every tie group is enumerated
    gl = rng.integers(0, 2, n)
    ql = rng.integers(0, 2, 5)
    ours = distance_scores(distances, ql, gl, scopes=()).average_precision
    for row, q, ap in zip(distances, ql, ours):
        bf = brute_force_ap(list(row), [g == q for g in gl])
        assert (bf is None and np.isnan(ap)) or abs(ap - bf) < 1e-12


def _random_ranking_ap(n, r):
    """E[AP] of a uniformly random ranking of n items with r relevant: (1/n)(H_n + (r-1)/(n-1)(n - H_n))."""
    harmonic = sum(1 / j for j in range(1, n + 1))
    slope = (r - 1) / (n - 1) if n > 1 else 0.0
    return (harmonic + slope * (n - harmonic)) / n


def test_constant_embedding_scores_the_random_ranking_expectation():
    labels = np.arange(37) % 4
    constant = np.ones((37, 6))
    s = retrieval_scores(constant, constant, labels, labels, scopes=())
    expected = [_random_ranking_ap(37, int((labels == c).sum())) for c in labels]
    np.testing.assert_allclose(s.average_precision, expected, rtol=0, atol=1e-12)


def test_equal_bit_codes_and_two_valued_embeddings_score_their_expectation():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 50)
    codes = np.ones((50, 10))  # ±1 code with all bits equal: every Hamming distance is 0
    s = retrieval_scores(codes, codes.copy(), labels, labels, scopes=())
    np.testing.assert_allclose(
        s.average_precision, [_random_ranking_ap(50, int((labels == c).sum())) for c in labels], atol=1e-12
    )
    small = labels[:10]
    two = np.where(np.arange(10) % 3 == 0, 1.0, -1.0)[:, None] * np.ones((10, 4))  # two distinct directions
    s2 = retrieval_scores(two, two, small, small, scopes=())
    unit = two / 2.0
    for i, row in enumerate(1.0 - unit @ unit.T):
        assert s2.average_precision[i] == pytest.approx(brute_force_ap(list(row), list(small == small[i])), abs=1e-12)


def test_random_and_constant_embeddings_are_indistinguishable_in_expectation():
    labels = np.arange(400) % 8
    rng = np.random.default_rng(11)
    random_maps = [
        mean_average_precision(rng.standard_normal((400, 10)), rng.standard_normal((400, 10)), labels, labels)
        for _ in range(20)
    ]
    constant = mean_average_precision(np.ones((400, 10)), np.ones((400, 10)), labels, labels)
    assert abs(np.mean(random_maps) - constant) < 3 * np.std(random_maps) / math.sqrt(20) + 1e-3


def test_continuous_data_gives_the_plain_stable_sort_ap():
    rng = np.random.default_rng(9)
    distances = rng.random((80, 500))
    ql, gl = rng.integers(0, 5, 80), rng.integers(0, 5, 500)
    ours = distance_scores(distances, ql, gl, scopes=()).average_precision
    plain = [float(plain_ap(list(gl[np.argsort(row, kind="stable")] == q))) for row, q in zip(distances, ql)]
    np.testing.assert_allclose(ours, plain, rtol=0, atol=1e-12)


def test_ulp_neighbours_negative_zero_and_float32_collisions_are_exact():
    half, up = 0.5, np.nextafter(0.5, 1.0)
    rows = np.array([
        [up, half, 0.25, 1.0, half, up],  # one unit in the last place apart, mixed relevance
        [half, up, 0.25, 1.0, up, half],
        [0.3, 0.3, 0.3, 0.1, 0.3, 0.9],  # exact ties across relevance
        [-0.0, 0.0, -1e-17, 2.0, -0.0, 1e-17],  # negative zero, tiny negative distances
        [np.nextafter(-1e-17, 0), -1e-17, 0.7, 0.7, 0.7 + 1e-12, 0.7 - 1e-12],  # float32-equal, float64-distinct
    ])
    gallery_labels = np.array([0, 1, 0, 1, 1, 0])
    for query_label in (0, 1):
        labels = np.full(len(rows), query_label)
        ours = distance_scores(rows, labels, gallery_labels, scopes=(1, 2, 3)).average_precision
        expected = [brute_force_ap(list(r), list(gallery_labels == query_label)) for r in rows]
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)


def test_query_without_relevant_items_is_left_out_of_map_and_precision():
    gallery = np.eye(3)
    s = retrieval_scores(np.eye(3)[:2], gallery, [0, 5], [0, 1, 2], scopes=(1,))
    assert s.queries_without_relevant == 1
    assert s.mean_average_precision == pytest.approx(1.0)
    assert s.precision_at[1] == pytest.approx(1.0)  # the query of class 5 is not averaged in


def test_ap_per_class_is_the_mean_over_that_class():
    rng = np.random.default_rng(3)
    q, g = rng.standard_normal((30, 4)), rng.standard_normal((30, 4))
    labels = np.arange(30) % 3
    s = retrieval_scores(q, g, labels, labels, scopes=())
    for c, ap in s.ap_per_class().items():
        assert ap == pytest.approx(s.average_precision[labels == c].mean())


def test_random_embeddings_score_about_chance():
    rng = np.random.default_rng(0)
    labels = np.arange(2000) % 10
    result = bidirectional_map(rng.standard_normal((2000, 10)), rng.standard_normal((2000, 10)), labels)
    assert abs(result["average"] - 0.1) < 0.01


def test_perfect_embeddings_score_one():
    labels = np.arange(50) % 5
    emb = np.eye(5)[labels]
    assert bidirectional_map(emb, emb, labels)["average"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "queries, gallery, ql, gl, message",
    [
        (np.ones((2, 3)), np.ones((2, 4)), [0, 1], [0, 1], "dimensions"),
        (np.ones((2, 3)), np.ones((2, 3)), [0], [0, 1], "label"),
        (np.full((2, 3), np.nan), np.ones((2, 3)), [0, 1], [0, 1], "NaN"),
        (np.ones((2, 3)), np.ones((2, 3)), [0, 0], [1, 1], "no query"),
    ],
)
def test_bad_inputs_raise_clear_errors(queries, gallery, ql, gl, message):
    with pytest.raises(ValueError, match=message):
        mean_average_precision(queries, gallery, ql, gl)


@pytest.mark.parametrize("levels", [3, 50, 100_000])
def test_bucket_repair_and_whole_row_rescoring_agree(levels, monkeypatch):
    import evaluate.metrics as metrics

    rng = np.random.default_rng(levels)
    distances = _tie_heavy_matrix(rng, 40, 400, levels)
    ql, gl = rng.integers(0, 4, 40), rng.integers(0, 4, 400)
    results = []
    for limit in (0, 10**9):  # every mixed row re-scored whole / every mixed bucket repaired in place
        monkeypatch.setattr(metrics, "_MAX_BUCKETS_PER_ROW", limit)
        s = distance_scores(distances, ql, gl, scopes=(1, 7, 100, 400))
        results.append((s.average_precision, s.precision_at))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=0, atol=1e-12)
    assert results[0][1] == pytest.approx(results[1][1], abs=1e-12)
