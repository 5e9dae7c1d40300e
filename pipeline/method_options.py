"""How a compared method is configured: its params.yaml settings, overridden by a tuning point.

A knob is a key of the section the method reads: EICS and its variants read `train`,
`model` and `fusion` (network widths and dropout included); the neural baselines read
`baselines` and `baselines.knobs.<name>`; the closed-form ones `baselines.knobs.<name>`.
No TensorFlow import here, so params validation can use it.
"""
from __future__ import annotations

import itertools

from model.baselines.names import CLOSED_FORM, EICS_VARIANTS, NEURAL

NETWORK_KEYS = ("audio_hidden", "visual_hidden", "explicit_dim", "activation", "dropout")
NEURAL_KEYS = ("hidden", "epochs", "patience", "batch_size", "learning_rate", "weight_decay", "margin")
LOSS_KEYS = ("alpha", "beta", "loss_form", "loss_terms", "constraint_pairs", "corr_ridge")
FUSION_KEYS = ("fusion_dim", "fusion_ridge", "fusion_heads")


def known_knobs(name: str, params: dict) -> set:
    if name in EICS_VARIANTS:
        return set(params["train"]) | set(LOSS_KEYS) | set(FUSION_KEYS) | set(NETWORK_KEYS)
    own = set(params["baselines"]["knobs"].get(name, {}))
    return own | set(NEURAL_KEYS) if name in NEURAL else own


def tuned_as(name: str, params: dict) -> str | None:
    """Whose tuning result a method runs at: its own grid, EICS's for the ablations, none for Random."""
    if name in params["tuning"]["grids"]:
        return name
    return "eics" if name in EICS_VARIANTS else None


def grid_points(grid: dict) -> list[dict]:
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def method_options(name: str, params: dict, point: dict | None = None) -> dict:
    """Keyword arguments of `model.baselines.fit_method` for `name` at `point`."""
    point = dict(point or {})
    unknown = set(point) - known_knobs(name, params)
    if unknown:
        raise ValueError(f"tuning point of {name} has unknown knob(s) {sorted(unknown)}")
    if name in EICS_VARIANTS:
        from dataclasses import replace

        from pipeline.train import train_config

        network = {k: params["model"][k] for k in NETWORK_KEYS}
        network.update({k: v for k, v in point.items() if k in NETWORK_KEYS})
        config_fields = {k: v for k, v in point.items() if k not in NETWORK_KEYS}
        return {"config": replace(train_config(params), **config_fields), "network": network}
    knobs = {**params["baselines"]["knobs"].get(name, {}), **{k: v for k, v in point.items() if k not in NEURAL_KEYS}}
    if name in NEURAL:
        from model.baselines.loop import NeuralOptions

        b = {k: params["baselines"][k] for k in NEURAL_KEYS}
        b.update({k: v for k, v in point.items() if k in NEURAL_KEYS})
        b["hidden"] = tuple(b["hidden"])
        return {"options": NeuralOptions(dim=params["fusion"]["dim"], **b), **knobs}
    assert name in CLOSED_FORM, name
    return {"dim": params["fusion"]["dim"], **knobs}
