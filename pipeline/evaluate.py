"""Stage `evaluate`: MAP@all in both directions on the test split, precision at scopes,
AP per class; metrics.json, CSV plot data and a Markdown table."""
from __future__ import annotations

import json

import numpy as np

from pipeline import paths
from pipeline.params import feature_dims, load_params
from pipeline.stage import run


def draw_figures(directions, per_class, names, audio, visual, labels) -> dict:
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
    figures.loss_curves(history, out["loss curves"])
    figures.precision_scope({"EICS": {d: s.precision_at for d, s in directions.items()}}, out["precision at scope"])
    figures.ap_per_class(names, per_class["audio_to_visual"], per_class["visual_to_audio"], out["AP per class"])
    figures.tsne(audio, visual, labels, names, out["t-SNE"])
    return out


def retrieval_page(params: dict) -> tuple[str, float]:
    """results/retrieval.html: seeded test queries per class, each with its top matches of the
    other modality among the test clips; returns (page path, share of matches in the query's class)."""
    from evaluate.metrics import mean_average_precision
    from evaluate.retrieval_index import read_index
    from evaluate.retrieval_page import write_page
    from pipeline.retrieval import answer, index_clip, other

    index = read_index(paths.INDEX)
    by, top = params["search"]["by"], params["search"]["top"]
    gallery = index.gallery(["test"])
    rng = np.random.default_rng(params["evaluate"]["page_seed"])
    queries = []
    for label in range(len(index.class_names)):
        members = gallery[index.labels[gallery] == label]
        queries += sorted(rng.permutation(members)[:params["evaluate"]["page_queries_per_class"]].tolist())
    results = []
    for position in queries:
        label = int(index.labels[position])
        result = answer(index, index_clip(index, position, params["search"]["excerpt_seconds"]), label,
                        getattr(index, by)[position], by, gallery, top)
        result.average_precision = mean_average_precision(getattr(index, by)[position][None], getattr(index, other(by))[gallery],
                                                          index.labels[[position]], index.labels[gallery])
        results.append(result)
    hits = [m.same_class for r in results for m in r.matches]
    intro = (f"{len(results)} test queries ({params['evaluate']['page_queries_per_class']} per class, seed "
             f"{params['evaluate']['page_seed']}) by {by}; each ranks the {other(by)} side of the {len(gallery)} test clips "
             f"of {index.dataset} by cosine similarity in the fused space of the trained EICS model. "
             f"cos = cosine similarity; ✓ = same class as the query; AP is the query's tie-aware average precision over the whole test gallery.")
    write_page(paths.RETRIEVAL_PAGE, "Retrieval examples", intro, results)
    return str(paths.RETRIEVAL_PAGE), float(np.mean(hits)) if hits else float("nan")


def trained_with_line(summary: dict) -> str:
    """One sentence naming the settings the evaluated model was trained with (models/train_summary.json)."""
    m, t = summary["trained_with"]["model"], summary["trained_with"]["train"]
    return (f"EICS trained with alpha (L_dis weight) {m['alpha']}, beta (L_cons weight) {m['beta']}, {m['loss_form']} "
            f"losses, terms {'+'.join(m['loss_terms'])}, weight decay {t['weight_decay']}, learning rate "
            f"{t['learning_rate']}, seed {t['seed']} (every knob: models/train_summary.json).")


