"""params.yaml's baseline and tuning sections turned into what the model code takes:
`method_options` (a compared method's options at a tuning point; which knobs exist:
pipeline/method_knobs.py; EICS's own: pipeline/eics_settings.py). Types and bounds were checked once at
load (pipeline/schema.py); `check_methods` adds what needs the method registry: the names in
tuning.grids and baselines.knobs, each grid's knobs and the equal budget of every grid."""
from __future__ import annotations

from model.methods import ABLATION_NAMES, CLOSED_FORM, EICS_VARIANTS, METHODS, NEURAL, UNTUNED
from pipeline.eics_settings import eics_options
from pipeline.method_knobs import NEURAL_KEYS, grid_knobs, grid_points, known_knobs
from pipeline.params import ParamsError


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
        if name in ABLATION_NAMES or name in UNTUNED:
            why = "is tuned over EICS's grid" if name in ABLATION_NAMES else "has no knobs"
            raise ParamsError(f"params.yaml: tuning.grids.{name}: {name} {why}; remove its grid")
        if not grid:
            raise ParamsError(f"params.yaml: tuning.grids.{name} must map knobs to non-empty lists of values")
        points = grid_points(grid)
        if len({tuple(sorted(p.items())) for p in points}) < len(points):
            raise ParamsError(f"params.yaml: tuning.grids.{name} lists a point twice")
        unknown = sorted(grid_knobs(grid) - known_knobs(name, params))
        if unknown:
            raise ParamsError(f"params.yaml: tuning.grids.{name} has unknown knob(s) {unknown}")
        budgets[name] = len(points)
    if len(set(budgets.values())) > 1:
        raise ParamsError(
            f"params.yaml: every tuning grid needs the same number of points (same budget), got {budgets}"
        )


def method_options(name: str, params: dict, point: dict | None = None) -> dict:
    """Keyword arguments of `model.methods.fit_method` for `name` at `point`."""
    point = dict(point or {})
    unknown = set(point) - known_knobs(name, params)
    if unknown:
        raise ValueError(f"tuning point of {name} has unknown knob(s) {sorted(unknown)}")
    if name in EICS_VARIANTS:
        return eics_options(params, point)
    if name in UNTUNED:
        return {"dim": params["fusion"]["dim"]}
    knobs = {**params["baselines"]["knobs"].get(name, {}), **{k: v for k, v in point.items() if k not in NEURAL_KEYS}}
    if name in NEURAL:
        from model.baselines.loop import NeuralOptions

        b = {k: params["baselines"][k] for k in NEURAL_KEYS}
        b.update({k: v for k, v in point.items() if k in NEURAL_KEYS})
        b["hidden"] = tuple(b["hidden"])
        return {"options": NeuralOptions(dim=params["fusion"]["dim"], **b), **knobs}
    assert name in CLOSED_FORM, name
    return {"dim": params["fusion"]["dim"], **knobs}
