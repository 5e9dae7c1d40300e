"""Stage `protocol`: what each difference between our protocol and the peers' is worth - an
analysis for the report's "Protocol" section, never used to choose anything.

Peers' published numbers come from another protocol: DCLMA's train_model.py trains every
epoch (no early stop), keeps the epoch with the best test MAP, and its test loader drops the
last partial batch. For EICS and DCLMA, each at the point it chose on validation
(results/tuning/<name>.json) and for every seed of report.seeds, this stage trains once with
no early stop (patience raised to the epoch cap) and records after every epoch the validation
MAP, the test MAP over every test clip, and the test MAP over the clips of the full test
batches of `report.peer_test_batch` (in the feature file's order). From those records it
reads five numbers per seed, each changing one thing at a time:

    ours             early stop on validation, the best validation epoch, every test clip
    no early stop    the best validation epoch of all `epochs`, every test clip
    peers' clips     ours, scored on the full test batches only
    epoch on test    the epochs ours ran, the one with the best test MAP
    peers' protocol  all three: no early stop, the epoch on test, full batches only

The runs fan out on Ray like the method stages' (params `fits`, `fits.precision_report`). The
seed's randomness is that of the method stage's fit, so "ours" reproduces its number.
"""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from model.methods import method_modules
from pipeline.settings import paths
from pipeline.settings.params import feature_dims, load_params
from pipeline.stage import StageError, run

METHODS = ("eics", "dclma")
CODE_BY_NAME = tuple(m for name in METHODS for m in method_modules(name))  # fit_method imports them by name
ROWS = ("ours", "no_early_stop", "peers_clips", "epoch_on_test", "peers_protocol")


def without_early_stop(options: dict) -> dict:
    """The method's options with patience raised to its epoch cap (peers train every epoch)."""
    if "config" in options:  # EICS
        return {**options, "config": replace(options["config"], patience=options["config"].epochs)}
    return {**options, "options": replace(options["options"], patience=options["options"].epochs)}


def stopping_rule(options: dict) -> tuple[int, int, int]:
    """(patience, min_steps, batch_size) the method's own early stop uses."""
    settings = options["config"] if "config" in options else options["options"]
    return settings.patience, settings.min_steps, settings.batch_size


def first_full_batches(split, batch: int):
    """The split's first floor(n / batch) * batch clips: what a loader that drops the last partial
    batch scores (None when the split is smaller than one batch: such a loader scores nothing)."""
    from extract.feature_store import Split

    n = len(split) // batch * batch
    return Split(split.audio[:n], split.visual[:n], split.labels[:n], split.ids[:n]) if n else None


def early_stop_epochs(validation: list[float], patience: int, min_steps: int, steps_per_epoch: int) -> int:
    """How many epochs the early-stopped run trains: `model.training.BestOnValidation` replayed."""
    from model.training import BestOnValidation

    tracker = BestOnValidation(patience, min_steps)
    for epoch, score in enumerate(validation, start=1):
        tracker.offer(score, lambda: None, epoch * steps_per_epoch)
        if tracker.should_stop:
            return epoch
    return len(validation)


def five_numbers(history: list[dict], patience: int, min_steps: int, steps_per_epoch: int) -> dict:
    """The five protocols' test MAPs from one no-early-stop run's per-epoch records."""
    val = [h["val_map_average"] for h in history]
    test = [h["val_map_watch_test"] for h in history]
    peers = [h["val_map_watch_peers"] for h in history]
    ran = early_stop_epochs(val, patience, min_steps, steps_per_epoch)
    kept = int(np.argmax(val[:ran]))  # the first best, as BestOnValidation keeps it
    return {"ours": test[kept], "no_early_stop": test[int(np.argmax(val))], "peers_clips": peers[kept],
            "epoch_on_test": max(test[:ran]), "peers_protocol": max(peers),
            "early_stop_epochs": ran, "epochs": len(history)}


