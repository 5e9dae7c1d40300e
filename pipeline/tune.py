"""Tuning of one method, the first half of its `method@<name>` stage: train the method once at
every point of its grid (params `tuning.grids`) on the train split, score each on the
validation split, keep the best point.

Sees only the train and validation splits (the stage opens the test split only after the
choice is written). The summary (every point's validation MAP and seconds, the chosen point,
the budget) goes to results/tuning/<name>.json.
"""
from __future__ import annotations

import json
import time

from pipeline import paths
from pipeline.stage import StageError


def read_tuning(name: str) -> dict:
    """The tuning summary results/tuning/<name>.json that method@<name> wrote."""
    tuning_file = paths.TUNING / f"{name}.json"
    if not tuning_file.is_file():
        raise StageError(f"{tuning_file} not found; run `dvc repro method@{name}` first (it tunes {name})")
    return json.loads(tuning_file.read_text())


def tune(name: str, params: dict, train, val, n_classes: int) -> dict:
    """The tuning summary of `name`; a method without a grid (Random) has budget 0 and no knobs."""
    from evaluate.metrics import bidirectional_map
    from model.baselines import fit_method
    from pipeline.method_options import method_options
    from pipeline.tuning_grid import grid_points

    grids = params["tuning"]["grids"]
    seed = params["report"]["seeds"][0]
    if name not in grids:
        return {"method": name, "budget": 0, "seed": seed, "chosen": {}, "chosen_val_map_average": None, "points": []}
    tried = []
    for point in grid_points(grids[name]):
        started = time.perf_counter()
        embedder = fit_method(name, train, val, n_classes, seed, **method_options(name, params, point))
        seconds = time.perf_counter() - started
        score = bidirectional_map(embedder.embed_audio(val.audio), embedder.embed_visual(val.visual), val.labels)
        tried.append({"point": point, "val_map_average": score["average"], "seconds": round(seconds, 3)})
        print(f"tune {name} {point}: validation MAP {score['average']:.4f} ({seconds:.1f} s)", flush=True)
    best = max(tried, key=lambda t: t["val_map_average"])
    print(f"tune {name}: chose {best['point']} (validation MAP {best['val_map_average']:.4f})", flush=True)
    return {"method": name, "budget": len(tried), "seed": seed, "chosen": best["point"],
            "chosen_val_map_average": best["val_map_average"], "points": tried}
