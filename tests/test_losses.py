import numpy as np
import pytest
import tensorflow as tf

from model.linear_cca import fit_linear_cca
from model.losses import constraint_loss, discriminative_loss, eics_loss, orthogonality, total_correlation
from model.terms import CONSTRAINT_PAIRS

# every constraint pair, the reference loss forms and ridge (params.yaml's model section as shipped)
REFERENCE_LOSS = {"constraint_pairs": tuple(CONSTRAINT_PAIRS), "corr_ridge": 1e-4, "form": "reference"}


def correlated(n=500, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 3))
    h1 = np.c_[z, rng.standard_normal((n, 2))] @ rng.standard_normal((5, 5))
    h2 = np.c_[z + 0.3 * rng.standard_normal((n, 3)), rng.standard_normal((n, 2))] @ rng.standard_normal((5, 5))
    return h1, h2


def test_total_correlation_matches_closed_form_cca():
    h1, h2 = correlated()
    ours = float(total_correlation(tf.constant(h1), tf.constant(h2), ridge=1e-4))
    reference = fit_linear_cca(h1, h2, dim=5, ridge=1e-4).correlations.sum()  # scipy SVD route
    assert ours == pytest.approx(reference, abs=1e-6)
    assert 2.5 < ours < 3.0  # three shared directions at correlation 1/sqrt(1.09), two independent


def test_correlation_gradient_is_finite():
    h1, h2 = (tf.Variable(h.astype(np.float32)) for h in correlated(64))
    with tf.GradientTape() as tape:
        loss = -total_correlation(h1, h2, ridge=1e-4)
    grads = tape.gradient(loss, [h1, h2])
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_discriminative_loss_by_hand_in_both_forms():
    y = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    im_a = tf.constant([[1.0, 0.0], [0.0, 0.0]])  # row errors 0 and 1: Frobenius norm 1
    im_v = tf.constant([[0.0, 0.0], [0.0, 0.0]])  # row errors 1 and 1: Frobenius norm sqrt(2)
    assert float(discriminative_loss(im_a, im_v, y, "literal")) == pytest.approx((1 + np.sqrt(2)) / 2)
    assert float(discriminative_loss(im_a, im_v, y, "reference")) == pytest.approx((0 + 1) / 2 + (1 + 1) / 2)


def test_orthogonality_matches_numpy_and_vanishes_on_disjoint_support():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 4))

    def centred_unit_rows(h):
        h = h - h.mean(axis=0)
        return h / np.linalg.norm(h, axis=1, keepdims=True)

    squared = (centred_unit_rows(x).T @ centred_unit_rows(y)) ** 2
    assert float(orthogonality(tf.constant(x), tf.constant(y), "literal")) == pytest.approx(squared.sum(), rel=1e-5)
    assert float(orthogonality(tf.constant(x), tf.constant(y), "reference")) == pytest.approx(squared.mean(), rel=1e-5)
    u, w = rng.standard_normal(3), rng.standard_normal(4)
    h1 = np.stack([u, -u, 0 * u, 0 * u])  # centred already; rows 2-3 are zero
    h2 = np.stack([0 * w, 0 * w, w, -w])  # rows 0-1 are zero
    assert float(orthogonality(tf.constant(h1), tf.constant(h2), "reference")) == pytest.approx(0.0, abs=1e-12)
    assert float(orthogonality(tf.constant(h1), tf.constant(h1), "literal")) > 1.0


def test_constraint_pairs_and_switchable_terms():
    rng = np.random.default_rng(1)
    out = {
        k: tf.constant(rng.standard_normal((32, 4)), tf.float32)
        for k in ("ex_audio", "ex_visual", "im_audio", "im_visual")
    }
    y = tf.one_hot(np.arange(32) % 4, 4)
    one = float(constraint_loss(out, ("im_im",), "reference"))
    assert one == pytest.approx(float(orthogonality(out["im_audio"], out["im_visual"], "reference")), rel=1e-6)
    parts = eics_loss(out, y, alpha=0.5, beta=0.25, terms=("dis", "cons"), **REFERENCE_LOSS)
    assert float(parts["total"]) == pytest.approx(0.5 * float(parts["dis"]) + 0.25 * float(parts["cons"]), rel=1e-6)
    only_corr = eics_loss(out, y, alpha=0.5, beta=0.25, terms=("corr",), **REFERENCE_LOSS)
    assert float(only_corr["total"]) == pytest.approx(float(only_corr["corr"]))
