"""UCAL, unsupervised cross-modal adversarial learning (He et al., 2017). No labels are used.

Projectors f and g map both modalities into a real-valued common space (cosine ranking).
A bidirectional ranking loss pulls each clip's own audio-visual pair together and pushes
the hardest other in-batch item away; a modality classifier on the embeddings, with its
gradient reversed into the projectors, makes the two modalities indistinguishable.

    L = L_rank + gamma * L_modality(reversed)   (gamma: params baselines.knobs.ucal)
"""
import tensorflow as tf

from model.baselines.neural import (
    NeuralOptions,
    cross_modal_triplet,
    l2_rows,
    modality_discriminator,
    modality_loss,
    predict,
    seeded_towers,
    train_with_validation,
)
from model.embedder import Embedder


def fit(train, val, n_classes, seed, options: NeuralOptions, gamma: float):
    f, g = seeded_towers(train, seed, options)
    discriminator = modality_discriminator(options)

    def loss_fn(a, v, y):
        del y  # unsupervised
        u, w = f(a, training=True), g(v, training=True)
        own_pair_only = tf.eye(tf.shape(u)[0], dtype=tf.bool)
        return cross_modal_triplet(
            l2_rows(u), l2_rows(w), own_pair_only, options.margin, hardest=False
        ) + gamma * modality_loss(discriminator, u, w)

    def make_embedder():
        return Embedder(lambda x: predict(f, x), lambda x: predict(g, x))

    return train_with_validation([f, g, discriminator], loss_fn, make_embedder, train, val, n_classes, seed, options)
