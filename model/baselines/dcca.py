"""DCCA (Andrew et al., 2013): one MLP per modality trained to maximise the total canonical
correlation of their outputs on each mini-batch (the same deep-CCA objective as EICS's
L_corr), then a linear CCA fitted on the training outputs maps both into the common space.

With `cluster=True` this is C-DCCA (see c_dcca.py): the correlation is taken over every
audio-visual pair of clips that share a label inside the batch, not only over true pairs.
"""
import tensorflow as tf

from model.baselines.neural import NeuralOptions, predict, seeded_towers, train_with_validation
from model.embedder import Embedder
from model.linear_cca import fit_linear_cca
from model.losses import correlation_loss


def within_class_pairs(onehot):
    """Row indices (i, j) of every ordered pair of batch items with the same label."""
    pairs = tf.where(tf.matmul(onehot, onehot, transpose_b=True) > 0.5)
    return pairs[:, 0], pairs[:, 1]


def fit(train, val, n_classes, seed, options: NeuralOptions, ridge: float, corr_ridge: float, cluster: bool = False):
    """ridge: of the linear CCA fitted on the trained projections; corr_ridge: of the covariances in
    the correlation objective (params baselines.knobs.dcca)."""
    f, g = seeded_towers(train, seed, options)

    def loss_fn(a, v, y):
        ha, hv = f(a, training=True), g(v, training=True)
        if cluster:
            i, j = within_class_pairs(y)
            ha, hv = tf.gather(ha, i), tf.gather(hv, j)
        return correlation_loss(ha, hv, corr_ridge)

    def make_embedder():
        cca = fit_linear_cca(predict(f, train.audio), predict(g, train.visual), options.dim, ridge)
        return Embedder(lambda x: cca.transform_x(predict(f, x)), lambda x: cca.transform_y(predict(g, x)))

    return train_with_validation([f, g], loss_fn, make_embedder, train, val, n_classes, seed, options)
