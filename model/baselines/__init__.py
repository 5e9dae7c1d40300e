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


from model.method_names import CLOSED_FORM, EICS_VARIANTS, METHODS, NEURAL  # noqa: F401  (re-exported)


def fit_method(name: str, train, val, n_classes: int, seed: int, **options) -> Embedder:
    """Fit the named method (imported lazily: the closed-form ones need no TensorFlow)."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {list(METHODS)}")
    if name in EICS_VARIANTS:
        from model.baselines import eics_variants

        return eics_variants.fit(name, train, val, n_classes, seed, **options)
    from importlib import import_module

    fit = import_module(f"model.baselines.{name}").fit
    if name not in NEURAL:
        return fit(train, val, n_classes, seed, **options)
    # The neural baselines see scaled inputs like EICS does (its scaling sits inside its network).
    from model.input_scaling import fit_input_scaler

    scaler = fit_input_scaler(train, options["options"].input_scaling)
    embedder = fit(scaler.split(train), scaler.split(val), n_classes, seed, **options)
    return Embedder(lambda a: embedder.embed_audio(scaler.audio(a)), lambda v: embedder.embed_visual(scaler.visual(v)))
