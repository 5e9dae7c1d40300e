"""Stage `evaluate`: MAP@all in both directions on the test split, precision at scopes,
AP per class; metrics.json, CSV plot data and a Markdown table."""
from __future__ import annotations

import json

import numpy as np

from pipeline import paths
from pipeline.params import feature_dims, load_params
from pipeline.stage import run


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


def retrieval_page(params: dict, setting: str) -> tuple[str, float]:
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
        result.average_precision = mean_average_precision(
            getattr(index, by)[position][None],
            getattr(index, other(by))[gallery],
            index.labels[[position]],
            index.labels[gallery],
        )
        results.append(result)
    hits = [m.same_class for r in results for m in r.matches]
    shown_map = float(np.mean([r.average_precision for r in results])) if results else float("nan")
    intro = (
        f"{setting} MAP of the {len(results)} queries shown: {shown_map:.3f}. {len(results)} test queries "
        f"({params['evaluate']['page_queries_per_class']} per class, seed {params['evaluate']['page_seed']}) "
        f"by {by}; each ranks the {other(by)} side of the {len(gallery)} test clips "
        f"of {index.dataset} by cosine similarity in the fused space of the trained EICS model. "
        "cos = cosine similarity; ✓ = same class as the query; "
        "AP is the query's tie-aware average precision over the whole test gallery."
    )
    write_page(paths.RETRIEVAL_PAGE, "Retrieval examples", intro, results)
    return str(paths.RETRIEVAL_PAGE), float(np.mean(hits)) if hits else float("nan")


SIGNIFICANCE_NOTE = ("p-value: paired sign-flip permutation test of the per-clip average AP against the row with the "
                     "highest average MAP, on the same test queries; bold: not significantly worse than it at 0.05 "
                     "(so every bold row is tied for best).")


def comparison_table(rows: dict, recall_ks) -> str:
    """Markdown rows of TestScores with significance against the best average MAP (bold = tied for best)."""
    from evaluate.significance import paired_test, per_clip_ap
    from evaluate.tables import markdown_table

    numbers = {name: scores.numbers() for name, scores in rows.items()}
    clips = {name: per_clip_ap(s.directions["audio_to_visual"].average_precision,
                               s.directions["visual_to_audio"].average_precision) for name, s in rows.items()}
    best = max(numbers, key=lambda n: numbers[n]["map_average"])
    table = []
    for name, n in numbers.items():
        test = None if name == best else paired_test(clips[best], clips[name])
        tied = test is None or test.p_value >= 0.05
        cells = [n["map_audio_to_visual"], n["map_visual_to_audio"], n["map_average"], n["class_averaged_map_average"]]
        cells += [n[f"recall_at_{k}_average"] for k in recall_ks]
        text = [f"**{c:.4f}**" if tied else f"{c:.4f}" for c in cells]
        text.append("best" if test is None else f"{test.p_value:.3g} (Δ {test.difference:+.4f}, 95 % CI "
                                                  f"{test.low:+.4f} … {test.high:+.4f})")
        table.append([name, *text])
    header = ["Method", "A→V", "V→A", "Avg. MAP", "Class-averaged MAP", *[f"R@{k}" for k in recall_ks],
              "p-value vs best"]
    return markdown_table(header, table)


def short_setting(features, summary: dict) -> str:
    """One line for figures: data, backbones, alpha and beta."""
    m = summary["trained_with"]["model"]
    backbone = "stand-in backbones (random CNNs)" if "standin" in features.backbone else features.backbone
    return f"data: {features.source}; {backbone}; EICS alpha {m['alpha']}, beta {m['beta']}"


def trained_with(summary: dict) -> str:
    """The settings the evaluated model was trained with (models/train_summary.json), as a clause."""
    m, t = summary["trained_with"]["model"], summary["trained_with"]["train"]
    return (f"EICS trained with alpha (L_dis weight) {m['alpha']}, beta (L_cons weight) {m['beta']}, {m['loss_form']} "
            f"losses, terms {'+'.join(m['loss_terms'])}, weight decay {t['weight_decay']}, learning rate "
            f"{t['learning_rate']}, seed {t['seed']}")


def trained_with_line(summary: dict) -> str:
    return f"{trained_with(summary)} (every knob: models/train_summary.json)."


def main() -> None:
    params = load_params()
    import keras

    from evaluate.scores import score_test
    from evaluate.tables import write_csv, write_text_atomic
    from extract.feature_store import read_features
    from model.cca import LinearCCA
    from model.methods import fit_method
    from model.training import fused_embeddings
    from pipeline.config import method_options

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
        "classes' mean AP) and R@k (share of queries with a relevant item in their top k), the last two as the mean "
        f"of both directions. {SIGNIFICANCE_NOTE}\n\n"
    )
    # Reference row: closed-form linear CCA on the raw features (fitted on train, same metric).
    cca_embedder = fit_method("cca", features.splits["train"], features.splits["val"], features.n_classes, 0,
                              **method_options("cca", params))
    cca = score_test(cca_embedder.embed_audio(test.audio), cca_embedder.embed_visual(test.visual), test.labels,
                     e["scopes"], e["recall_ks"])
    rows = {"EICS (ours)": eics, "Linear CCA (reference)": cca}
    metrics["linear_cca"] = {k: v for k, v in cca.numbers().items() if k.endswith("_average")}
    write_text_atomic(paths.METRICS, json.dumps(metrics, indent=2) + "\n")
    table = comparison_table(rows, e["recall_ks"])
    setting = short_setting(features, summary)
    figures = draw_figures(directions, per_class, names, audio, visual, test.labels, summary["best_epoch"], setting)
    page, hit_rate = retrieval_page(params, f"Data: {features.source}; backbone: {features.backbone}. "
                                    + trained_with(summary) + ".")
    links = "\n" + " · ".join([f"[{name}](figures/{file.name})" for name, file in figures.items()]
                              + [f"[retrieval examples]({paths.RETRIEVAL_PAGE.name})"]) + "\n"
    write_text_atomic(paths.TABLE, header + table + links)
    print(f"evaluate: {page}: {hit_rate:.0%} of the shown matches share the query's class")
    print(f"evaluate: MAP A→V {metrics['map_audio_to_visual']:.4f}, V→A {metrics['map_visual_to_audio']:.4f}, "
          f"average {metrics['map_average']:.4f}")


if __name__ == "__main__":
    run(main, reads=("data.audio_dim", "data.visual_dim", "baselines.knobs.cca", "evaluate", "fusion", "search"))
