"""Stages `method@<name>` and `ablations`: tune a compared method on validation, then fit it
for every seed in report.seeds at the chosen point, score it on the test split with the same
metric as EICS, and record wall-clock fitting seconds. `ablations` runs the five EICS
ablations (paper Table 4) in one process: they share every dependency, so they always
re-run together anyway.

Phase 1 opens only the train and validation splits: a method with a grid (params
`tuning.grids`) is tuned there (`pipeline.tune`) and the choice is written to
results/tuning/<name>.json; an EICS ablation runs at the point EICS chose (read from
results/tuning/eics.json, written by method@eics); Random has no knobs. Phase 2 opens the
test split. One process per stage: the TensorFlow import (about 8 s here) is paid once.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import StageError, run


def chosen_point(name: str, params: dict, train, val, n_classes: int) -> tuple[str | None, dict]:
    """(whose tuning the method runs at, that tuning summary); tunes `name` when it has a grid.
    Sees the train and validation splits only."""
    from evaluate.tables import write_text_atomic
    from pipeline.tune import read_tuning, tune
    from pipeline.tuning_grid import tuned_as

    tuned = tuned_as(name, params)
    if tuned is None or tuned == name:
        summary = tune(name, params, train, val, n_classes)
        write_text_atomic(paths.TUNING / f"{name}.json", json.dumps(summary, indent=2) + "\n")
        return tuned, summary
    return tuned, read_tuning(tuned)


def main() -> None:
    from extract.feature_store import read_features
    from model.baselines import METHODS

    names = sys.argv[1:]
    if not names or any(n not in METHODS for n in names):
        raise StageError(f"usage: python -m pipeline.method NAME [NAME ...], with NAMEs from {', '.join(METHODS)}")
    params = load_params()
    dims = params["data"]["audio_dim"], params["data"]["visual_dim"]
    seen = read_features(paths.FEATURES, *dims, splits=("train", "val"))
    chosen = [(name, *chosen_point(name, params, seen.splits["train"], seen.splits["val"], seen.n_classes))
              for name in names]
    test = read_features(paths.FEATURES, *dims, splits=("test",)).splits["test"]
    for name, tuned, tuning in chosen:
        run_seeds(name, tuned, tuning, params, seen, test)


def run_seeds(name: str, tuned: str | None, tuning: dict, params: dict, seen, test) -> None:
    """Fit `name` once per seed at the chosen point, score it on test, write results/methods/<name>.json."""
    from evaluate.metrics import retrieval_scores
    from evaluate.tables import write_text_atomic
    from model.baselines import fit_method
    from pipeline.method_options import method_options

    train, val = seen.splits["train"], seen.splits["val"]
    point = tuning["chosen"]
    runs, curves = [], []
    scopes = params["evaluate"]["scopes"]
    for seed in params["report"]["seeds"]:
        started = time.perf_counter()
        embedder = fit_method(name, train, val, seen.n_classes, seed, **method_options(name, params, point))
        seconds = time.perf_counter() - started
        a, v = embedder.embed_audio(test.audio), embedder.embed_visual(test.visual)
        a2v = retrieval_scores(a, v, test.labels, test.labels, scopes)
        v2a = retrieval_scores(v, a, test.labels, test.labels, scopes)
        scores = {"audio_to_visual": a2v.mean_average_precision, "visual_to_audio": v2a.mean_average_precision}
        scores["average"] = (scores["audio_to_visual"] + scores["visual_to_audio"]) / 2
        curves.append({"audio_to_visual": a2v.precision_at, "visual_to_audio": v2a.precision_at})
        runs.append({"seed": seed, "train_seconds": round(seconds, 3), **scores,
                     "queries_left_out": a2v.queries_without_relevant + v2a.queries_without_relevant})
        print(f"{name} seed {seed}: average MAP {scores['average']:.4f} ({seconds:.1f} s)", flush=True)
    summary = {"method": name, "tuned_as": tuned, "point": point, "tuning_budget": tuning["budget"], "runs": runs, "precision_at": {
        d: {str(k): float(np.mean([c[d][k] for c in curves])) for k in curves[0][d]} for d in ("audio_to_visual", "visual_to_audio")}}
    for key in ("audio_to_visual", "visual_to_audio", "average", "train_seconds"):
        values = np.array([r[key] for r in runs])
        summary[f"{key}_mean"] = float(values.mean())
        summary[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    write_text_atomic(paths.METHOD_RESULTS / f"{name}.json", json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    run(main)
