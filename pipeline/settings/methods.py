"""The compared methods' settings from params.yaml (EICS's own: pipeline/settings/eics.py).

Knobs and grids: a knob is a key of the section the method reads: EICS and its variants read
`train`, `model` and `fusion` (network widths and dropout included); the neural baselines read
`baselines` and `baselines.knobs.<name>`; the closed-form ones `baselines.knobs.<name>`.
`grid_of` and `grid_points` give a method's tuning grid and its points, `method_options` the
options `model.methods.fit_method` takes at a point. Types and bounds were checked once at load
(pipeline/settings/schema.py); `check_methods` adds what needs the method registry: the names in
tuning.grids and baselines.knobs, each grid's knobs and the equal budget of every grid. Imports
nothing heavy, so params validation can use it.
"""
from __future__ import annotations

import itertools

from model.methods import ABLATION_NAMES, CLOSED_FORM, EICS_VARIANTS, METHODS, NEURAL, UNTUNED
from pipeline.settings.eics import EICS_KEYS, eics_options
from pipeline.settings.params import ParamsError
from pipeline.settings.schema import section_keys

NEURAL_KEYS = tuple(k for k in section_keys("baselines") if k != "knobs")  # every neural baseline reads these


def known_knobs(name: str, params: dict) -> set:
    if name in UNTUNED:
        return set()
    if name in EICS_VARIANTS:
        return set(EICS_KEYS)
    own = set(params["baselines"]["knobs"].get(name, {}))
    return own | set(NEURAL_KEYS) if name in NEURAL else own


def grid_of(name: str, params: dict) -> dict | None:
    """The grid a method is tuned over: its own; EICS's for an ablation (the same knobs and budget
    as EICS, so a variant is not held to EICS's tuned point; it may have no grid of its own); none
    for Random."""
    if name in UNTUNED:
        return None
    grids = params["tuning"]["grids"]
    return grids["eics"] if name in ABLATION_NAMES else grids.get(name)


def tuned_as(name: str, params: dict) -> str | None:
    """Whose tuning a method runs at: its own when it has a grid (see grid_of), none for Random."""
    return name if grid_of(name, params) is not None else None


def grid_points(grid: dict | list) -> list[dict]:
    """The points of a grid: every combination of a {knob: [values]} mapping, or the listed points."""
    if isinstance(grid, list):
        return [dict(point) for point in grid]
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def grid_knobs(grid: dict | list) -> set:
    """Every knob a grid sets."""
    return set().union(*grid_points(grid))


def default_values(name: str, params: dict) -> dict:
    """Every knob of `name` at params.yaml's own value (what a tuning point changes)."""
    if name in UNTUNED:
        return {}
    if name in EICS_VARIANTS:
        from pipeline.settings.eics import eics_knobs

        return eics_knobs(params)
    own = dict(params["baselines"]["knobs"].get(name, {}))
    return {**{k: params["baselines"][k] for k in NEURAL_KEYS}, **own} if name in NEURAL else own


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
        from model.baselines.neural import NeuralOptions

        b = {k: params["baselines"][k] for k in NEURAL_KEYS}
        b.update({k: v for k, v in point.items() if k in NEURAL_KEYS})
        b["hidden"] = tuple(b["hidden"])
        return {"options": NeuralOptions(dim=params["fusion"]["dim"], **b), **knobs}
    assert name in CLOSED_FORM, name
    return {"dim": params["fusion"]["dim"], **knobs}