def main() -> None:
    params = load_params()
    import keras

    from evaluate.metrics import bidirectional_map, retrieval_scores
    from evaluate.tables import markdown_table, write_csv, write_text_atomic
    from extract.feature_store import read_features
    from model.baselines import fit_method
    from model.cca import LinearCCA
    from model.training import fused_embeddings
    from pipeline.method_options import method_options

    features = read_features(paths.FEATURES, *feature_dims(params))
    test = features.splits["test"]
    model = keras.saving.load_model(paths.MODEL)
    fusion = LinearCCA.load(paths.FUSION)
    summary = json.loads(paths.TRAIN_SUMMARY.read_text())
    audio, visual = fused_embeddings(model, fusion, test.audio, test.visual, params["fusion"]["heads"])
    scopes = params["evaluate"]["scopes"]
    directions = {
        "audio_to_visual": retrieval_scores(audio, visual, test.labels, test.labels, scopes),
        "visual_to_audio": retrieval_scores(visual, audio, test.labels, test.labels, scopes),
    }
    maps = {name: s.mean_average_precision for name, s in directions.items()}
    per_class = {name: s.ap_per_class() for name, s in directions.items()}
    names = features.class_names
    metrics = {
        "map_audio_to_visual": maps["audio_to_visual"],
        "map_visual_to_audio": maps["visual_to_audio"],
        "map_average": (maps["audio_to_visual"] + maps["visual_to_audio"]) / 2,
        "best_epoch": summary["best_epoch"],
        "n_test": len(test),
        "queries_left_out": {name: s.queries_without_relevant for name, s in directions.items()},
        "ap_per_class": {name: {names[c]: ap for c, ap in aps.items()} for name, aps in per_class.items()},
    }
    kept_scopes = list(directions["audio_to_visual"].precision_at)
    write_csv(paths.PRECISION_SCOPE, ["scope", "audio_to_visual", "visual_to_audio"],
              [[k, directions["audio_to_visual"].precision_at[k], directions["visual_to_audio"].precision_at[k]] for k in kept_scopes])
    write_csv(paths.AP_PER_CLASS, ["class", "audio_to_visual", "visual_to_audio"],
              [[names[c], per_class["audio_to_visual"].get(c, ""), per_class["visual_to_audio"].get(c, "")] for c in range(len(names))])
    header = (
        f"Dataset source: {features.source}; backbone: {features.backbone}; test clips: {len(test)}; "
        f"classes: {features.n_classes}. {trained_with_line(summary)} Tie-aware MAP over the full ranking (MAP@all), "
        f"cosine similarity on the fused {audio.shape[1]}-D CCA space; epoch {summary['best_epoch']} of "
        f"{summary['epochs']} chosen on validation MAP ({summary['val_map_average']:.4f}).\n\n"
    )
    # Reference row: closed-form linear CCA on the raw features (fitted on train, same metric).
    cca = fit_method("cca", features.splits["train"], features.splits["val"], features.n_classes, 0,
                     **method_options("cca", params))
    cca_maps = bidirectional_map(cca.embed_audio(test.audio), cca.embed_visual(test.visual), test.labels)
    metrics["linear_cca_map_average"] = cca_maps["average"]
    write_text_atomic(paths.METRICS, json.dumps(metrics, indent=2) + "\n")
    table = markdown_table(
        ["Method", "A→V", "V→A", "Avg."],
        [["EICS (ours)", metrics["map_audio_to_visual"], metrics["map_visual_to_audio"], metrics["map_average"]],
         ["Linear CCA (reference)", cca_maps["audio_to_visual"], cca_maps["visual_to_audio"], cca_maps["average"]]],
        bold_best=True,
    )
    figures = draw_figures(directions, per_class, names, audio, visual, test.labels)
    page, hit_rate = retrieval_page(params)
    links = "\n" + " · ".join([f"[{name}](figures/{file.name})" for name, file in figures.items()]
                              + [f"[retrieval examples]({paths.RETRIEVAL_PAGE.name})"]) + "\n"
    write_text_atomic(paths.TABLE, header + table + links)
    print(f"evaluate: {page}: {hit_rate:.0%} of the shown matches share the query's class")
    print(f"evaluate: MAP A→V {maps['audio_to_visual']:.4f}, V→A {maps['visual_to_audio']:.4f}, average {metrics['map_average']:.4f}")


if __name__ == "__main__":
    run(main, reads=("data.audio_dim", "data.visual_dim", "baselines.knobs.cca", "evaluate", "fusion", "search"))
