"""UGACH, unsupervised generative adversarial cross-modal hashing (Zhang et al., 2018).
Protocol: binary codes with Hamming ranking, as the paper reports hashing methods; codes of
`dim` bits (the common-space size every method shares), ranked through cosine on ±1 codes,
which orders exactly as Hamming distance.

What is kept: no labels; a correlation graph of each modality's nearest neighbours
(manifold structure) defines which cross-modal pairs count as related; hashing networks
with tanh outputs and a quantisation loss; adversarial training. What is simplified: the
original generator samples related pairs from the graph by policy gradient and a
discriminator scores them; here the graph pairs directly serve as positives of a
cross-modal ranking loss (own pair plus graph neighbours are never negatives), and the
adversary is a modality classifier with reversed gradients.
"""
import tensorflow as tf

from model.baselines.neural import (
    NeuralOptions,
    cross_modal_triplet,
    l2_rows,
    modality_discriminator,
    modality_loss,
    predict,
    quantisation_loss,
    seeded_towers,
    sign_codes,
    train_with_validation,
)
from model.embedder import Embedder


def knn_graph(x, k):
    """Boolean in-batch graph: j among the k nearest neighbours (cosine) of i, symmetrised, with i itself."""
    x = l2_rows(x)
    sim = tf.matmul(x, x, transpose_b=True)
    kth = tf.math.top_k(sim, k=k + 1).values[:, -1:]
    graph = sim >= kth
    return tf.logical_or(graph, tf.transpose(graph))


def fit(train, val, n_classes, seed, options: NeuralOptions, gamma: float, quantise: float, neighbours: int):
    """gamma weighs the adversary, quantise the quantisation loss, neighbours sizes the k-NN graph."""
    f, g = seeded_towers(train, seed, options, out_activation="tanh")
    discriminator = modality_discriminator(options)

    def loss_fn(a, v, y):
        del y  # unsupervised
        ha, hv = f(a, training=True), g(v, training=True)
        related = tf.logical_or(knn_graph(a, neighbours), knn_graph(v, neighbours))
        rank = cross_modal_triplet(l2_rows(ha), l2_rows(hv), related, options.margin, hardest=False)
        return rank + gamma * modality_loss(discriminator, ha, hv) + quantise * quantisation_loss(ha, hv)

    def make_embedder():
        return Embedder(lambda x: sign_codes(predict(f, x)), lambda x: sign_codes(predict(g, x)))

    return train_with_validation([f, g, discriminator], loss_fn, make_embedder, train, val, n_classes, seed, options)
