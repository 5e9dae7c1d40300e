"""What the neural baselines share: small MLPs, a gradient-reversal op for the adversarial
ones, and the adapter to the one training loop of model/training.py (after every epoch the
method's embedder is scored on the validation split and the best weights are kept)."""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from evaluate.metrics import bidirectional_map
from model.embedder import Embedder
from model.inference import infer_in_batches
from model.precision import dtype
from model.training import fit_on_validation, make_optimizer, seed_everything


@dataclass
class NeuralOptions:
    """Set from params.yaml `baselines` (and a tuning point) by `pipeline.settings.methods.method_options`."""

    hidden: tuple                # hidden widths of every projector
    activation: str              # of their hidden layers (model.terms.ACTIVATIONS)
    dim: int                     # size of the common space (or code length for hashing)
    epochs: int                  # cap on passes over the training split
    patience: int                # stop after this many epochs without a better validation MAP
    min_steps: int               # ... but never before this many optimiser steps
    batch_size: int
    optimizer: str               # sgd | adam (model.terms.OPTIMIZERS)
    learning_rate: float         # optimiser step size
    momentum: float              # SGD momentum (sgd only)
    adam_beta1: float            # Adam's first-moment decay (adam only)
    weight_decay: float          # decoupled weight decay (0 = off), as for EICS
    input_scaling: str           # none | global (model.input_scaling; applied by model.methods.fit_method)
    margin: float                # triplet / ranking margin (cosine units)


def mlp(input_dim, widths, out_dim, name, activation: str, out_activation=None) -> keras.Sequential:
    return keras.Sequential(
        [keras.Input((input_dim,), dtype=dtype())]
        + [layers.Dense(w, activation=activation, name=f"{name}_hidden{i + 1}") for i, w in enumerate(widths)]
        + [layers.Dense(out_dim, activation=out_activation, name=f"{name}_out")],
        name=name,
    )


def seeded_towers(train, seed: int, options: NeuralOptions, out_activation=None):
    """(f, g): the audio and the visual projector of a two-tower baseline, hidden widths and
    activation from `options`, `options.dim` outputs, built right after seeding (so every
    later layer's initial weights follow from the seed too)."""
    seed_everything(seed)
    f = mlp(train.audio.shape[1], options.hidden, options.dim, "audio", options.activation, out_activation)
    g = mlp(train.visual.shape[1], options.hidden, options.dim, "visual", options.activation, out_activation)
    return f, g


def modality_discriminator(options: NeuralOptions) -> keras.Sequential:
    """The adversary of ACMR, UCAL, UGACH and AGAH: tells audio from visual embeddings."""
    return mlp(options.dim, (options.dim * 2,), 1, "modality_classifier", options.activation)


@tf.custom_gradient
def reverse_gradient(x):
    """Identity forward, negated gradient backward: one optimiser then plays both sides of a
    min-max game (the discriminator descends, the projectors ascend its loss)."""
    return tf.identity(x), lambda dy: -dy


def modality_loss(discriminator, u, w):
    """Cross-entropy of telling audio (1) from visual (0), on gradient-reversed embeddings."""
    logits = discriminator(tf.concat([reverse_gradient(u), reverse_gradient(w)], axis=0), training=True)[:, 0]
    truth = tf.concat([tf.ones(tf.shape(u)[0], u.dtype), tf.zeros(tf.shape(w)[0], w.dtype)], axis=0)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(truth, logits))


def l2_rows(x):
    return tf.math.l2_normalize(x, axis=1)


def hinge(positive_sim, negative_sim, margin):
    """Triplet hinge on similarities: mean of max(0, margin - s(anchor, pos) + s(anchor, neg))."""
    return tf.reduce_mean(tf.nn.relu(margin - positive_sim + negative_sim))


def cross_modal_triplet(a, v, related, margin, hardest=True):
    """Cross-modal triplet loss in both directions; the positive of clip i is its own pair.

    `a`, `v` are row-normalised embeddings of paired clips; `related[i, j]` is true when
    item j must not serve as a negative for i (same label, or the identity matrix when no
    labels are used). With `hardest` the hardest in-batch negative is used; otherwise the
    hinge is averaged over all negatives (steadier without labels, where the hardest
    negative is often a same-class clip).
    """
    sim = tf.matmul(a, v, transpose_b=True)
    positive = tf.linalg.diag_part(sim)
    if hardest:
        masked = sim - 4.0 * tf.cast(related, sim.dtype)  # cosine >= -1, so related items drop out
        return hinge(positive, tf.reduce_max(masked, axis=1), margin) + hinge(
            positive, tf.reduce_max(masked, axis=0), margin
        )
    negative = 1.0 - tf.cast(related, sim.dtype)
    rows = tf.nn.relu(margin - positive[:, None] + sim) * negative
    cols = tf.nn.relu(margin - positive[None, :] + sim) * negative
    return (tf.reduce_sum(rows) + tf.reduce_sum(cols)) / tf.maximum(tf.reduce_sum(negative), 1.0)


def train_with_validation(models, loss_fn, make_embedder, train, val, n_classes, seed, opts: NeuralOptions,
                          watch: dict | None = None) -> Embedder:
    """Minimise `loss_fn(audio, visual, onehot)` over the weights of `models` with the shared loop
    (`model.training.fit_on_validation`), scoring `make_embedder()` on `val` after every epoch;
    returns the embedder at the best epoch, with every epoch's record. Each split of `watch`
    ({name: Split}) is scored beside validation and recorded (val_map_watch_<name>), never used."""

    def validate():
        embedder = make_embedder()
        scores = bidirectional_map(embedder.embed_audio(val.audio), embedder.embed_visual(val.visual), val.labels)
        for name, split in (watch or {}).items():
            scores[f"watch_{name}"] = bidirectional_map(embedder.embed_audio(split.audio),
                                                        embedder.embed_visual(split.visual), split.labels)["average"]
        return scores

    optimizer = make_optimizer(opts.optimizer, opts.learning_rate, opts.momentum, opts.weight_decay, opts.adam_beta1)
    fitted = fit_on_validation(models, loss_fn, validate, train, n_classes, optimizer, epochs=opts.epochs,
                               batch_size=opts.batch_size, patience=opts.patience, min_steps=opts.min_steps, seed=seed)
    embedder = make_embedder()
    embedder.history = fitted.history
    return embedder


def predict(model, x) -> np.ndarray:
    """One projector's outputs for the rows of `x`."""
    return infer_in_batches(model, x)


def sign_codes(x: np.ndarray) -> np.ndarray:
    """±1 binary codes. For codes of equal length, cosine similarity is 1 - 2 * Hamming / bits,
    so ranking them by cosine (ties by index) is exactly Hamming ranking."""
    return np.where(x >= 0, 1.0, -1.0)


def quantisation_loss(*relaxed):
    """Mean squared distance of tanh outputs from their signs (pushes them towards ±1)."""
    return tf.add_n([tf.reduce_mean(tf.square(h - tf.stop_gradient(tf.sign(h)))) for h in relaxed])
