"""EICS losses (paper section 3.3), on one batch of network outputs.

    L = L_corr + alpha * L_dis + beta * L_cons

L_corr  negative total canonical correlation of the explicit outputs (the deep-CCA
        objective): ridge-regularised covariances, whitening by eigendecomposition, and
        the trace norm of T = S_aa^(-1/2) S_av S_vv^(-1/2). Computed in float64.
L_dis   discriminative (label) loss of the implicit heads.
L_cons  orthogonality of Q1^T Q2 for the pairs (explicit, implicit) of each modality and
        (implicit audio, implicit visual), where each Q is the batch output centred over
        the batch and with every row scaled to unit length (the domain-separation
        orthogonality constraint the paper follows).

Two scales, `loss_form` (params `model.loss_form`):

reference (default) - the forms of the code the paper builds on:
        L_dis  = mean_i ||psi(a_i) - y_i||_2 + mean_i ||tau(v_i) - y_i||_2, the label loss of
                 DSCMR's released code (Zhen et al., CVPR 2019), which writes the same
                 (1/n)||P - Y||_F term of its paper as a mean of per-sample L2 norms;
        L_cons = sum over pairs of mean_{k,l} (Q1^T Q2)_{kl}^2, the "difference loss" of the
                 Domain Separation Networks code (Bousmalis et al., NeurIPS 2016) that the
                 paper cites: the mean, not the sum, of the squared correlation entries.
literal - exactly as the paper's Eqs. (3) and (4) are printed: L_dis with un-squared
        Frobenius norms divided by n (about 1e-1 on real features, so alpha barely
        matters) and L_cons as squared Frobenius norms (sums over n-sample products,
        about 1e3, so it dominates). Kept for the record (Table 4 "literal losses").
"""
from __future__ import annotations

import tensorflow as tf

from model.terms import CONSTRAINT_PAIRS, LOSS_FORMS


def _inverse_sqrt(cov):
    values, vectors = tf.linalg.eigh(cov)
    values = tf.maximum(values, 1e-12)
    return tf.matmul(vectors * tf.math.rsqrt(values)[None, :], vectors, transpose_b=True)


def total_correlation(h1, h2, ridge: float):
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


def correlation_loss(ex_audio, ex_visual, ridge: float):
    return -tf.cast(total_correlation(ex_audio, ex_visual, ridge), ex_audio.dtype)


def discriminative_loss(im_audio, im_visual, labels_onehot, form: str):
    labels_onehot = tf.cast(labels_onehot, im_audio.dtype)  # one-hot labels of any float type
    if form == "literal":
        n = tf.cast(tf.shape(labels_onehot)[0], labels_onehot.dtype)
        return (tf.norm(im_audio - labels_onehot) + tf.norm(im_visual - labels_onehot)) / n
    return (tf.reduce_mean(tf.norm(im_audio - labels_onehot, axis=1))
            + tf.reduce_mean(tf.norm(im_visual - labels_onehot, axis=1)))


def _centred_unit_rows(h):
    h = h - tf.reduce_mean(h, axis=0, keepdims=True)
    return tf.math.l2_normalize(h, axis=1, epsilon=1e-12)


def orthogonality(h1, h2, form: str):
    q1, q2 = _centred_unit_rows(h1), _centred_unit_rows(h2)
    squared = tf.square(tf.matmul(q1, q2, transpose_a=True))
    return tf.reduce_sum(squared) if form == "literal" else tf.reduce_mean(squared)


def constraint_loss(outputs, pairs, form: str):
    return tf.add_n([orthogonality(*(outputs[k] for k in CONSTRAINT_PAIRS[p]), form=form) for p in pairs]
                    or [tf.constant(0.0, outputs["ex_audio"].dtype)])


def eics_loss(outputs, labels_onehot, alpha: float, beta: float, terms, constraint_pairs, corr_ridge: float, form: str):
    """Every term (for logging) and the weighted total of the switched-on terms."""
    if form not in LOSS_FORMS:
        raise ValueError(f"unknown loss form {form!r}; choose from {list(LOSS_FORMS)}")
    parts = {
        "corr": correlation_loss(outputs["ex_audio"], outputs["ex_visual"], corr_ridge),
        "dis": discriminative_loss(outputs["im_audio"], outputs["im_visual"], labels_onehot, form),
        "cons": constraint_loss(outputs, constraint_pairs, form),
    }
    weights = {"corr": 1.0, "dis": alpha, "cons": beta}
    parts["total"] = tf.add_n([weights[t] * parts[t] for t in terms])
    return parts
