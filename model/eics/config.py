"""EICS's training settings, one field per params.yaml key it reads (`train` and `model`
keys by name, `fusion` keys as fusion_<key>); built by `pipeline.settings.eics.train_config`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    """Every field is set from params.yaml by `pipeline.settings.eics.train_config` (no defaults here:
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
