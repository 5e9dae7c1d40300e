"""Stage `protocol`: what picking the epoch on the test set is worth - an analysis for the
report's "Protocol" section, never used to choose anything.

Peers' published numbers come from another protocol: DCLMA's train_model.py keeps the epoch
with the best test MAP, its sibling stops early on the test loss, and their test loaders drop
the last partial batch. For EICS and DCLMA, each at the point its own stage chose on
validation (results/tuning/<name>.json) and for every seed of report.seeds, this stage
trains once more with the test split in the place of the validation split (so the kept
epoch is the one with the best test MAP) and no early stop (patience = the epoch cap), and
scores the clips of the full batches of `report.peer_test_batch` (in the feature file's
order). Our protocol's number, beside it, is the method stage's own: epoch chosen on
validation, every test clip.
"""
from __future__ import annotations

import json
from dataclasses import replace

from pipeline import paths
from pipeline.params import feature_dims, load_params
from pipeline.stage import StageError, run

METHODS = ("eics", "dclma")


def without_early_stop(name: str, options: dict) -> dict:
    """The method's options with patience raised to its epoch cap (peers train every epoch)."""
    if "config" in options:  # EICS
        return {**options, "config": replace(options["config"], patience=options["config"].epochs)}
    return {**options, "options": replace(options["options"], patience=options["options"].epochs)}


def first_full_batches(split, batch: int):
    """The split's first floor(n / batch) * batch clips: what a loader that drops the last partial
    batch scores (None when the split is smaller than one batch: such a loader scores nothing)."""
    from extract.feature_store import Split

    n = len(split) // batch * batch
    return Split(split.audio[:n], split.visual[:n], split.labels[:n], split.ids[:n]) if n else None


READS = (
    "data.audio_dim",
    "data.visual_dim",
    "report.seeds",
    "report.peer_test_batch",
    "model",
    "train",
    "fusion",
    "baselines",
)


def main() -> None:
    import numpy as np

    from evaluate.metrics import bidirectional_map
    from extract.atomic_files import write_text
    from extract.feature_store import read_features
    from model.methods import fit_method
    from model.training import TrainingDiverged
    from pipeline.config import method_options

    params = load_params(reads=READS)
    features = read_features(paths.FEATURES, *feature_dims(params))
    train, test = features.splits["train"], features.splits["test"]
    batch = params["report"]["peer_test_batch"]
    scored = first_full_batches(test, batch)
    out = {"peer_test_batch": batch, "test_clips": len(test), "test_clips_scored_by_peers": len(scored or ())}
    if scored is None:
        out["not_applicable"] = (f"the test split ({len(test)} clips) is smaller than one test batch of {batch}, "
                                 "so the peers' protocol scores no clip")
        write_text(paths.PROTOCOL, json.dumps(out, indent=2) + "\n")
        print(f"protocol: not applicable: {out['not_applicable']}")
        return
    for name in METHODS:
        ours_file = paths.METHOD_RESULTS / f"{name}.json"
        point = json.loads((paths.TUNING / f"{name}.json").read_text())["chosen"]
        options = without_early_stop(name, method_options(name, params, point))
        peers = []
        for seed in params["report"]["seeds"]:
            try:
                embedder = fit_method(name, train, scored, features.n_classes, seed, **options)
            except TrainingDiverged as err:
                raise StageError(f"{name}: {err}") from None
            peers.append(bidirectional_map(embedder.embed_audio(scored.audio), embedder.embed_visual(scored.visual),
                                           scored.labels)["average"])
            print(f"protocol {name} seed {seed}: best test MAP over epochs {peers[-1]:.4f}", flush=True)
        ours = json.loads(ours_file.read_text()) if ours_file.is_file() else {}
        out[name] = {"point": point, "peers_protocol": peers, "peers_protocol_mean": float(np.mean(peers)),
                     "ours_mean": ours.get("average_mean")}
    write_text(paths.PROTOCOL, json.dumps(out, indent=2) + "\n")
    print(f"protocol: {paths.PROTOCOL}")


if __name__ == "__main__":
    run(main, reads=READS)
