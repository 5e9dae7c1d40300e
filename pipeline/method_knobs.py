"""Tuning grids: which knobs a method has, the points of a grid, whose tuning a method uses.

A knob is a key of the section the method reads: EICS and its variants read `train`,
`model` and `fusion` (network widths and dropout included); the neural baselines read
`baselines` and `baselines.knobs.<name>`; the closed-form ones `baselines.knobs.<name>`.
Imports nothing heavy, so params validation can use it.
"""
from __future__ import annotations

import itertools

from model.methods import EICS_VARIANTS, NEURAL
from pipeline.eics_settings import EICS_KEYS
from pipeline.schema import section_keys

NEURAL_KEYS = tuple(k for k in section_keys("baselines") if k != "knobs")  # every neural baseline reads these


def known_knobs(name: str, params: dict) -> set:
    if name in EICS_VARIANTS:
        return set(EICS_KEYS)
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


