"""What a method stage does for one method: find the point it runs at (tuning it on validation,
or reading EICS's choice), fit and score it once per seed on test, record the seconds apart."""
from __future__ import annotations

import json
import time

import numpy as np

from pipeline import paths


def chosen_point(name: str, params: dict, train, val, n_classes: int) -> tuple[str | None, dict, list[float]]:
    """(whose tuning the method runs at, that tuning summary, the seconds of each point it tuned);
    tunes `name` when it has a grid. Sees the train and validation splits only."""
    from extract.atomic_files import write_text
    from pipeline.method_knobs import tuned_as
    from pipeline.tune import tune

    tuned = tuned_as(name, params)
    summary, seconds = tune(name, params, train, val, n_classes)
    write_text(paths.TUNING / f"{name}.json", json.dumps(summary, indent=2) + "\n")
    return tuned, summary, seconds


def write_timing(name: str, tuning: dict, tuning_seconds: list[float], fit_seconds: list[float]) -> None:
    """results/timings/<name>.json: wall-clock seconds of every tuning point and every seed's fit.
    Kept apart from the results, so a re-run that only takes another time changes no result file."""
    from extract.atomic_files import write_text

    timing = {"method": name,
              "tuning_seconds": [{"point": t["point"], "seconds": s} for t, s in zip(tuning["points"], tuning_seconds)],
              "fit_seconds": fit_seconds, "fit_seconds_mean": float(np.mean(fit_seconds)),
              "fit_seconds_std": float(np.std(fit_seconds, ddof=1)) if len(fit_seconds) > 1 else 0.0}
    write_text(paths.TIMINGS / f"{name}.json", json.dumps(timing, indent=2) + "\n")


def run_seeds(name: str, tuned: str | None, tuning: dict, params: dict, seen, test) -> list[float]:
    """Fit `name` once per seed at the chosen point, score it on test, write results/methods/<name>.json;
    returns each seed's fitting seconds."""
    from evaluate.scores import DIRECTIONS, rounded, score_test
    from extract.atomic_files import write_text
    from model.methods import fit_method
    from pipeline.config import method_options

    train, val = seen.splits["train"], seen.splits["val"]
    point = tuning["chosen"]
    runs, curves, per_query, fit_seconds = [], [], [], []
    e = params["evaluate"]
    for seed in params["report"]["seeds"]:
        started = time.perf_counter()
        embedder = fit_method(name, train, val, seen.n_classes, seed, **method_options(name, params, point))
        seconds = time.perf_counter() - started
        scored = score_test(embedder.embed_audio(test.audio), embedder.embed_visual(test.visual), test.labels,
                            e["scopes"], e["recall_ks"])
        numbers = scored.numbers()
        curves.append({d: scored.directions[d].precision_at for d in DIRECTIONS})
        per_query.append({d: scored.directions[d].average_precision for d in DIRECTIONS})
        fit_seconds.append(round(seconds, 3))
        runs.append({"seed": seed, **{d: numbers[f"map_{d}"] for d in DIRECTIONS}, "average": numbers["map_average"],
                     **{k: v for k, v in numbers.items() if not k.startswith("map_")},
                     "queries_left_out": sum(scored.directions[d].queries_without_relevant for d in DIRECTIONS)})
        print(f"{name} seed {seed}: average MAP {numbers['map_average']:.4f} ({seconds:.1f} s)", flush=True)
    summary = {"method": name, "tuned_as": tuned, "point": point, "tuning_budget": tuning["budget"], "runs": runs,
               "precision_at": {d: {str(k): float(np.mean([c[d][k] for c in curves])) for k in curves[0][d]}
                                for d in DIRECTIONS}}
    numeric = [k for k in runs[0] if k not in ("seed", "queries_left_out")]
    for key in numeric:
        values = np.array([r[key] for r in runs])
        summary[f"{key}_mean"] = float(values.mean())
        summary[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    # per seed and test clip (in the feature file's order), its AP as a query in each direction: what the
    # report's significance tests resample (seeds and clips)
    summary["per_query_ap_by_seed"] = {d: [rounded(q[d]) for q in per_query] for d in DIRECTIONS}
    write_text(paths.METHOD_RESULTS / f"{name}.json", json.dumps(summary, indent=2) + "\n")
    return fit_seconds
