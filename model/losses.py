"""EICS losses (paper section 3.3), on one batch of network outputs.

    L = L_corr + alpha * L_dis + beta * L_cons

L_corr  negative total canonical correlation of the explicit outputs (the deep-CCA
        objective): ridge-regularised covariances, whitening by eigendecomposition, and
        the trace norm of T = S_aa^(-1/2) S_av S_vv^(-1/2). Computed in float64.
L_dis   (1/n)||psi(A) - Y||_F + (1/n)||tau(V) - Y||_F with un-squared Frobenius norms,
        exactly as the paper's Eq. (3) is written.
L_cons  squared Frobenius norms of Q1^T Q2 for the pairs (explicit, implicit) of each
        modality and (implicit audio, implicit visual), where each Q is the batch output
        centred over the batch and with every row scaled to unit length (the
        domain-separation orthogonality constraint the paper follows).
"""
from __future__ import annotations

import tensorflow as tf

from model.terms import CONSTRAINT_PAIRS, LOSS_TERMS


def _inverse_sqrt(cov):
    values, vectors = tf.linalg.eigh(cov)
    values = tf.maximum(values, 1e-12)
    return tf.matmul(vectors * tf.math.rsqrt(values)[None, :], vectors, transpose_b=True)


def total_correlation(h1, h2, ridge: float = 1e-4):
    """Sum of the canonical correlations between the columns of h1 and h2 (batch rows).

    The ridge is added to each auto-covariance as `ridge` times its mean variance.
    """
    h1 = tf.cast(h1, tf.float64)
    h2 = tf.cast(h2, tf.float64)
    n = tf.cast(tf.shape(h1)[0], tf.float64)
    h1 = h1 - tf.reduce_mean(h1, axis=0, keepdims=True)
    h2 = h2 - tf.reduce_mean(h2, axis=0, keepdims=True)

    def auto_cov(h):
        cov = tf.matmul(h, h, transpose_a=True) / (n - 1)
        dim = tf.shape(cov)[0]
        scale = tf.linalg.trace(cov) / tf.cast(dim, tf.float64)
        return cov + ridge * tf.maximum(scale, 1e-12) * tf.eye(dim, dtype=tf.float64)

    s12 = tf.matmul(h1, h2, transpose_a=True) / (n - 1)
    t = _inverse_sqrt(auto_cov(h1)) @ s12 @ _inverse_sqrt(auto_cov(h2))
    singular_sq = tf.linalg.eigvalsh(tf.matmul(t, t, transpose_a=True))
    return tf.reduce_sum(tf.sqrt(tf.maximum(singular_sq, 1e-12)))


def correlation_loss(ex_audio, ex_visual, ridge: float = 1e-4):
    return -tf.cast(total_correlation(ex_audio, ex_visual, ridge), tf.float32)


def discriminative_loss(im_audio, im_visual, labels_onehot):
    n = tf.cast(tf.shape(labels_onehot)[0], tf.float32)
    return (tf.norm(im_audio - labels_onehot) + tf.norm(im_visual - labels_onehot)) / n


def _centred_unit_rows(h):
    h = h - tf.reduce_mean(h, axis=0, keepdims=True)
    return tf.math.l2_normalize(h, axis=1, epsilon=1e-12)


def orthogonality(h1, h2):
    q1, q2 = _centred_unit_rows(h1), _centred_unit_rows(h2)
    return tf.reduce_sum(tf.square(tf.matmul(q1, q2, transpose_a=True)))


def constraint_loss(outputs, pairs=tuple(CONSTRAINT_PAIRS)):
    return tf.add_n([orthogonality(*(outputs[k] for k in CONSTRAINT_PAIRS[p])) for p in pairs] or [tf.constant(0.0)])


def eics_loss(outputs, labels_onehot, alpha: float, beta: float, terms=LOSS_TERMS,
              constraint_pairs=tuple(CONSTRAINT_PAIRS), corr_ridge: float = 1e-4):
    """Every term (for logging) and the weighted total of the switched-on terms."""
    parts = {
        "corr": correlation_loss(outputs["ex_audio"], outputs["ex_visual"], corr_ridge),
        "dis": discriminative_loss(outputs["im_audio"], outputs["im_visual"], labels_onehot),
        "cons": constraint_loss(outputs, constraint_pairs),
    }
    weights = {"corr": 1.0, "dis": alpha, "cons": beta}
    parts["total"] = tf.add_n([weights[t] * parts[t] for t in terms])
    return parts
