import numpy as np
import pytest

from evaluate.metrics import bidirectional_map, mean_average_precision, retrieval_scores
from tests.reference import loop_average_precisions, loop_map


def test_hand_worked_example():
    # distances from q=(1,0): g0=(0,1) -> 1, g1=(1,0.1) -> ~0.005, g2=(1,0) -> 0, g3=(-1,0) -> 2
    gallery = np.array([[0, 1], [1, 0.1], [1, 0], [-1, 0]], dtype=float)
    # ranking g2 (rel), g1, g0 (rel), g3: AP = (1/1 + 2/3) / 2
    ap = mean_average_precision(np.array([[1.0, 0.0]]), gallery, [0], [0, 1, 0, 1])
    assert ap == pytest.approx(5 / 6, abs=1e-12)


def test_ties_are_broken_by_gallery_index():
    q = np.array([[1.0, 0.0]])
    gallery = np.array([[0, 1], [0, -1]], dtype=float)  # both at distance 1
    assert mean_average_precision(q, gallery, [0], [1, 0]) == pytest.approx(0.5)  # irrelevant g0 ranks first
    assert mean_average_precision(q, gallery, [0], [0, 1]) == pytest.approx(1.0)


def test_precision_at_scope_by_hand():
    gallery = np.array([[0, 1], [1, 0.1], [1, 0], [-1, 0]], dtype=float)
    s = retrieval_scores(np.array([[1.0, 0.0]]), gallery, [0], [0, 1, 0, 1], scopes=(1, 2, 3, 4, 10))
    assert s.precision_at == pytest.approx({1: 1.0, 2: 0.5, 3: 2 / 3, 4: 0.5})  # 10 > gallery size: dropped


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_loop_on_random_data(seed):
    rng = np.random.default_rng(seed)
    nq, ng, dim = 70, 95, 5  # query set and gallery differ in size and class balance
    queries = rng.standard_normal((nq, dim))
    gallery = rng.standard_normal((ng, dim))
    gallery[10:20] = gallery[0]  # exact duplicates create ties
    ql = rng.integers(0, 4, nq)
    gl = rng.choice(4, ng, p=[0.5, 0.3, 0.15, 0.05])
    ours = retrieval_scores(queries, gallery, ql, gl, scopes=())
    ref = loop_average_precisions(queries.tolist(), gallery.tolist(), ql.tolist(), gl.tolist())
    np.testing.assert_allclose(ours.average_precision, np.array(ref, dtype=float), rtol=0, atol=1e-9)
    assert abs(mean_average_precision(queries, gallery, ql, gl) - loop_map(queries.tolist(), gallery.tolist(), ql, gl)) < 1e-9


def test_agrees_with_loop_when_most_distances_tie():
    rng = np.random.default_rng(5)
    queries = rng.integers(-1, 2, (40, 3)).astype(float)  # few distinct directions: many exact ties
    gallery = rng.integers(-1, 2, (60, 3)).astype(float)
    ql, gl = rng.integers(0, 3, 40), rng.integers(0, 3, 60)
    ref = loop_average_precisions(queries.tolist(), gallery.tolist(), ql.tolist(), gl.tolist())
    ours = retrieval_scores(queries, gallery, ql, gl, scopes=()).average_precision
    np.testing.assert_allclose(ours, np.array([np.nan if r is None else r for r in ref]), atol=1e-9)


def test_query_without_relevant_items_is_left_out():
    gallery = np.eye(3)
    s = retrieval_scores(np.eye(3)[:2], gallery, [0, 5], [0, 1, 2], scopes=())
    assert s.queries_without_relevant == 1
    assert s.mean_average_precision == pytest.approx(1.0)


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


def test_ranking_handles_ulp_neighbours_ties_and_negative_zero():
    from evaluate.metrics import ranked_relevance

    half = 0.5
    up = np.nextafter(half, 1.0)
    rows = np.array([
        [up, half, 0.25, 1.0],        # one unit in the last place apart, mixed relevance
        [half, up, 0.25, 1.0],
        [0.3, 0.3, 0.3, 0.1],         # exact ties across relevance
        [-0.0, 0.0, -1e-17, 2.0],     # negative zero, a tiny negative distance
        [np.nextafter(-1e-17, 0), -1e-17, 0.7, 0.7],
    ])
    gallery_labels = np.array([0, 1, 0, 1])
    for query_label in (0, 1):
        labels = np.full(len(rows), query_label)
        expected = gallery_labels[np.argsort(rows, axis=1, kind="stable")] == query_label
        np.testing.assert_array_equal(ranked_relevance(rows, labels, gallery_labels), expected)
