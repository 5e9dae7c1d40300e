"""Paper-shaped Markdown tables: our mean ± std over seeds beside the paper's numbers."""
from __future__ import annotations

DISPLAY = {
    "random": "Random", "cca": "CCA", "kcca": "KCCA", "dcca": "DCCA", "c_cca": "C-CCA", "c_dcca": "C-DCCA",
    "ugach": "UGACH", "agah": "AGAH", "ucal": "UCAL", "acmr": "ACMR", "dscmr": "DSCMR", "tnn_c_cca": "TNN-C-CCA",
    "eics": "EICS (ours)", "explicit_only": "Explicit-space", "implicit_only": "Implicit-space",
    "ex_im_share": "Ex-Im-share", "eics_no_cons": "EICS without L_cons", "eics_no_im_im": "EICS without im-im term",
    "eics_literal": "EICS (literal losses)",
}
DIRECTIONS = ("audio_to_visual", "visual_to_audio", "average")


def _cell(mean, std, bold):
    text = f"{mean:.3f} ± {std:.3f}"
    return f"**{text}**" if bold else text


def _best(results, methods, key):
    values = [results[m][f"{key}_mean"] for m in methods if m in results]
    return max(values) if values else None


def map_table(methods, results: dict, paper: dict, dataset: str) -> str:
    """Rows: methods. Columns: our A→V, V→A, Avg. (mean ± std), then the paper's three on `dataset`."""
    best = {k: _best(results, methods, k) for k in DIRECTIONS}
    lines = [
        f"| Method | A→V (ours) | V→A (ours) | Avg. (ours) | A→V (paper, {dataset}) | V→A (paper) | Avg. (paper) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in methods:
        ours = (
            [_cell(results[m][f"{k}_mean"], results[m][f"{k}_std"], results[m][f"{k}_mean"] == best[k]) for k in DIRECTIONS]
            if m in results else ["not run"] * 3
        )
        theirs = [f"{x:.3f}" for x in paper[m][dataset]] if m in paper else ["–"] * 3
        lines.append(f"| {DISPLAY.get(m, m)} | " + " | ".join(ours + theirs) + " |")
    return "\n".join(lines) + "\n"


def time_table(methods, timings: dict, paper_minutes: dict) -> str:
    """Rows: methods. Columns: our fitting minutes per seed (mean ± std, from results/timings), the paper's."""
    lines = ["| Method | Training minutes (ours) | Training minutes (paper, VEGAS) |", "|---|---:|---:|"]
    for m in methods:
        ours = (f"{timings[m]['fit_seconds_mean'] / 60:.3f} ± {timings[m]['fit_seconds_std'] / 60:.3f}"
                if m in timings else "not run")
        theirs = f"{paper_minutes[m]:.2f}" if m in paper_minutes else "–"
        lines.append(f"| {DISPLAY.get(m, m)} | {ours} | {theirs} |")
    return "\n".join(lines) + "\n"
