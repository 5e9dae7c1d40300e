"""EICS at inference: the four head outputs of a trained network, the per-modality stacks of
the chosen heads, the linear-CCA fusion fitted on them, and fused embeddings of paired
inputs or of one modality alone (a search query). Index, evaluate and search import this,
never the training loop."""
from __future__ import annotations

import keras
import numpy as np

from model.eics.config import TrainConfig
from model.inference import infer_in_batches
from model.linear_cca import LinearCCA, fit_linear_cca


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
    features = np.atleast_2d(np.asarray(features, np.float64))
    dims = {t.name: t.shape[-1] for t in model.inputs}
    other = "visual" if modality == "audio" else "audio"
    inputs = {modality: features, other: np.zeros((len(features), dims[other]), np.float64)}
    audio, visual = stacked_heads(embed(model, inputs["audio"], inputs["visual"]), heads)
    return fusion.transform_x(audio) if modality == "audio" else fusion.transform_y(visual)