def protocol_run(job, shared: dict) -> dict:
    """One no-early-stop fit on a worker (`pipeline.fitting.fanout`): its per-epoch validation and test MAPs."""
    from model.methods import fit_method
    from model.precision import fitting_precision
    from model.training import TrainingDiverged
    from pipeline.settings.methods import method_options

    name, point, seed = job
    train, val, watch = shared["train"], shared["val"], shared["watch"]
    options = method_options(name, shared["params"], point)
    patience, min_steps, batch = stopping_rule(options)
    with fitting_precision(shared["precision"]):
        try:
            embedder = fit_method(name, train, val, shared["n_classes"], seed, watch=watch,
                                  **without_early_stop(options))
        except TrainingDiverged as err:
            return {"diverged": str(err)}
    history = [{k: v for k, v in h.items() if k.startswith("val_map_")} for h in embedder.history]
    return five_numbers(history, patience, min_steps, len(train) // min(batch, len(train)))


READS = (
    "data.audio_dim",
    "data.visual_dim",
    "report.seeds",
    "report.peer_test_batch",
    "model",
    "train",
    "fusion",
    "baselines",
    "fits.precision_report",
    "fits.threads",
    "fits.workers",
    "fits.address",
    "fits.gpus_per_fit",
)


def main() -> None:
    from extract.atomic_files import write_text
    from extract.feature_store import read_features
    from pipeline.fitting.fanout import FanOut, run_tasks, session

    params = load_params(reads=READS)
    features = read_features(paths.FEATURES, *feature_dims(params))
    train, val, test = (features.splits[s] for s in ("train", "val", "test"))
    batch = params["report"]["peer_test_batch"]
    scored = first_full_batches(test, batch)
    out = {"peer_test_batch": batch, "test_clips": len(test), "test_clips_scored_by_peers": len(scored or ())}
    if scored is None:
        out["not_applicable"] = (f"the test split ({len(test)} clips) is smaller than one test batch of {batch}, "
                                 "so the peers' protocol scores no clip")
        write_text(paths.PROTOCOL, json.dumps(out, indent=2) + "\n")
        print(f"protocol: not applicable: {out['not_applicable']}")
        return
    seeds = params["report"]["seeds"]
    points = {name: json.loads((paths.TUNING / f"{name}.json").read_text())["chosen"] for name in METHODS}
    shared = {"params": params, "train": train, "val": val, "watch": {"test": test, "peers": scored},
              "n_classes": features.n_classes, "precision": params["fits"]["precision_report"]}
    numbers = {name: {} for name in METHODS}

    def arrived(job, result):
        name, _, seed = job
        if "diverged" in result:
            raise StageError(f"{name}: {result['diverged']}")
        numbers[name][seed] = result
        print(f"protocol {name} seed {seed}: ours {result['ours']:.4f}, peers' protocol {result['peers_protocol']:.4f}",
              flush=True)
        return []

    fanout = FanOut.from_params(params["fits"])
    with session(fanout) as ready:
        run_tasks(protocol_run, [(name, points[name], seed) for name in METHODS for seed in seeds], shared, fanout,
                  arrived, ready)
    for name in METHODS:
        runs = [numbers[name][seed] for seed in seeds]
        ours_file = paths.METHOD_RESULTS / f"{name}.json"
        stage_mean = json.loads(ours_file.read_text())["average_mean"] if ours_file.is_file() else None
        out[name] = {"point": points[name], "seeds": seeds, "method_stage_mean": stage_mean,
                     **{row: [r[row] for r in runs] for row in ROWS},
                     **{f"{row}_mean": float(np.mean([r[row] for r in runs])) for row in ROWS},
                     "early_stop_epochs": [r["early_stop_epochs"] for r in runs]}
    write_text(paths.PROTOCOL, json.dumps(out, indent=2) + "\n")
    print(f"protocol: {paths.PROTOCOL}")


if __name__ == "__main__":
    run(main, reads=READS)
