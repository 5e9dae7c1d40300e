"""The `evaluate` stage's figures of the trained EICS model."""
from __future__ import annotations

from pipeline.settings import paths


def draw_figures(directions, per_class, names, audio, visual, labels, best_epoch: int, setting: str) -> dict:
    """Loss curves, precision at scope, AP per class and t-SNE as PNGs; returns {title: path}."""
    import csv

    from evaluate import figures

    history = {}
    for tsv in sorted(paths.DVCLIVE_PLOTS.glob("*.tsv")):
        with open(tsv) as f:
            history[tsv.stem] = [float(row[tsv.stem]) for row in csv.DictReader(f, delimiter="\t")]
    out = {
        "loss curves": paths.FIGURES / "loss_curves.png",
        "precision at scope": paths.FIGURES / "precision_scope.png",
        "AP per class": paths.FIGURES / "ap_per_class.png",
        "t-SNE": paths.FIGURES / "tsne.png",
    }
    figures.loss_curves(history, out["loss curves"], best_epoch, setting)
    figures.precision_scope({"EICS": {d: s.precision_at for d, s in directions.items()}}, out["precision at scope"],
                            setting)
    figures.ap_per_class(
        names, per_class["audio_to_visual"], per_class["visual_to_audio"], out["AP per class"], setting
    )
    figures.tsne(audio, visual, labels, names, out["t-SNE"], setting=setting)
    return out
