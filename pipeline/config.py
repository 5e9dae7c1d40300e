"""params.yaml's model, training, baseline and tuning sections turned into what the model code
takes: `train_config` (EICS's TrainConfig), `method_options` (a compared method's options at a
tuning point; which knobs exist: pipeline/tuning_grid.py). Both check those sections first, so a
bad value stops the stage with one clear line."""
from __future__ import annotations

from model.methods import CLOSED_FORM, EICS_VARIANTS, METHODS, NEURAL
from model.terms import ACTIVATIONS, CONSTRAINT_PAIRS, FUSION_HEADS, INPUT_SCALINGS, LOSS_FORMS, LOSS_TERMS, OPTIMIZERS
from pipeline.params import ParamsError, check_choices, check_number, check_widths, value_at
from pipeline.tuning_grid import NETWORK_KEYS, NEURAL_KEYS, grid_points, known_knobs


def check_model_params(params: dict) -> None:
    """Raise ParamsError naming the first bad value of the model, train, fusion, baselines or tuning sections."""
    check_widths(params, "model.audio_hidden")
    check_widths(params, "model.visual_hidden")
    check_number(params, "model.explicit_dim", 1, integer=True)
    check_choices(params, "model.activation", ACTIVATIONS)
    check_number(params, "model.dropout", 0, 1, high_open=True)
    check_choices(params, "model.input_scaling", INPUT_SCALINGS)
    check_number(params, "model.alpha", 0)
    check_number(params, "model.beta", 0)
    check_choices(params, "model.loss_form", LOSS_FORMS)
    check_choices(params, "model.loss_terms", LOSS_TERMS, many=True)
    pairs = value_at(params, "model.constraint_pairs")
    if not isinstance(pairs, list):
        raise ParamsError("params.yaml: model.constraint_pairs must be a list")
    for pair in pairs:
        if pair not in CONSTRAINT_PAIRS:
            raise ParamsError(
                f"params.yaml: model.constraint_pairs has unknown value {pair!r}; choose from {list(CONSTRAINT_PAIRS)}"
            )
    check_number(params, "model.corr_ridge", 0, low_open=True)
    if not isinstance(value_at(params, "model.shared_trunk"), bool):
        raise ParamsError("params.yaml: model.shared_trunk must be true or false")

    check_number(params, "train.epochs", 1, integer=True)
    check_number(params, "train.patience", 1, integer=True)
    check_number(params, "train.min_steps", 0, integer=True)
    check_choices(params, "train.optimizer", OPTIMIZERS)
    check_number(params, "train.weight_decay", 0)
    check_number(params, "train.batch_size", 2, integer=True)
    check_number(params, "train.learning_rate", 0, low_open=True)
    check_number(params, "train.momentum", 0, 1, high_open=True)
    check_number(params, "train.validate_every", 1, integer=True)
    check_number(params, "train.seed", 0, integer=True)

    check_number(params, "fusion.dim", 1, integer=True)
    check_number(params, "fusion.ridge", 0)
    check_choices(params, "fusion.heads", FUSION_HEADS, many=True)

    check_widths(params, "baselines.hidden")
    check_choices(params, "baselines.activation", ACTIVATIONS)
    check_choices(params, "baselines.optimizer", OPTIMIZERS)
    check_number(params, "baselines.momentum", 0, 1, high_open=True)
    check_number(params, "baselines.epochs", 1, integer=True)
    check_number(params, "baselines.batch_size", 2, integer=True)
    check_number(params, "baselines.learning_rate", 0, low_open=True)
    check_number(params, "baselines.margin", 0)
    check_number(params, "baselines.patience", 1, integer=True)
    check_number(params, "baselines.min_steps", 0, integer=True)
    check_choices(params, "baselines.input_scaling", INPUT_SCALINGS)
    check_number(params, "baselines.weight_decay", 0)
    knobs = value_at(params, "baselines.knobs")
    if not isinstance(knobs, dict) or not all(isinstance(v, dict) for v in knobs.values()):
        raise ParamsError("params.yaml: baselines.knobs must map method names to {knob: value}")
    check_tuning_grids(params)


def check_tuning_grids(params: dict) -> None:
    grids = value_at(params, "tuning.grids")
    if not isinstance(grids, dict) or "eics" not in grids:
        raise ParamsError("params.yaml: tuning.grids must map method names to grids and include eics")
    budgets = {}
    for name, grid in grids.items():
        if name not in METHODS:
            raise ParamsError(f"params.yaml: tuning.grids has unknown method {name!r}")
        if not isinstance(grid, dict) or not grid or not all(isinstance(v, list) and v for v in grid.values()):
            raise ParamsError(f"params.yaml: tuning.grids.{name} must map knobs to non-empty lists of values")
        unknown = sorted(set(grid) - known_knobs(name, params))
        if unknown:
            raise ParamsError(f"params.yaml: tuning.grids.{name} has unknown knob(s) {unknown}")
        budgets[name] = len(grid_points(grid))
    if len(set(budgets.values())) > 1:
        raise ParamsError(
            f"params.yaml: every tuning grid needs the same number of points (same budget), got {budgets}"
        )


def train_config(params: dict):
    """TrainConfig of EICS at params.yaml's `model`, `train` and `fusion` values."""
    from model.training import TrainConfig

    check_model_params(params)
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
    """Keyword arguments of `model.methods.fit_method` for `name` at `point`."""
    check_model_params(params)
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
