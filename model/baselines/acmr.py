"""ACMR, adversarial cross-modal retrieval (Wang et al., 2017). Real-valued common space,
ranked by cosine similarity, as the paper reports it beside the real-valued methods.

Feature projectors f (audio) and g (visual) map into the common space. Their embedding
loss combines label prediction (a softmax classifier on the common space, both
modalities) and cross-modal triplet constraints (hardest in-batch negative of another
class). A modality classifier tries to tell audio embeddings from visual ones; the
projectors receive its gradient reversed, so they learn modality-invariant embeddings.

    L = label_weight * L_label + L_triplet + gamma * L_modality(reversed)   (params baselines.knobs.acmr)

The authors' released code weighs the label loss 100 against the triplet loss and trains with
Adam (learning rate 1e-4, beta1 0.5) on batches of 64; that point is in ACMR's tuning grid. It
also trains the modality classifier with its own optimiser and ramps the reversed gradient up
over the epochs; here one optimiser plays both sides at a fixed weight gamma.
"""
import keras
import tensorflow as tf

from model.baselines.neural import (
    NeuralOptions,
    cross_modal_triplet,
    l2_rows,
    mlp,
    modality_discriminator,
    modality_loss,
    predict,
    seeded_towers,
    train_with_validation,
)
from model.embedder import Embedder


def fit(train, val, n_classes, seed, options: NeuralOptions, gamma: float, label_weight: float):
    f, g = seeded_towers(train, seed, options)
    classifier = mlp(options.dim, (), n_classes, "label_classifier", options.activation)
    discriminator = modality_discriminator(options)
    cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True)

    def loss_fn(a, v, y):
        u, w = f(a, training=True), g(v, training=True)
        label = cross_entropy(y, classifier(u, training=True)) + cross_entropy(y, classifier(w, training=True))
        same = tf.matmul(y, y, transpose_b=True) > 0.5
        triplet = cross_modal_triplet(l2_rows(u), l2_rows(w), same, options.margin)
        return label_weight * label + triplet + gamma * modality_loss(discriminator, u, w)

    def make_embedder():
        return Embedder(lambda x: predict(f, x), lambda x: predict(g, x))

    return train_with_validation(
        [f, g, classifier, discriminator], loss_fn, make_embedder, train, val, n_classes, seed, options
    )
