"""EICS's settings from params.yaml: the TrainConfig of its loss and optimisation and the keyword
arguments of its network, at params.yaml's values or at a tuning point. Imports neither the
method registry nor any baseline, so the `train` stage depends on EICS's code only."""
from __future__ import annotations

from dataclasses import fields, replace

from pipeline.settings.schema import section_keys

# the `model` keys that shape EICS's network (the others are its loss, read through TrainConfig)
NETWORK_KEYS = ("audio_hidden", "visual_hidden", "explicit_dim", "activation", "dropout", "input_scaling")
# EICS's knobs: every train and model key (the trunk layout is the variant's, not a tuning knob), fusion_<key>
EICS_KEYS = (set(section_keys("train")) | set(section_keys("model")) - {"shared_trunk"}
             | {f"fusion_{k}" for k in section_keys("fusion")})


def eics_knobs(params: dict) -> dict:
    """Every key EICS reads, by the name TrainConfig and the tuning grids use: `train` and `model`
    keys as they are, `fusion` keys prefixed `fusion_` (lists as tuples)."""
    merged = {**params["train"], **params["model"], **{f"fusion_{k}": v for k, v in params["fusion"].items()}}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in merged.items()}


def unused_knobs() -> set:
    """EICS knobs that reach neither TrainConfig nor the network: each would be accepted and ignored."""
    from model.eics.config import TrainConfig

    return EICS_KEYS - {f.name for f in fields(TrainConfig)} - set(NETWORK_KEYS)


def train_config(params: dict):
    """TrainConfig of EICS at params.yaml's `model`, `train` and `fusion` values. A `model`, `train` or
    `fusion` key that nothing reads stops here (it would otherwise be accepted and ignored)."""
    from model.eics.config import TrainConfig

    ignored = unused_knobs()
    if ignored:
        raise ValueError(f"EICS reads no field for params key(s) {sorted(ignored)}: add them to "
                         "model/eics/config.py's TrainConfig (or NETWORK_KEYS) and use them, or remove them")
    knobs = eics_knobs(params)
    return TrainConfig(**{f.name: knobs[f.name] for f in fields(TrainConfig)})


def eics_options(params: dict, point: dict | None = None) -> dict:
    """{"config", "network", "shared_trunk"} of one EICS fit at params.yaml's values, with the
    tuning `point`'s knobs (any EICS_KEYS) replacing theirs."""
    point = dict(point or {})
    unknown = set(point) - EICS_KEYS
    if unknown:
        raise ValueError(f"tuning point of EICS has unknown knob(s) {sorted(unknown)}")
    network = {k: point.get(k, params["model"][k]) for k in NETWORK_KEYS}
    config_fields = {k: v for k, v in point.items() if k not in NETWORK_KEYS}
    return {"config": replace(train_config(params), **config_fields), "network": network,
            "shared_trunk": params["model"]["shared_trunk"]}
