"""Stage `evaluate`: MAP@all in both directions on the test split, precision at scopes,
AP per class; metrics.json, CSV plot data and a Markdown table."""
from __future__ import annotations

import json

from model.methods import method_modules
from pipeline.reporting.evaluation_figures import draw_figures
from pipeline.reporting.evaluation_table import SIGNIFICANCE_NOTE, comparison_table
from pipeline.reporting.retrieval_examples import retrieval_page
from pipeline.reporting.settings_text import short_setting, trained_with, trained_with_line
from pipeline.settings import paths
from pipeline.settings.params import feature_dims, load_params
from pipeline.stage import run


def pair_summary(metrics: dict, ks) -> str:
    """One sentence of instance-level retrieval on the test split, for the pages."""
    recalls = ", ".join(f"pair R@{k} {metrics[f'pair_recall_at_{k}_average']:.3f}" for k in ks)
    return (f"On the test split, a clip's own pair (its other modality) is found with {recalls}; median rank "
            f"{metrics['median_rank_average']:.1f} (both directions averaged).")


CODE_BY_NAME = method_modules("cca")  # the linear-CCA reference row: fit_method imports it by name
READS = (
    "data.audio_dim",
    "data.visual_dim",
    "baselines.knobs.cca",
    "evaluate",
    "fusion",
    "search",
)


def main() -> None:
    params = load_params(reads=READS)
    import keras

    from evaluate.scores import score_test
    from extract.atomic_files import write_csv, write_text
    from extract.feature_store import read_features
    from model.eics.embedding import fused_embeddings
    from model.linear_cca import LinearCCA
    from model.methods import fit_method
    from pipeline.settings.methods import method_options

    features = read_features(paths.FEATURES, *feature_dims(params))
    test = features.splits["test"]
    model = keras.saving.load_model(paths.MODEL)
    fusion = LinearCCA.load(paths.FUSION)
    summary = json.loads(paths.TRAIN_SUMMARY.read_text())
    audio, visual = fused_embeddings(model, fusion, test.audio, test.visual, params["fusion"]["heads"])
    e = params["evaluate"]
    eics = score_test(audio, visual, test.labels, e["scopes"], e["recall_ks"])
    directions = eics.directions
    per_class = {name: s.ap_per_class() for name, s in directions.items()}
    names = features.class_names
    metrics = {
        **eics.numbers(),
        "best_epoch": summary["best_epoch"],
        "n_test": len(test),
        "queries_left_out": {name: s.queries_without_relevant for name, s in directions.items()},
        "ap_per_class": {name: {names[c]: ap for c, ap in aps.items()} for name, aps in per_class.items()},
    }
    kept_scopes = list(directions["audio_to_visual"].precision_at)
    write_csv(paths.PRECISION_SCOPE, ["scope", "audio_to_visual", "visual_to_audio"],
              [[k, directions["audio_to_visual"].precision_at[k], directions["visual_to_audio"].precision_at[k]]
               for k in kept_scopes])
    write_csv(paths.AP_PER_CLASS, ["class", "audio_to_visual", "visual_to_audio"],
              [[names[c], per_class["audio_to_visual"].get(c, ""), per_class["visual_to_audio"].get(c, "")]
               for c in range(len(names))])
    header = (
        f"Dataset source: {features.source}; backbone: {features.backbone}; test clips: {len(test)}; "
        f"classes: {features.n_classes}. {trained_with_line(summary)} Tie-aware MAP over the full ranking (MAP@all), "
        f"cosine similarity on the fused {audio.shape[1]}-D CCA space; epoch {summary['best_epoch']} of "
        f"{summary['epochs']} chosen on validation MAP ({summary['val_map_average']:.4f}). "
        "Columns: per-query MAP (mean AP over queries; the headline), class-averaged MAP (mean over classes of the "
        "classes' mean AP), class R@k (share of queries with a same-class item in their top k), pair R@k (share of "
        "queries whose own pair, the same clip's other modality, is in their top k) and the median rank of that pair, "
        f"all but the first two as the mean of both directions; tie-aware. {SIGNIFICANCE_NOTE}\n\n"
    )
    # Reference row: closed-form linear CCA on the raw features (fitted on train, same metric).
    cca_embedder = fit_method("cca", features.splits["train"], features.splits["val"], features.n_classes, 0,
                              **method_options("cca", params))
    cca = score_test(cca_embedder.embed_audio(test.audio), cca_embedder.embed_visual(test.visual), test.labels,
                     e["scopes"], e["recall_ks"])
    rows = {"EICS (ours)": eics, "Linear CCA (reference)": cca}
    metrics["linear_cca"] = {k: v for k, v in cca.numbers().items() if k.endswith("_average")}
    write_text(paths.METRICS, json.dumps(metrics, indent=2) + "\n")
    table = comparison_table(rows, e["recall_ks"])
    setting = short_setting(features, summary)
    figures = draw_figures(directions, per_class, names, audio, visual, test.labels, summary["best_epoch"], setting)
    page, hit_rate = retrieval_page(params, f"Data: {features.source}; backbone: {features.backbone}. "
                                    + trained_with(summary) + ". " + pair_summary(metrics, e["recall_ks"]))
    links = "\n" + " · ".join([f"[{name}](figures/{file.name})" for name, file in figures.items()]
                              + [f"[retrieval examples]({paths.RETRIEVAL_PAGE.name})"]) + "\n"
    write_text(paths.TABLE, header + table + links)
    print(f"evaluate: {page}: {hit_rate:.0%} of the shown matches share the query's class")
    print(f"evaluate: MAP A→V {metrics['map_audio_to_visual']:.4f}, V→A {metrics['map_visual_to_audio']:.4f}, "
          f"average {metrics['map_average']:.4f}")


if __name__ == "__main__":
    run(main, reads=READS)
