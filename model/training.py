"""The one training loop (`fit_on_validation`), used by EICS (`train_eics`) and by every neural
baseline (`model.baselines.loop.train_with_validation`), and batched inference.

The loop minimises a loss over shuffled mini-batches with one traced optimiser step. After
every `validate_every` epochs it scores the validation split (mean MAP of both directions;
for EICS after fitting the CCA fusion on the training outputs), keeps the weights with the
best score, and stops once `patience` validations in a row have not improved on it and at
least `min_steps` optimiser steps were taken (`epochs` is the cap). An epoch whose mean loss
is not finite stops training with TrainingDiverged. Test data never enters this module.
"""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from evaluate.metrics import bidirectional_map
from model.cca import LinearCCA, fit_linear_cca
from model.losses import eics_loss
from model.terms import OPTIMIZERS


@dataclass
class TrainConfig:
    """Every field is set from params.yaml by `pipeline.config.train_config` (no defaults here:
    params.yaml is the one source of truth)."""

    epochs: int
    patience: int
    min_steps: int
    batch_size: int
    optimizer: str
    learning_rate: float
    momentum: float
    weight_decay: float
    alpha: float
    beta: float
    loss_form: str
    loss_terms: tuple
    constraint_pairs: tuple
    corr_ridge: float
    fusion_dim: int
    fusion_ridge: float
    fusion_heads: tuple
    validate_every: int
    seed: int


def make_optimizer(name: str, learning_rate: float, momentum: float, weight_decay: float):
    """SGD with momentum or Adam; weight decay is decoupled (AdamW-style) in both."""
    decay = weight_decay or None
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum, weight_decay=decay)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate, weight_decay=decay)
    raise ValueError(f"unknown optimizer {name!r}; choose from {list(OPTIMIZERS)}")


@dataclass
class TrainResult:
    model: keras.Model
    fusion: LinearCCA
    best_epoch: int
    best_val_map: dict
    history: list = field(default_factory=list)
    seconds: float = 0.0
    epochs_run: int = 0


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


def seed_everything(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


_TRACED = weakref.WeakKeyDictionary()
INFERENCE_BATCH = 4096  # rows per forward pass at inference: bounds memory, not results


def inference(model: keras.Model, inputs):
    """`model(inputs, training=False)`, traced into one graph for any batch size once per model.

    Training loops score the validation split after every epoch; an eager Keras call costs
    about 25 ms of Python per call there (half of an EICS fit on the bundled sample), the
    traced graph a single function call. `inputs` is a float32 array or a dict of them.
    """
    traced = _TRACED.get(model)
    if traced is None:
        spec = tf.nest.map_structure(lambda x: tf.TensorSpec((None, *x.shape[1:]), tf.float32), inputs)
        traced = tf.function(lambda x: model(x, training=False), input_signature=[spec], autograph=False)
        _TRACED[model] = traced
    return traced(inputs)


def infer_in_batches(model: keras.Model, inputs):
    """`model`'s outputs for `inputs` (an array, or a dict of arrays with the same rows), run
    INFERENCE_BATCH rows at a time through the traced graph, as float64 NumPy arrays."""
    rows = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    parts = []
    for start in range(0, rows, INFERENCE_BATCH):
        chunk = tf.nest.map_structure(lambda x: np.asarray(x[start:start + INFERENCE_BATCH], np.float32), inputs)
        parts.append(tf.nest.map_structure(lambda t: t.numpy(), inference(model, chunk)))
    return tf.nest.map_structure(lambda *xs: np.concatenate(xs).astype(np.float64), *parts)


def embed(model: keras.Model, audio: np.ndarray, visual: np.ndarray) -> dict:
    """All four head outputs of EICS for paired inputs."""
    return infer_in_batches(model, {"audio": audio, "visual": visual})


def stacked_heads(outputs: dict, heads) -> tuple[np.ndarray, np.ndarray]:
    """Per modality, the concatenation of the chosen heads ("ex", "im")."""
    audio = np.concatenate([outputs[f"{h}_audio"] for h in heads], axis=1)
    visual = np.concatenate([outputs[f"{h}_visual"] for h in heads], axis=1)
    return audio, visual


def fit_fusion(outputs: dict, cfg: TrainConfig) -> LinearCCA:
    audio, visual = stacked_heads(outputs, cfg.fusion_heads)
    dim = min(cfg.fusion_dim, audio.shape[1], visual.shape[1])
    return fit_linear_cca(audio, visual, dim, cfg.fusion_ridge)


def fused_embeddings(model, fusion: LinearCCA, audio, visual, heads) -> tuple[np.ndarray, np.ndarray]:
    a, v = stacked_heads(embed(model, audio, visual), heads)
    return fusion.transform_x(a), fusion.transform_y(v)


def fused_one_modality(model, fusion: LinearCCA, heads, modality: str, features: np.ndarray) -> np.ndarray:
    """Fused embeddings of one modality's features alone (a search query). The towers of the
    two modalities share nothing, so the other input is fed zeros and its outputs ignored."""
    features = np.atleast_2d(np.asarray(features, np.float32))
    dims = {t.name: t.shape[-1] for t in model.inputs}
    other = "visual" if modality == "audio" else "audio"
    inputs = {modality: features, other: np.zeros((len(features), dims[other]), np.float32)}
    audio, visual = stacked_heads(embed(model, inputs["audio"], inputs["visual"]), heads)
    return fusion.transform_x(audio) if modality == "audio" else fusion.transform_y(visual)


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
    audio = tf.constant(train.audio, tf.float32)
    visual = tf.constant(train.visual, tf.float32)
    onehot = tf.one_hot(train.labels, n_classes, dtype=tf.float32)
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


def train_eics(model: keras.Model, train, val, n_classes: int, cfg: TrainConfig,
               log_epoch: Callable[[int, dict], None] | None = None) -> TrainResult:
    """Train EICS on `train`, select the epoch on `val` (both `extract.feature_store.Split`)."""

    def loss_fn(a, v, y):
        return eics_loss(model({"audio": a, "visual": v}, training=True), y, cfg.alpha, cfg.beta,
                         cfg.loss_terms, cfg.constraint_pairs, cfg.corr_ridge, cfg.loss_form)

    def validate():
        fusion = fit_fusion(embed(model, train.audio, train.visual), cfg)
        return bidirectional_map(*fused_embeddings(model, fusion, val.audio, val.visual, cfg.fusion_heads), val.labels)

    optimizer = make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.momentum, cfg.weight_decay)
    fitted = fit_on_validation([model], loss_fn, validate, train, n_classes, optimizer, epochs=cfg.epochs,
                               batch_size=cfg.batch_size, patience=cfg.patience, min_steps=cfg.min_steps,
                               seed=cfg.seed, validate_every=cfg.validate_every, log_epoch=log_epoch)
    fusion = fit_fusion(embed(model, train.audio, train.visual), cfg)
    return TrainResult(model, fusion, fitted.best_epoch, fitted.best_scores, fitted.history, fitted.seconds,
                       epochs_run=len(fitted.history))
