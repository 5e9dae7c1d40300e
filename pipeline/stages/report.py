"""Stage `report`: results/report.md with Tables 2, 3 and 4 in the paper's shape."""
from __future__ import annotations

import json

from model.methods import DISPLAY, TABLE2, TABLE3, TABLE4
from pipeline import paths
from pipeline.params import load_params
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
    """Where EICS's tuned point (eics@eics, the report's row) stands against params.yaml (what `train` fits)."""
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


def protocol_section(results: dict) -> str:
    """The "Protocol" section from results/protocol.json: our numbers beside the peers' protocol."""
    if not paths.PROTOCOL.is_file():
        return ""
    p = json.loads(paths.PROTOCOL.read_text())
    if "not_applicable" in p:
        return f"\n## Protocol\n\nThe peers' protocol (epoch picked on test, full test batches only) is not " \
               f"applicable here: {p['not_applicable']}.\n"
    rows = []
    for name in ("eics", "dclma"):
        if name in p and p[name]["ours_mean"] is not None:
            ours, peers = p[name]["ours_mean"], p[name]["peers_protocol_mean"]
            rows.append(f"| {DISPLAY[name]} | {ours:.3f} | {peers:.3f} | {peers - ours:+.3f} |")
    if not rows:
        return ""
    return ("\n## Protocol\n\nWhat picking the epoch on the test set is worth (an analysis, never used to choose "
            "anything; stage `protocol`). Ours: the epoch with the best validation MAP, every one of the "
            f"{p['test_clips']} test clips. Peers' (as DCLMA's released training code): no early stop, the epoch "
            f"with the best test MAP, and only the {p['test_clips_scored_by_peers']} clips of full test batches of "
            f"{p['peer_test_batch']}. Both at the point each method chose on validation, average MAP, mean over the "
            "same seeds.\n\n| Method | ours | peers' protocol | peers' − ours |\n|---|---:|---:|---:|\n"
            + "\n".join(rows) + "\n")


READS = (
    "report",
    "evaluate.recall_ks",
    "model",
    "train",
    "tuning.grids.eics",
)


def main() -> None:
    from extract.atomic_files import write_text
    from extract.feature_store import read_features
    from pipeline.report_tables import claims_lines, map_table, time_table

    params = load_params(reads=READS)
    results = {}
    for path in sorted(paths.METHOD_RESULTS.glob("*.json")):
        summary = json.loads(path.read_text())
        results[summary["method"]] = summary
    timings = {path.stem: json.loads(path.read_text()) for path in sorted(paths.TIMINGS.glob("*.json"))}
    paper = json.loads(paths.PAPER_RESULTS.read_text())
    features = read_features(paths.FEATURES)
    source, backbone, n_test = features.source, features.backbone, len(features.splits["test"])
    seeds = params["report"]["seeds"]
    ks = params["evaluate"]["recall_ks"]
    budgets = sorted({r.get("tuning_budget", 0) for r in results.values()} - {0})
    compare = params["report"]["paper_dataset"]
    header = (
        f"# Compared methods\n\nDataset source: {source}; backbone: {backbone}; test clips: {n_test}; "
        f"seeds: {', '.join(map(str, seeds))} (mean ± sample std over seeds). "
        "Tie-aware MAP@all (expected AP over the orders of tied items), cosine similarity, "
        f"same features and metric for every method. Paper numbers ({paper['citation']}) are on "
        f"{compare.upper()}, beside ours for shape only: the datasets differ unless the features are VEGAS/AVE. "
        "Tuning: every method with knobs trained once at each of the "
        f"{', '.join(map(str, budgets)) or 'no'} points of its "
        "grid (params `tuning.grids`) on the train split and ran its seeds at the point with the best validation MAP; "
        "each ablation is tuned the same way over EICS's grid; every neural method has the same epoch cap and "
        "patience; the chosen points are in results/methods/<name>.json. "
        "Per-query MAP (mean AP over queries) is the headline, as in the paper and DCLMA's code; the class-averaged "
        "MAP (mean over classes of each class's mean AP, as in the ICVGIP audio-visual retrieval challenge), class "
        "R@k (share of queries with a same-class item in the top k), pair R@k (share of queries whose own pair, the "
        "same clip's other modality, is in the top k) and the median rank of that pair are the mean of both "
        "directions, tie-aware. "
        "Significance, over both sources of randomness: per seed and test clip, its AP as an audio and as a visual "
        "query averaged; a two-level paired bootstrap (50,000 resamples: the test clips drawn with replacement, the "
        "same for both methods, and each method's seeds drawn with replacement on their own) gives the two-sided "
        "p-value of Δ = method minus reference and its 95 % interval. Holm's step-down correction runs over each "
        "table's comparisons with its reference (and over each group of claims); a p-value within three Monte-Carlo "
        "standard errors (about 0.001 each near 0.05) of its Holm threshold reads 'borderline', never a verdict. "
        "Bold: not significantly worse than the table's best average MAP (Holm, 0.05), so every bold row is tied "
        "for best. 'not run' marks methods without results in this run. EICS's architecture and its params.yaml "
        "defaults (alpha, weight decay) were developed on the validation split of the development file "
        "(AudioSet embeddings whose two views are both audio); the other methods' grids were not.\n\n"
        + eics_point_note(results, params)
    )
    text = (
        header
        + "## Table 2: MAP of every method\n\n"
        + map_table(TABLE2, results, paper["table2"], compare, ks)
        + dclma_note(results)
        + "\n## Table 3: training time\n\n"
        + f"Wall-clock seconds depend on the machine and its load, so they are kept out of this file (which is "
        f"the same bytes on every machine): [{paths.TIMES_TABLE.name}]({paths.TIMES_TABLE.name}), written by the "
        "same stage from results/timings/ (neither is a DVC output nor committed).\n"
        + "\n## Table 4: ablations\n\n"
        + map_table(TABLE4, results, paper["table4"], compare, ks, against="eics")
        + claims_lines(results)
    )
    from evaluate.figures import precision_scope

    curves = {DISPLAY[m]: results[m]["precision_at"] for m in TABLE2 if m in results and "precision_at" in results[m]}
    precision_scope(
        curves,
        paths.METHODS_FIGURE,
        f"data: {source}; backbone: {backbone}; mean over seeds {', '.join(map(str, seeds))}",
    )
    text += f"\n![Precision at scope K, every method (paper Fig. 4)]({paths.METHODS_FIGURE.name})\n"
    text += protocol_section(results)
    write_text(paths.REPORT, text)
    timed = [m for m in TABLE3 if m in results or m in paper["table3_minutes"]]
    write_text(paths.TIMES_TABLE, f"# Table 3: training time\n\nThis machine, this run ({source}; {backbone}).\n\n"
               + time_table(timed, timings, paper["table3_minutes"]))
    print(f"report: {paths.REPORT} ({len(results)} methods), {paths.TIMES_TABLE}")


if __name__ == "__main__":
    run(main, reads=READS)
