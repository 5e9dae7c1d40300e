"""Training one EICS network: seed, build (input scaling inside the network), minimise
L_corr + alpha L_dis + beta L_cons through the generic loop, keep the epoch with the best
validation MAP after fusing, and fit the fusion on the training outputs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import keras

from evaluate.metrics import bidirectional_map
from model.eics.config import TrainConfig
from model.eics.embedding import embed, fit_fusion, fused_embeddings
from model.eics.network import build_eics
from model.input_scaling import fit_input_scaler
from model.linear_cca import LinearCCA
from model.losses import eics_loss
from model.training import fit_on_validation, make_optimizer, seed_everything


@dataclass
class TrainResult:
    model: keras.Model
    fusion: LinearCCA
    best_epoch: int
    best_val_map: dict
    history: list = field(default_factory=list)
    seconds: float = 0.0
    epochs_run: int = 0


def train_eics(model: keras.Model, train, val, n_classes: int, cfg: TrainConfig,
               log_epoch: Callable[[int, dict], None] | None = None, watch: dict | None = None) -> TrainResult:
    """Train EICS on `train`, select the epoch on `val` (both `extract.feature_store.Split`). Each split of
    `watch` ({name: Split}) is scored beside validation and recorded (val_map_watch_<name>), never used."""

    def loss_fn(a, v, y):
        return eics_loss(model({"audio": a, "visual": v}, training=True), y, cfg.alpha, cfg.beta,
                         cfg.loss_terms, cfg.constraint_pairs, cfg.corr_ridge, cfg.loss_form)

    def validate():
        fusion = fit_fusion(embed(model, train.audio, train.visual), cfg)
        scores = bidirectional_map(*fused_embeddings(model, fusion, val.audio, val.visual, cfg.fusion_heads),
                                   val.labels)
        for name, split in (watch or {}).items():
            scores[f"watch_{name}"] = bidirectional_map(
                *fused_embeddings(model, fusion, split.audio, split.visual, cfg.fusion_heads), split.labels)["average"]
        return scores

    optimizer = make_optimizer(cfg.optimizer, cfg.learning_rate, cfg.momentum, cfg.weight_decay)
    fitted = fit_on_validation([model], loss_fn, validate, train, n_classes, optimizer, epochs=cfg.epochs,
                               batch_size=cfg.batch_size, patience=cfg.patience, min_steps=cfg.min_steps,
                               seed=cfg.seed, validate_every=cfg.validate_every, log_epoch=log_epoch)
    fusion = fit_fusion(embed(model, train.audio, train.visual), cfg)
    return TrainResult(model, fusion, fitted.best_epoch, fitted.best_scores, fitted.history, fitted.seconds,
                       epochs_run=len(fitted.history))


def build_for(train, n_classes: int, network: dict, shared_trunk: bool):
    """An untrained EICS network for `train`'s feature sizes; `network` holds params.yaml's
    model.audio_hidden, visual_hidden, explicit_dim, activation, dropout and input_scaling."""
    network = dict(network)
    scaler = fit_input_scaler(train, network.pop("input_scaling"))
    return build_eics(train.audio.shape[1], train.visual.shape[1], n_classes, shared_trunk=shared_trunk,
                      scaler=scaler, **network)


def train_network(train, val, n_classes: int, cfg: TrainConfig, network: dict, shared_trunk: bool, log_epoch=None,
                  watch: dict | None = None):
    """Seed, build and train one EICS network (`TrainResult`): every EICS fit does
    this, the `train` stage's and the grid's (pipeline/fitting/eics_fit.py) and each variant's here."""
    seed_everything(cfg.seed)
    model = build_for(train, n_classes, network, shared_trunk)
    return train_eics(model, train, val, n_classes, cfg, log_epoch, watch)
