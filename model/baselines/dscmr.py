"""DSCMR, deep supervised cross-modal retrieval (Zhen et al., 2019).

One MLP per modality maps into a common space (U for audio, V for visual); a linear
classifier P without bias is shared by both modalities (the weight-sharing strategy).
Loss, in the form of the authors' released code (per-clip norms):

    J_label  = mean_i ||P u_i - y_i|| + mean_i ||P v_i - y_i||      (label space)
    J_common = mean over pairs of softplus(T_ij) - S_ij T_ij   with T_ij = cos(x_i, x_j) / 2,
               S_ij = 1 for the same label; inter-modal plus both intra-modal terms
    J_invar  = mean_i ||u_i - v_i||                                (modality invariance)
    J = J_label + alpha J_common + beta J_invar
"""
import tensorflow as tf
from keras import layers

from model.baselines.neural import NeuralOptions, l2_rows, predict, seeded_towers, train_with_validation
from model.embedder import Embedder


def _pair_likelihood(x1, x2, same):
    theta = 0.5 * tf.matmul(l2_rows(x1), l2_rows(x2), transpose_b=True)
    return tf.reduce_mean(tf.nn.softplus(theta) - same * theta)


def fit(train, val, n_classes, seed, options: NeuralOptions, alpha: float, beta: float):
    """alpha weighs J_common, beta J_invar (params baselines.knobs.dscmr; the authors' defaults 0.001, 0.1)."""
    f, g = seeded_towers(train, seed, options)
    classifier = layers.Dense(n_classes, use_bias=False, name="shared_classifier")
    classifier.build((None, options.dim))

    def loss_fn(a, v, y):
        u, w = f(a, training=True), g(v, training=True)
        same = tf.matmul(y, y, transpose_b=True)
        common = _pair_likelihood(u, w, same) + _pair_likelihood(u, u, same) + _pair_likelihood(w, w, same)
        label = tf.reduce_mean(tf.norm(classifier(u) - y, axis=1)) + tf.reduce_mean(tf.norm(classifier(w) - y, axis=1))
        invariance = tf.reduce_mean(tf.norm(u - w, axis=1))
        return label + alpha * common + beta * invariance

    def make_embedder():
        return Embedder(lambda x: predict(f, x), lambda x: predict(g, x))

    return train_with_validation([f, g, classifier], loss_fn, make_embedder, train, val, n_classes, seed, options)
