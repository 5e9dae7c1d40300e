"""AGAH, adversary guided asymmetric hashing (Gu et al., 2019). Protocol: binary codes with
Hamming ranking (cosine on ±1 codes orders exactly as Hamming distance), `dim` bits.

What is kept: supervised hashing networks per modality with tanh outputs; a pairwise
label-similarity likelihood on code inner products (pairs of the same class should agree,
others disagree); asymmetry: besides relaxed-against-relaxed codes, each modality's relaxed
codes are matched against the other modality's binarised codes; a quantisation loss; an
adversarial modality classifier with
reversed gradients guiding both networks to one code distribution. What is simplified:
the multi-label attention module is left out, since these datasets have one label per clip.
"""
import tensorflow as tf

from model.baselines.neural import (
    NeuralOptions,
    modality_discriminator,
    modality_loss,
    predict,
    quantisation_loss,
    seeded_towers,
    sign_codes,
    train_with_validation,
)
from model.embedder import Embedder


def _similarity_likelihood(relaxed, binary, same, bits):
    theta = tf.matmul(relaxed, binary, transpose_b=True) * (4.0 / bits)  # inner products in [-4, 4]
    return tf.reduce_mean(tf.nn.softplus(theta) - same * theta)


def fit(train, val, n_classes, seed, options: NeuralOptions, gamma: float, quantise: float):
    """gamma weighs the adversary, quantise the quantisation loss (params baselines.knobs.agah)."""
    f, g = seeded_towers(train, seed, options, out_activation="tanh")
    discriminator = modality_discriminator(options)

    def loss_fn(a, v, y):
        ha, hv = f(a, training=True), g(v, training=True)
        same = tf.matmul(y, y, transpose_b=True)
        ba, bv = tf.stop_gradient(tf.sign(ha)), tf.stop_gradient(tf.sign(hv))
        pairwise = (
            _similarity_likelihood(ha, hv, same, options.dim)
            + _similarity_likelihood(ha, bv, same, options.dim)
            + _similarity_likelihood(hv, ba, same, options.dim)
        )
        return pairwise + gamma * modality_loss(discriminator, ha, hv) + quantise * quantisation_loss(ha, hv)

    def make_embedder():
        return Embedder(lambda x: sign_codes(predict(f, x)), lambda x: sign_codes(predict(g, x)))

    return train_with_validation([f, g, discriminator], loss_fn, make_embedder, train, val, n_classes, seed, options)
