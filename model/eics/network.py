"""The EICS network: an explicit and an implicit head per modality (paper Fig. 2, Table 1).

    explicit:  f(a), g(v) -> explicit_dim   (trained by the correlation loss)
    implicit:  psi(a), tau(v) -> n_classes  (trained by the discriminative loss)

Each head is its own MLP (hidden widths from params; Table 1: audio [1024, 1024], visual
[1024, 2048]) with a linear output layer. With `shared_trunk=True` (the paper's
Ex-Im-share ablation) each modality has one hidden trunk that feeds both output layers.
The model is a Keras functional model with inputs {"audio", "visual"} and outputs
{"ex_audio", "ex_visual", "im_audio", "im_visual"}, so it saves and loads as `.keras`.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers

from model.precision import dtype

OUTPUTS = ("ex_audio", "ex_visual", "im_audio", "im_visual")


def hidden_trunk(x, widths, activation, name, dropout):
    for i, width in enumerate(widths):
        x = layers.Dense(width, activation=activation, name=f"{name}_hidden{i + 1}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"{name}_dropout{i + 1}")(x)
    return x


def build_eics(
    audio_dim: int,
    visual_dim: int,
    n_classes: int,
    audio_hidden,
    visual_hidden,
    explicit_dim: int,
    activation: str,
    dropout: float,
    shared_trunk: bool = False,
    scaler=None,
) -> keras.Model:
    """With an active `scaler` (`model.input_scaling.InputScaler`, fitted on the training
    split) each input is scaled inside the model, so the saved model takes raw features."""
    audio = keras.Input((audio_dim,), name="audio", dtype=dtype())
    visual = keras.Input((visual_dim,), name="visual", dtype=dtype())
    outputs = {}
    for modality, x, widths in (("audio", audio, audio_hidden), ("visual", visual, visual_hidden)):
        if scaler is not None and scaler.active:
            mean, scale = getattr(scaler, f"{modality}_mean"), getattr(scaler, f"{modality}_scale")
            x = layers.Normalization(mean=mean, variance=np.full_like(mean, scale ** 2), name=f"scale_{modality}")(x)
        if shared_trunk:
            ex_trunk = im_trunk = hidden_trunk(x, widths, activation, f"shared_{modality}", dropout)
        else:
            ex_trunk = hidden_trunk(x, widths, activation, f"ex_{modality}", dropout)
            im_trunk = hidden_trunk(x, widths, activation, f"im_{modality}", dropout)
        outputs[f"ex_{modality}"] = layers.Dense(explicit_dim, name=f"ex_{modality}")(ex_trunk)
        outputs[f"im_{modality}"] = layers.Dense(n_classes, name=f"im_{modality}")(im_trunk)
    return keras.Model({"audio": audio, "visual": visual}, {k: outputs[k] for k in OUTPUTS}, name="eics")
