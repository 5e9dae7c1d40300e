"""params.yaml's model, training, baseline and tuning sections turned into what the model code
takes: `train_config` (EICS's TrainConfig), `method_options` (a compared method's options at a
tuning point; which knobs exist: pipeline/tuning_grid.py). Types and bounds were checked once at
load (pipeline/schema.py); `check_methods` adds what needs the method registry: the names in
tuning.grids and baselines.knobs, each grid's knobs and the equal budget of every grid."""
from __future__ import annotations

from dataclasses import fields

from model.methods import CLOSED_FORM, EICS_VARIANTS, METHODS, NEURAL
from pipeline.params import ParamsError
from pipeline.tuning_grid import NETWORK_KEYS, NEURAL_KEYS, grid_points, known_knobs


def check_methods(params: dict) -> None:
    """Raise ParamsError naming the first method or knob of tuning.grids / baselines.knobs the registry lacks."""
    unknown = sorted(set(params["baselines"]["knobs"]) - set(METHODS))
    if unknown:
        raise ParamsError(f"params.yaml: baselines.knobs has unknown method(s) {unknown}; choose from {list(METHODS)}")
    check_tuning_grids(params)


def check_tuning_grids(params: dict) -> None:
    grids = params["tuning"]["grids"]
    if "eics" not in grids:
        raise ParamsError("params.yaml: tuning.grids must include eics")
    budgets = {}
    for name, grid in grids.items():
        if name not in METHODS:
            raise ParamsError(f"params.yaml: tuning.grids has unknown method {name!r}; choose from {list(METHODS)}")
        if not grid:
            raise ParamsError(f"params.yaml: tuning.grids.{name} must map knobs to non-empty lists of values")
        unknown = sorted(set(grid) - known_knobs(name, params))
        if unknown:
            raise ParamsError(f"params.yaml: tuning.grids.{name} has unknown knob(s) {unknown}")
        budgets[name] = len(grid_points(grid))
    if len(set(budgets.values())) > 1:
        raise ParamsError(
            f"params.yaml: every tuning grid needs the same number of points (same budget), got {budgets}"
        )


def eics_knobs(params: dict) -> dict:
    """Every key EICS reads, by the name TrainConfig and the tuning grids use: `train` and `model`
    keys as they are, `fusion` keys prefixed `fusion_` (lists as tuples)."""
    merged = {**params["train"], **params["model"], **{f"fusion_{k}": v for k, v in params["fusion"].items()}}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in merged.items()}


def train_config(params: dict):
    """TrainConfig of EICS at params.yaml's `model`, `train` and `fusion` values."""
    from model.training import TrainConfig

    knobs = eics_knobs(params)
    return TrainConfig(**{f.name: knobs[f.name] for f in fields(TrainConfig)})


def method_options(name: str, params: dict, point: dict | None = None) -> dict:
    """Keyword arguments of `model.methods.fit_method` for `name` at `point`."""
    point = dict(point or {})
    unknown = set(point) - known_knobs(name, params)
    if unknown:
        raise ValueError(f"tuning point of {name} has unknown knob(s) {sorted(unknown)}")
    if name in EICS_VARIANTS:
        from dataclasses import replace

        network = {k: params["model"][k] for k in NETWORK_KEYS}
        network.update({k: v for k, v in point.items() if k in NETWORK_KEYS})
        config_fields = {k: v for k, v in point.items() if k not in NETWORK_KEYS}
        return {"config": replace(train_config(params), **config_fields), "network": network,
                "shared_trunk": params["model"]["shared_trunk"]}
    knobs = {**params["baselines"]["knobs"].get(name, {}), **{k: v for k, v in point.items() if k not in NEURAL_KEYS}}
    if name in NEURAL:
        from model.baselines.loop import NeuralOptions

        b = {k: params["baselines"][k] for k in NEURAL_KEYS}
        b.update({k: v for k, v in point.items() if k in NEURAL_KEYS})
        b["hidden"] = tuple(b["hidden"])
        return {"options": NeuralOptions(dim=params["fusion"]["dim"], **b), **knobs}
    assert name in CLOSED_FORM, name
    return {"dim": params["fusion"]["dim"], **knobs}
