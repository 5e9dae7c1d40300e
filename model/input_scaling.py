"""Input scaling fitted on the training split, shared by EICS and the neural baselines.

    none     features go in as stored
    global   each dimension is centred on its training mean, then every dimension is divided
             by one number: the mean over dimensions of the training standard deviation.
             Relative sizes of the dimensions survive (PCA's ordering, near-constant
             dimensions stay small); only the overall scale and offset are fixed.

Feature files differ in scale by orders of magnitude (the sample's stand-in audio varies by
about 1 % around a large constant offset; real VGGish embeddings are O(1)), and a network
with default initialisation and one learning rate trains on some scales and not others.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from model.terms import INPUT_SCALINGS


@dataclass(frozen=True)
class InputScaler:
    """Per modality, `(x - mean) / scale`; the means are None for `none` (inputs pass unchanged)."""

    audio_mean: np.ndarray | None = None
    audio_scale: float = 1.0
    visual_mean: np.ndarray | None = None
    visual_scale: float = 1.0

    @property
    def active(self) -> bool:
        return self.audio_mean is not None

    def audio(self, x: np.ndarray) -> np.ndarray:
        return x if not self.active else ((x - self.audio_mean) / self.audio_scale)

    def visual(self, x: np.ndarray) -> np.ndarray:
        return x if not self.active else ((x - self.visual_mean) / self.visual_scale)

    def split(self, split):
        """The same `extract.feature_store.Split`, features scaled."""
        return replace(split, audio=self.audio(split.audio), visual=self.visual(split.visual))


def _centre_and_scale(x: np.ndarray) -> tuple[np.ndarray, float]:
    x = np.asarray(x, np.float64)
    scale = float(x.std(axis=0).mean())
    return x.mean(axis=0), scale if scale > 0 else 1.0  # a constant input stays constant, never NaN


def fit_input_scaler(train, mode: str) -> InputScaler:
    """Fit on the training split (`Split` with .audio and .visual) only."""
    if mode not in INPUT_SCALINGS:
        raise ValueError(f"unknown input scaling {mode!r}; choose from {list(INPUT_SCALINGS)}")
    if mode == "none":
        return InputScaler()
    audio_mean, audio_scale = _centre_and_scale(train.audio)
    visual_mean, visual_scale = _centre_and_scale(train.visual)
    return InputScaler(audio_mean, audio_scale, visual_mean, visual_scale)
