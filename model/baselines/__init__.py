"""Methods compared with EICS (paper Tables 2 and 4), each fitted on the same features.

Every method module exposes `fit(train, val, n_classes, seed, **options) -> Embedder`; the
embedder maps audio and visual rows of any split into a shared space where the same
`evaluate.metrics` code ranks by cosine similarity. `val` is there for methods that select
an epoch; the test split never reaches `fit`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Embedder:
    embed_audio: Callable[[np.ndarray], np.ndarray]
    embed_visual: Callable[[np.ndarray], np.ndarray]


from model.baselines.names import CLOSED_FORM, EICS_VARIANTS, METHODS, NEURAL  # noqa: F401  (re-exported)


def fit_method(name: str, train, val, n_classes: int, seed: int, **options) -> Embedder:
    """Fit the named method (imported lazily: the closed-form ones need no TensorFlow)."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {list(METHODS)}")
    if name in EICS_VARIANTS:
        from model.baselines import eics_variants

        return eics_variants.fit(name, train, val, n_classes, seed, **options)
    from importlib import import_module

    return import_module(f"model.baselines.{name}").fit(train, val, n_classes, seed, **options)
