"""Training EICS on L = L_corr + alpha L_dis + beta L_cons (SGD with momentum, or Adam).

After every `validate_every` epochs the CCA fusion is fitted on the training outputs and
the validation MAP (mean of both directions) is measured; the weights with the best
validation MAP are kept, and training stops early once `patience` validations in a row
have not improved on it and at least `min_steps` optimiser steps were taken (`epochs` is
the cap). Test data never enters this module.
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
    """Every field is set from params.yaml by `pipeline.method_options.train_config` (no defaults here:
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


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9, weight_decay: float = 0.0):
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


def embed(model: keras.Model, audio: np.ndarray, visual: np.ndarray, batch_size: int = 4096) -> dict:
    """All four head outputs for paired inputs, as float64 NumPy arrays."""
    parts = []
    for start in range(0, len(audio), batch_size):
        out = inference(model, {"audio": np.asarray(audio[start:start + batch_size], np.float32),
                                "visual": np.asarray(visual[start:start + batch_size], np.float32)})
        parts.append({k: v.numpy() for k, v in out.items()})
    return {k: np.concatenate([p[k] for p in parts]).astype(np.float64) for k in parts[0]}


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


def train_eics(
    model: keras.Model,
    train,
    val,
    n_classes: int,
    cfg: TrainConfig,
    log_epoch: Callable[[int, dict], None] | None = None,
) -> TrainResult:
    """Train on `train`, select the epoch on `val` (both `extract.feature_store.Split`)."""
    rng = np.random.default_rng(cfg.seed)
    optimizer = make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.momentum, cfg.weight_decay)
    audio = tf.constant(train.audio, tf.float32)
    visual = tf.constant(train.visual, tf.float32)
    onehot = tf.one_hot(train.labels, n_classes, dtype=tf.float32)
    batch = min(cfg.batch_size, len(train))
    n_batches = len(train) // batch

    optimizer.build(model.trainable_variables)  # slots exist before tracing: the step is traced once

    @tf.function(autograph=False)  # no Python control flow inside; autograph only costs tracing time
    def train_step(idx):
        a, v, y = tf.gather(audio, idx), tf.gather(visual, idx), tf.gather(onehot, idx)
        with tf.GradientTape() as tape:
            parts = eics_loss(model({"audio": a, "visual": v}, training=True), y, cfg.alpha, cfg.beta,
                              cfg.loss_terms, cfg.constraint_pairs, cfg.corr_ridge, cfg.loss_form)
        grads = tape.gradient(parts["total"], model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return parts

    tracker, history = BestOnValidation(cfg.patience, cfg.min_steps), []
    started = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        order = rng.permutation(len(train))
        sums = {}
        for b in range(n_batches):
            parts = train_step(tf.constant(order[b * batch:(b + 1) * batch]))
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        record = {f"loss_{k}": v / n_batches for k, v in sums.items()}
        if not np.isfinite(record["loss_total"]):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch} (loss {record['loss_total']}); lower train.learning_rate"
            )
        if epoch % cfg.validate_every == 0 or epoch == cfg.epochs:
            fusion = fit_fusion(embed(model, train.audio, train.visual), cfg)
            val_map = bidirectional_map(
                *fused_embeddings(model, fusion, val.audio, val.visual, cfg.fusion_heads), val.labels
            )
            record.update({f"val_map_{k}": v for k, v in val_map.items()})
            tracker.offer(val_map["average"], lambda: (val_map, epoch, model.get_weights()), epoch * n_batches)
        history.append(record)
        if log_epoch:
            log_epoch(epoch, record)
        if tracker.should_stop:
            break
    seconds = time.perf_counter() - started
    best, best_epoch, best_weights = tracker.kept
    model.set_weights(best_weights)
    fusion = fit_fusion(embed(model, train.audio, train.visual), cfg)
    return TrainResult(model, fusion, best_epoch, best, history, seconds, epochs_run=len(history))
