"""Tuning grids: which knobs a method has, the points of a grid, whose tuning a method uses.

A knob is a key of the section the method reads: EICS and its variants read `train`,
`model` and `fusion` (network widths and dropout included); the neural baselines read
`baselines` and `baselines.knobs.<name>`; the closed-form ones `baselines.knobs.<name>`.
Imports nothing heavy, so params validation can use it.
"""
from __future__ import annotations

import itertools

from model.methods import ABLATION_NAMES, EICS_VARIANTS, NEURAL, UNTUNED
from pipeline.eics_settings import EICS_KEYS
from pipeline.schema import section_keys

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
        from pipeline.eics_settings import eics_knobs

        return eics_knobs(params)
    own = dict(params["baselines"]["knobs"].get(name, {}))
    return {**{k: params["baselines"][k] for k in NEURAL_KEYS}, **own} if name in NEURAL else own
