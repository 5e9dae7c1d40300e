"""What every trained method hands to the evaluation: a map of audio rows and one of visual
rows (of any split) into one shared space, ranked there by cosine similarity."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Embedder:
    embed_audio: Callable[[np.ndarray], np.ndarray]
    embed_visual: Callable[[np.ndarray], np.ndarray]
    history: list = field(default_factory=list)  # per epoch of a trained network: losses and validation MAPs
