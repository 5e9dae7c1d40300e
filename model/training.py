"""The one training loop (`fit_on_validation`), used by EICS (`model.eics.training.train_eics`)
and by every neural baseline (`model.baselines.neural.train_with_validation`).

The loop minimises a loss over shuffled mini-batches with one traced optimiser step. After
every `validate_every` epochs it scores the validation split (mean MAP of both directions;
for EICS after fitting the CCA fusion on the training outputs), keeps the weights with the
best score, and stops once `patience` validations in a row have not improved on it and at
least `min_steps` optimiser steps were taken (`epochs` is the cap). An epoch whose mean loss
is not finite stops training with TrainingDiverged. Test data never enters this module.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from model.precision import dtype
from model.terms import OPTIMIZERS


def make_optimizer(name: str, learning_rate: float, momentum: float, weight_decay: float, adam_beta1: float = 0.9):
    """SGD with momentum or Adam (first-moment decay `adam_beta1`, Keras's default 0.9); weight
    decay is decoupled (AdamW-style) in both."""
    decay = weight_decay or None
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum, weight_decay=decay)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=adam_beta1, weight_decay=decay)
    raise ValueError(f"unknown optimizer {name!r}; choose from {list(OPTIMIZERS)}")


class BestOnValidation:
    """Early stopping shared by EICS and the neural baselines: the best validation score so far,
    what was kept with it, and whether `patience` checks in a row have failed to beat it once
    at least `min_steps` optimiser steps have been taken (on a small training split an epoch is
    a single step, and a few steps decide nothing)."""

    def __init__(self, patience: int, min_steps: int):
        self.patience, self.min_steps = patience, min_steps
        self.score, self.kept, self.stale, self.steps = -np.inf, None, 0, 0

    def offer(self, score: float, keep, steps: int) -> None:
        """`keep()` is called (weights copied) only when `score` is a new best; `steps` is the
        number of optimiser steps taken so far."""
        self.steps = steps
        if score > self.score:
            self.score, self.kept, self.stale = score, keep(), 0
        else:
            self.stale += 1

    @property
    def should_stop(self) -> bool:
        return self.stale >= self.patience and self.steps >= self.min_steps


class TrainingDiverged(RuntimeError):
    pass


@contextmanager
def step_gradients_released():
    """Drop, when the block ends, the gradient functions TensorFlow registered while tracing in it.

    Keras's optimizer sums the gradients through the distribution strategy's all-reduce, whose custom
    gradient TensorFlow registers under a new name at every trace and never removes; the registered
    function holds the traced step and, through it, the training split it captured. Without this a
    process that runs fits one after another (a Ray worker) grows by about 50 MB per fit at the
    synthetic data's size. The registry is TensorFlow's internal one (`ops._gradient_registry`, pinned
    version); `tests/test_training.py` fails if a fit leaves an entry behind."""
    from tensorflow.python.framework import ops as tf_ops

    registry = getattr(getattr(tf_ops, "_gradient_registry", None), "_registry", None)
    before = set(registry) if registry is not None else set()
    try:
        yield
    finally:
        if registry is not None:
            for name in [k for k in registry if k not in before and k.startswith("CustomGradient")]:
                del registry[name]


def seed_everything(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


@dataclass
class Fitted:
    """What `fit_on_validation` kept: the best validation scores, their epoch, every epoch's record."""

    best_scores: dict
    best_epoch: int
    history: list
    seconds: float


def fit_on_validation(models, loss_fn, validate, train, n_classes: int, optimizer, *, epochs: int, batch_size: int,
                      patience: int, min_steps: int, seed: int, validate_every: int = 1,
                      log_epoch: Callable[[int, dict], None] | None = None) -> Fitted:
    """Minimise `loss_fn(audio, visual, onehot)` over the trainable weights of `models` on `train`.

    `loss_fn` returns the loss, or a dict of named loss terms with the minimised one under
    "total" (each term's epoch mean is recorded as loss_<name>). `validate()` returns validation
    MAPs with the score to maximise under "average" (recorded as val_map_<name>). The weights of
    every model in `models` are left at the best validated epoch.
    """
    rng = np.random.default_rng(seed)
    variables = []
    for model in models:
        variables += [v for v in model.trainable_variables if all(v is not w for w in variables)]
    audio = tf.constant(train.audio, dtype())
    visual = tf.constant(train.visual, dtype())
    onehot = tf.one_hot(train.labels, n_classes, dtype=dtype())
    batch = min(batch_size, len(train))
    n_batches = len(train) // batch

    optimizer.build(variables)  # slots exist before tracing: the step is traced once

    @tf.function(autograph=False)  # no Python control flow inside; autograph only costs tracing time
    def step(idx):
        with tf.GradientTape() as tape:
            parts = loss_fn(tf.gather(audio, idx), tf.gather(visual, idx), tf.gather(onehot, idx))
            parts = parts if isinstance(parts, dict) else {"total": parts}
        optimizer.apply_gradients(zip(tape.gradient(parts["total"], variables), variables))
        return parts

    tracker, history = BestOnValidation(patience, min_steps), []
    started = time.perf_counter()
    with step_gradients_released():
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(train))
            sums = {}
            for b in range(n_batches):
                for k, v in step(tf.constant(order[b * batch:(b + 1) * batch])).items():
                    sums[k] = sums.get(k, 0.0) + float(v)
            record = {f"loss_{k}": v / n_batches for k, v in sums.items()}
            if not np.isfinite(record["loss_total"]):
                raise TrainingDiverged(f"training diverged at epoch {epoch} (mean loss {record['loss_total']}); "
                                       "lower the learning rate")
            if epoch % validate_every == 0 or epoch == epochs:
                scores = validate()
                record.update({f"val_map_{k}": v for k, v in scores.items()})
                tracker.offer(scores["average"], lambda: (scores, epoch, [m.get_weights() for m in models]),
                              epoch * n_batches)
            history.append(record)
            if log_epoch:
                log_epoch(epoch, record)
            if tracker.should_stop:
                break
        best_scores, best_epoch, weights = tracker.kept
        for model, kept in zip(models, weights):
            model.set_weights(kept)
    return Fitted(best_scores, best_epoch, history, time.perf_counter() - started)
