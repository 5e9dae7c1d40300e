"""Tuning grids: which knobs a method has, the points of a grid, whose tuning a method uses.

A knob is a key of the section the method reads: EICS and its variants read `train`,
`model` and `fusion` (network widths and dropout included); the neural baselines read
`baselines` and `baselines.knobs.<name>`; the closed-form ones `baselines.knobs.<name>`.
Imports nothing heavy, so params validation can use it.
"""
from __future__ import annotations

import itertools

from model.methods import EICS_VARIANTS, NEURAL
from pipeline.schema import section_keys

# the `model` keys that shape EICS's network (the others are its loss, read through TrainConfig)
NETWORK_KEYS = ("audio_hidden", "visual_hidden", "explicit_dim", "activation", "dropout", "input_scaling")
NEURAL_KEYS = tuple(k for k in section_keys("baselines") if k != "knobs")  # every neural baseline reads these
# EICS's knobs: every train and model key (the trunk layout is the variant's, not a tuning knob), fusion_<key>
EICS_KEYS = (set(section_keys("train")) | set(section_keys("model")) - {"shared_trunk"}
             | {f"fusion_{k}" for k in section_keys("fusion")})


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


