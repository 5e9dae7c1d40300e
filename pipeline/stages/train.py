"""Stage `train`: fit EICS on the train split at exactly the `model`, `train` and `fusion`
values of params.yaml, keep the epoch with the best validation MAP, fit the CCA fusion on the
training outputs, log every loss term with dvclive. This is the model `index`,
`evaluate` and `pipeline.search` use. No tuning result is read: the `methods` stage tunes EICS for
the report's comparison only, and `python -m pipeline.tune --adopt eics` writes its point into
params.yaml if you want it here.

Writes models/eics.keras, models/fusion.npz, models/train_summary.json (every knob the model
was trained with, best epoch, validation MAP) and models/train_timing.json (seconds; read by no
stage)."""
from __future__ import annotations

import json

from pipeline.settings import paths
from pipeline.settings.params import feature_dims, load_params
from pipeline.stage import run

READS = (
    "data.audio_dim",
    "data.visual_dim",
    "model",
    "train",
    "fusion",
    "fits.precision_train",
    "fits.threads",
)


def main() -> None:
    params = load_params(reads=READS)  # checked against the schema: a bad knob stops the stage before any file is read
    from pipeline.portable import pin_fit_threads

    pin_fit_threads(params["fits"]["threads"])  # before TensorFlow loads
    from dvclive import Live
    from extract.atomic_files import write_text
    from extract.feature_store import read_features
    from model.saving import save_model_reproducibly
    from pipeline.fitting.eics_fit import fit_eics

    features = read_features(paths.FEATURES, *feature_dims(params), splits=("train", "val"))
    m, t = params["model"], params["train"]
    print(
        f"train: EICS at params.yaml's settings (alpha {m['alpha']}, beta {m['beta']}, "
        f"weight decay {t['weight_decay']}, "
        f"loss form {m['loss_form']}; {params['fits']['precision_train']}, {params['fits']['threads']} thread(s))",
        flush=True,
    )
    with Live(dir=str(paths.DVCLIVE), save_dvc_exp=False, dvcyaml=None) as live:
        def log_epoch(epoch, record):
            for name, value in record.items():
                live.log_metric(name, value)
            live.next_step()
            val = f", val MAP {record['val_map_average']:.4f}" if "val_map_average" in record else ""
            print(f"epoch {epoch}/{t['epochs']}: loss {record['loss_total']:.4f}{val}", flush=True)

        result = fit_eics(params, features, log_epoch)
    paths.MODEL.parent.mkdir(parents=True, exist_ok=True)
    tmp = paths.MODEL.with_name("tmp_" + paths.MODEL.name)
    save_model_reproducibly(result.model, tmp)
    tmp.replace(paths.MODEL)
    result.fusion.save(paths.FUSION)
    summary = {
        "trained_with": {section: params[section] for section in ("model", "train", "fusion")},
        "computed_with": params["fits"],
        "best_epoch": result.best_epoch,
        "epochs": t["epochs"],
        "epochs_run": result.epochs_run,
        "val_map_average": result.best_val_map["average"],
        "val_map_audio_to_visual": result.best_val_map["audio_to_visual"],
        "val_map_visual_to_audio": result.best_val_map["visual_to_audio"],
        "fusion_correlations": [round(float(c), 6) for c in result.fusion.correlations],
    }
    write_text(paths.TRAIN_SUMMARY, json.dumps(summary, indent=2) + "\n")
    write_text(paths.TRAIN_TIMING, json.dumps({"train_seconds": round(result.seconds, 3)}, indent=2) + "\n")
    print(
        f"train: best epoch {result.best_epoch} (val MAP {result.best_val_map['average']:.4f}), {result.seconds:.1f} s"
    )


if __name__ == "__main__":
    run(main, reads=READS)
