"""Stage `report`: results/report.md with Tables 2, 3 and 4 in the paper's shape."""
from __future__ import annotations

import json

from model.methods import DISPLAY, TABLE2, TABLE3, TABLE4
from pipeline.settings import paths
from pipeline.settings.params import load_params
from pipeline.stage import run


def dclma_note(results: dict) -> str:
    if "dclma" not in results:
        return ""
    return ("\nDCLMA (Zhang et al.) is not in the EICS paper. The numbers its repository's README gives (0.904 "
            "average MAP on VEGAS, 0.452 on AVE, in one version of that README; versions differ) were picked on the "
            "test set with the last partial test batch dropped, by a model whose attention blocks embed each test clip "
            "from both of its modalities. The row here, DCLMA (no attention), runs under this protocol (validation "
            "selection, the same 4-point tuning budget, every test clip) without those blocks; what is kept and why: "
            "model/baselines/dclma.py.\n")


def eics_point_note(results: dict, params: dict) -> str:
    """Where EICS's tuned point (the report's row) stands against params.yaml (what `train` fits)."""
    if "eics" not in results:
        return ""
    point = results["eics"]["point"]
    written = {knob: params["model"].get(knob, params["train"].get(knob)) for knob in point}
    differs = {k: (v, written[k]) for k, v in point.items() if v != written[k]}
    shown = ", ".join(f"{k} {v}" for k, v in point.items())
    if not differs:
        return f"EICS's tuned point ({shown}) is what params.yaml holds, so `train` fits the same settings.\n\n"
    diff = "; ".join(f"{k}: tuned {tuned}, params.yaml {mine}" for k, (tuned, mine) in differs.items())
    return (f"EICS's rows use its tuned point ({shown}). The model `train` fits, searched and evaluated in "
            f"results/results.md, uses params.yaml, which differs here ({diff}); "
            "`python -m pipeline.tune --adopt eics` writes the tuned point into params.yaml.\n\n")


PROTOCOL_ROWS = (
    ("ours", "ours: early stop on validation, best validation epoch, every test clip"),
    ("no_early_stop", "no early stop: best validation epoch of all epochs"),
    ("peers_clips", "peers' clips: ours, scored on the full test batches only"),
    ("epoch_on_test", "epoch on test: the epochs ours ran, the best on test"),
    ("peers_protocol", "peers' protocol: all three"),
)


def protocol_section() -> str:
    """The "Protocol" section from results/protocol.json: each change from our protocol to the peers'."""
    if not paths.PROTOCOL.is_file():
        return ""
    p = json.loads(paths.PROTOCOL.read_text())
    if "not_applicable" in p:
        return f"\n## Protocol\n\nThe peers' protocol (epoch picked on test, full test batches only) is not " \
               f"applicable here: {p['not_applicable']}.\n"
    names = [n for n in ("eics", "dclma") if n in p and "ours_mean" in p[n]]
    if not names:
        return ""
    lines = ["| Protocol | " + " | ".join(f"{DISPLAY[n]} | Δ vs ours" for n in names) + " |",
             "|---|" + "---:|---:|" * len(names)]
    for row, label in PROTOCOL_ROWS:
        cells = []
        for n in names:
            value, ours = p[n][f"{row}_mean"], p[n]["ours_mean"]
            cells += [f"{value:.3f}", "–" if row == "ours" else f"{value - ours:+.3f}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    check = "; ".join(f"{DISPLAY[n]} {p[n]['method_stage_mean']:.3f}" for n in names
                      if p[n].get("method_stage_mean") is not None)
    return ("\n## Protocol\n\nWhat each difference from the peers' protocol is worth (an analysis, never used to "
            "choose anything; stage `protocol`). Per seed, one run with no early stop records after every epoch the "
            f"validation MAP, the test MAP over all {p['test_clips']} test clips and over the "
            f"{p['test_clips_scored_by_peers']} clips of full test batches of {p['peer_test_batch']} (DCLMA's "
            "released loader drops the last partial batch); each row changes one thing from ours, the last all "
            "three (DCLMA's released training code: every epoch, the best on test, full batches). Average MAP at "
            "the point each method chose on validation, mean over the report's seeds"
            + (f"; the method stage's own numbers: {check}" if check else "") + ".\n\n" + "\n".join(lines) + "\n")


def tuning_text(results: dict, budgets: list, tuning_seeds: list) -> str:
    """How the rows were tuned."""
    return (
        f"Tuning: every method with knobs is fitted at each of the {', '.join(map(str, budgets)) or 'no'} points of "
        f"its grid (params `tuning.grids`) with the first {', '.join(map(str, tuning_seeds)) or 'no'} seeds on the "
        "train split and scored on validation; a point's score is its mean validation MAP over those seeds. The "
        "point with the best mean is chosen, unless others are within two standard errors of it (paired by seed): "
        "then the method's authors' published setting among them, else the one closest to params.yaml's values "
        "(the tuning notes below name every tie; 'tie rule' beside a method marks one whose choice the rule "
        "changed, 'edge' a choice at the end of a grid axis of three or more values). Each ablation is tuned "
        "the same way over EICS's grid; every neural method has the same "
        "epoch cap and patience; the tuning fits at the chosen point are the runs of those seeds. Chosen points: "
        "results/methods/<name>.json.\n\n")


READS = (
    "report",
    "evaluate.recall_ks",
    "model",
    "train",
    "tuning.grids.eics",
)


