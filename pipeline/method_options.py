"""How a compared method is configured: its params.yaml settings, overridden by a tuning point
(which knobs exist: pipeline/tuning_grid.py)."""
from __future__ import annotations

from model.method_names import CLOSED_FORM, EICS_VARIANTS, NEURAL
from pipeline.tuning_grid import NETWORK_KEYS, NEURAL_KEYS, known_knobs


def train_config(params: dict):
    """TrainConfig of EICS at params.yaml's `model`, `train` and `fusion` values."""
    from model.training import TrainConfig

    m, t, f = params["model"], params["train"], params["fusion"]
    return TrainConfig(
        epochs=t["epochs"],
        patience=t["patience"],
        min_steps=t["min_steps"],
        batch_size=t["batch_size"],
        optimizer=t["optimizer"],
        learning_rate=t["learning_rate"],
        momentum=t["momentum"],
        weight_decay=t["weight_decay"],
        alpha=m["alpha"],
        beta=m["beta"],
        loss_form=m["loss_form"],
        loss_terms=tuple(m["loss_terms"]),
        constraint_pairs=tuple(m["constraint_pairs"]),
        corr_ridge=m["corr_ridge"],
        fusion_dim=f["dim"],
        fusion_ridge=f["ridge"],
        fusion_heads=tuple(f["heads"]),
        validate_every=t["validate_every"],
        seed=t["seed"],
    )


def method_options(name: str, params: dict, point: dict | None = None) -> dict:
    """Keyword arguments of `model.baselines.fit_method` for `name` at `point`."""
    point = dict(point or {})
    unknown = set(point) - known_knobs(name, params)
    if unknown:
        raise ValueError(f"tuning point of {name} has unknown knob(s) {sorted(unknown)}")
    if name in EICS_VARIANTS:
        from dataclasses import replace

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
