"""Stage `tune@<name>`: train the method once at every point of its grid (params `tuning.grids`)
on the train split, score each on the validation split, keep the best point.

Reads only the train and validation splits of data/features.h5; the test split is never
opened here. Writes results/tuning/<name>.json (every point's validation MAP and seconds,
the chosen point, the budget).
"""
from __future__ import annotations

import json
import sys
import time

from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import StageError, run


def main() -> None:
    from evaluate.metrics import bidirectional_map
    from evaluate.tables import write_text_atomic
    from extract.feature_store import read_features
    from model.baselines import fit_method
    from pipeline.method_options import method_options
    from pipeline.tuning_grid import grid_points

    params = load_params()
    grids = params["tuning"]["grids"]
    if len(sys.argv) != 2 or sys.argv[1] not in grids:
        raise StageError(f"usage: python -m pipeline.tune NAME, with NAME one of {', '.join(grids)}")
    name = sys.argv[1]
    features = read_features(paths.FEATURES, params["data"]["audio_dim"], params["data"]["visual_dim"],
                             splits=("train", "val"))
    train, val = features.splits["train"], features.splits["val"]
    seed = params["report"]["seeds"][0]
    tried = []
    for point in grid_points(grids[name]):
        started = time.perf_counter()
        embedder = fit_method(name, train, val, features.n_classes, seed, **method_options(name, params, point))
        seconds = time.perf_counter() - started
        score = bidirectional_map(embedder.embed_audio(val.audio), embedder.embed_visual(val.visual), val.labels)
        tried.append({"point": point, "val_map_average": score["average"], "seconds": round(seconds, 3)})
        print(f"tune {name} {point}: validation MAP {score['average']:.4f} ({seconds:.1f} s)", flush=True)
    best = max(tried, key=lambda t: t["val_map_average"])
    summary = {"method": name, "budget": len(tried), "seed": seed, "chosen": best["point"],
               "chosen_val_map_average": best["val_map_average"], "points": tried}
    write_text_atomic(paths.TUNING / f"{name}.json", json.dumps(summary, indent=2) + "\n")
    print(f"tune {name}: chose {best['point']} (validation MAP {best['val_map_average']:.4f})")


if __name__ == "__main__":
    run(main)
