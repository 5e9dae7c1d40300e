"""One fit of a method stage, as it runs on a Ray worker (`pipeline.fitting.fanout`): the method at one
grid point and seed, trained on the train split with its epoch chosen on validation, then
scored on validation (what tuning compares) and on test (what the report reads for the seeds
run at the chosen point). Tuning sees only the validation number (`pipeline.fitting.tuning_choice`), so a
tuning fit at the chosen point can serve as that seed's run without being fitted twice.

The result is plain JSON (`pipeline.fitting.fit_records` saves it as it arrives)."""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class FitJob:
    name: str    # the method (model/registry.py)
    point: dict  # its tuning point ({} for the method's params.yaml values)
    seed: int


def fit_and_score(job: FitJob, shared: dict) -> dict:
    """`shared`: params (what the stage reads), splits (train, val, test), n_classes, precision.
    A fit whose loss diverges returns {"diverged": message}."""
    from evaluate.metrics import bidirectional_map
    from evaluate.scores import DIRECTIONS, rounded, score_test
    from model.methods import fit_method
    from model.precision import fitting_precision
    from model.training import TrainingDiverged
    from pipeline.settings.methods import method_options

    params, (train, val, test) = shared["params"], shared["splits"]
    e = params["evaluate"]
    with fitting_precision(shared["precision"]):
        started = time.perf_counter()
        try:
            embedder = fit_method(job.name, train, val, shared["n_classes"], job.seed,
                                  **method_options(job.name, params, job.point))
        except TrainingDiverged as err:
            return {"diverged": str(err)}
        seconds = time.perf_counter() - started
        validation = bidirectional_map(embedder.embed_audio(val.audio), embedder.embed_visual(val.visual),
                                       val.labels)["average"]
        scored = score_test(embedder.embed_audio(test.audio), embedder.embed_visual(test.visual), test.labels,
                            e["scopes"], e["recall_ks"])
    numbers = scored.numbers()
    run = {"seed": job.seed, **{d: numbers[f"map_{d}"] for d in DIRECTIONS}, "average": numbers["map_average"],
           **{k: v for k, v in numbers.items() if not k.startswith("map_")},
           "queries_left_out": sum(scored.directions[d].queries_without_relevant for d in DIRECTIONS)}
    return {"val_map_average": float(validation), "run": run, "seconds": round(seconds, 3),
            "precision_at": {d: {str(k): float(v) for k, v in scored.directions[d].precision_at.items()}
                             for d in DIRECTIONS},
            "per_query_ap": {d: rounded(scored.directions[d].average_precision) for d in DIRECTIONS}}
