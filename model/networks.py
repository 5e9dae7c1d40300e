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
from keras import layers

OUTPUTS = ("ex_audio", "ex_visual", "im_audio", "im_visual")


def hidden_trunk(x, widths, activation, name, dropout=0.0):
    for i, width in enumerate(widths):
        x = layers.Dense(width, activation=activation, name=f"{name}_hidden{i + 1}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"{name}_dropout{i + 1}")(x)
    return x


def build_eics(
    audio_dim: int,
    visual_dim: int,
    n_classes: int,
    audio_hidden=(1024, 1024),
    visual_hidden=(1024, 2048),
    explicit_dim: int = 10,
    activation: str = "relu",
    shared_trunk: bool = False,
    dropout: float = 0.0,
    input_mean: tuple | None = None,
    input_scale: tuple | None = None,
) -> keras.Model:
    """`input_mean` / `input_scale` ((audio, visual) vectors, from the training split) standardise
    each input inside the model, so the saved model takes raw features."""
    audio = keras.Input((audio_dim,), name="audio")
    visual = keras.Input((visual_dim,), name="visual")
    outputs = {}
    for index, (modality, x, widths) in enumerate((("audio", audio, audio_hidden), ("visual", visual, visual_hidden))):
        if input_mean is not None:
            x = layers.Normalization(mean=input_mean[index], variance=input_scale[index] ** 2, name=f"standardise_{modality}")(x)
        if shared_trunk:
            ex_trunk = im_trunk = hidden_trunk(x, widths, activation, f"shared_{modality}", dropout)
        else:
            ex_trunk = hidden_trunk(x, widths, activation, f"ex_{modality}", dropout)
            im_trunk = hidden_trunk(x, widths, activation, f"im_{modality}", dropout)
        outputs[f"ex_{modality}"] = layers.Dense(explicit_dim, name=f"ex_{modality}")(ex_trunk)
        outputs[f"im_{modality}"] = layers.Dense(n_classes, name=f"im_{modality}")(im_trunk)
    return keras.Model({"audio": audio, "visual": visual}, {k: outputs[k] for k in OUTPUTS}, name="eics")
