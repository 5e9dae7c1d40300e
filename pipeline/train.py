"""Stage `train`: fit EICS on the train split at the point `method@eics` chose on validation
(results/tuning/eics.json; params.yaml for every knob outside the grid), keep the epoch with the
best validation MAP, fit the CCA fusion on the training outputs, log every loss term with
dvclive. This is the model `index` and `pipeline.search` use: the same EICS as the report's row,
seed `train.seed`."""
from __future__ import annotations

import json

from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import StageError, run


def train_config(params: dict):
    from model.training import TrainConfig

    m, t, f = params["model"], params["train"], params["fusion"]
    return TrainConfig(
        epochs=t["epochs"], patience=t["patience"], min_steps=t["min_steps"], batch_size=t["batch_size"], optimizer=t["optimizer"],
        learning_rate=t["learning_rate"], momentum=t["momentum"], weight_decay=t["weight_decay"],
        alpha=m["alpha"], beta=m["beta"], loss_form=m["loss_form"], loss_terms=tuple(m["loss_terms"]),
        constraint_pairs=tuple(m["constraint_pairs"]), corr_ridge=m["corr_ridge"], fusion_dim=f["dim"],
        fusion_ridge=f["ridge"], fusion_heads=tuple(f["heads"]), validate_every=t["validate_every"], seed=t["seed"],
    )


def main() -> None:
    params = load_params()
    from dvclive import Live

    from extract.feature_store import read_features
    from model.baselines.eics_variants import build_for
    from model.training import TrainingDiverged, seed_everything, train_eics
    from pipeline.method_options import method_options
    from pipeline.tune import read_tuning

    features = read_features(paths.FEATURES, params["data"]["audio_dim"], params["data"]["visual_dim"],
                             splits=("train", "val"))
    point = read_tuning("eics")["chosen"]
    options = method_options("eics", params, point)
    cfg, network = options["config"], options["network"]
    print(f"train: EICS at the tuned point {point}", flush=True)
    seed_everything(cfg.seed)
    model = build_for(features.splits["train"], features.n_classes, network, params["model"]["shared_trunk"])
    with Live(dir=str(paths.DVCLIVE), save_dvc_exp=False, dvcyaml=None) as live:
        def log_epoch(epoch, record):
            for name, value in record.items():
                live.log_metric(name, value)
            live.next_step()
            val = f", val MAP {record['val_map_average']:.4f}" if "val_map_average" in record else ""
            print(f"epoch {epoch}/{cfg.epochs}: loss {record['loss_total']:.4f}{val}", flush=True)

        try:
            result = train_eics(model, features.splits["train"], features.splits["val"], features.n_classes, cfg, log_epoch)
        except TrainingDiverged as err:
            raise StageError(str(err)) from None
    paths.MODEL.parent.mkdir(parents=True, exist_ok=True)
    tmp = paths.MODEL.with_name("tmp_" + paths.MODEL.name)
    result.model.save(tmp)
    tmp.replace(paths.MODEL)
    result.fusion.save(paths.FUSION)
    summary = {
        "tuned_point": point,
        "best_epoch": result.best_epoch,
        "epochs": cfg.epochs,
        "epochs_run": result.epochs_run,
        "train_seconds": round(result.seconds, 3),
        "val_map_average": result.best_val_map["average"],
        "val_map_audio_to_visual": result.best_val_map["audio_to_visual"],
        "val_map_visual_to_audio": result.best_val_map["visual_to_audio"],
        "fusion_correlations": [round(float(c), 6) for c in result.fusion.correlations],
    }
    paths.TRAIN_SUMMARY.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"train: best epoch {result.best_epoch} (val MAP {result.best_val_map['average']:.4f}), {result.seconds:.1f} s")


if __name__ == "__main__":
    run(main)