def main() -> None:
    from evaluate.significance import LEVEL, MEASURED_RATE, NOT_SIGNIFICANT, SIGNIFICANT
    from extract.atomic_files import write_text
    from extract.duplicates import duplicate_rows, summary_line
    from extract.feature_store import read_features
    from model.methods import SHARED_SEEDS
    from pipeline.reporting.report_tables import claims_lines, map_table, time_table, tuning_notes

    params = load_params(reads=READS)
    results = {}
    for path in sorted(paths.METHOD_RESULTS.glob("*.json")):
        summary = json.loads(path.read_text())
        results[summary["method"]] = summary
    timings = {path.stem: json.loads(path.read_text()) for path in sorted(paths.TIMINGS.glob("*.json"))}
    paper = json.loads(paths.PAPER_RESULTS.read_text())
    features = read_features(paths.FEATURES)
    source, backbone, n_test = features.source, features.backbone, len(features.splits["test"])
    standin = "standin" in backbone
    smoke = ("**A smoke test: these features come from stand-in backbones (random CNNs, not VGGish and "
             "InceptionV3). The numbers show that every method runs; they say nothing about the methods, and no "
             "claim of the paper is judged on them.**\n\n") if standin else ""
    duplicates = summary_line(duplicate_rows(features.splits))
    paired_text = ", ".join(DISPLAY[m] for m in SHARED_SEEDS) + " (one network builder and batch order per seed)"
    seeds = params["report"]["seeds"]
    ks = params["evaluate"]["recall_ks"]
    budgets = sorted({r.get("tuning_budget", 0) for r in results.values()} - {0})
    compare = params["report"]["paper_dataset"]
    tuning_seeds = sorted({len(r.get("tuning_seeds", [])) for r in results.values()} - {0})
    header = (
        f"# Compared methods\n\n{smoke}Dataset source: {source}; backbone: {backbone}; test clips: {n_test}; "
        f"seeds: {', '.join(map(str, seeds))} ({len(seeds)}; mean ± standard deviation over seeds). "
        f"{duplicates}\n\n"
        "Metric: tie-aware MAP@all (expected AP over the orders of tied items), cosine similarity, the same "
        f"features and metric for every method. Paper numbers ({paper['citation']}) are on {compare.upper()}, beside "
        "ours for shape only: the datasets differ unless the features are VEGAS/AVE. Per-query MAP (mean AP over "
        "queries) is the headline, as in the paper and DCLMA's code; the class-averaged MAP (mean over classes of "
        "each class's mean AP, as in the ICVGIP audio-visual retrieval challenge), class R@k (share of queries "
        "with a same-class item in the top k), pair R@k (share of queries whose own pair, the same clip's other "
        "modality, is in the top k) and the median rank of that pair are the mean of both directions, "
        "tie-aware.\n\n"
        + tuning_text(results, budgets, tuning_seeds)
        + "Significance (evaluate/significance.py): per seed and test clip, a clip's AP as an audio and as a visual "
        "query averaged; Δ = method minus reference; a t-test whose standard error holds both the seed-to-seed "
        "and the clip-to-clip variance (two-way analysis of variance, Satterthwaite's degrees of freedom). Seeds "
        f"are paired where two methods share them: {paired_text}; every other comparison treats the two methods' "
        f"seeds as unrelated. Its false-positive rate at {LEVEL}, measured in null simulations shaped like this "
        f"data (clip- to seed-dominated, paired and unpaired), lies within {MEASURED_RATE[0]}-{MEASURED_RATE[1]} "
        "(docs/findings.md). Holm's "
        "step-down correction runs over each table's comparisons with its reference and over each group of "
        f"claims. Reading of an adjusted p: below {SIGNIFICANT} significant; from {SIGNIFICANT} up to "
        f"{NOT_SIGNIFICANT} 'borderline', no verdict either way; {NOT_SIGNIFICANT} or above no significant "
        "difference. Bold: the table's reference and every row "
        "not significantly different from it (borderline included). 'not run' marks methods without results in "
        "this run. EICS's architecture and its params.yaml defaults (alpha, weight decay) were developed on the "
        "validation split of the development file (AudioSet embeddings whose two views are both audio); the "
        "other methods' grids were not.\n\n"
        + eics_point_note(results, params)
    )
    text = (
        header
        + "## Table 2: MAP of every method\n\n"
        + map_table(TABLE2, results, paper["table2"], compare, ks)
        + dclma_note(results)
        + "\n## Table 3: training time\n\n"
        + f"Wall-clock seconds depend on the machine and its load, so they are kept out of this file: "
        f"[{paths.TIMES_TABLE.name}]({paths.TIMES_TABLE.name}), written by the same stage from results/timings/ "
        "(neither is a DVC output; the sample's are not committed, the dev file's and the synthetic run's are, as "
        "a record of the machine that made them).\n"
        + "\n## Table 4: ablations\n\n"
        + map_table(TABLE4, results, paper["table4"], compare, ks, against="eics")
        + claims_lines(results, standin)
        + tuning_notes(results)
    )
    from evaluate.figures import precision_scope

    curves = {DISPLAY[m]: results[m]["precision_at"] for m in TABLE2 if m in results and "precision_at" in results[m]}
    precision_scope(
        curves,
        paths.METHODS_FIGURE,
        f"data: {source}; backbone: {backbone}; mean over seeds {', '.join(map(str, seeds))}",
    )
    text += f"\n![Precision at scope K, every method (paper Fig. 4)]({paths.METHODS_FIGURE.name})\n"
    text += protocol_section()
    write_text(paths.REPORT, text)
    timed = [m for m in TABLE3 if m in results or m in paper["table3_minutes"]]
    write_text(paths.TIMES_TABLE, f"# Table 3: training time\n\nThis machine, this run ({source}; {backbone}).\n\n"
               + time_table(timed, timings, paper["table3_minutes"]))
    print(f"report: {paths.REPORT} ({len(results)} methods), {paths.TIMES_TABLE}")


if __name__ == "__main__":
    run(main, reads=READS)
