"""The report stage's paper-shaped Markdown tables: our mean ± std over seeds beside the paper's numbers."""
from __future__ import annotations

from model.methods import CLAIMS, DISPLAY, UNSUPERVISED

DIRECTIONS = ("audio_to_visual", "visual_to_audio", "average")


def _cell(mean, std, bold):
    text = f"{mean:.3f} ± {std:.3f}"
    return f"**{text}**" if bold else text


def per_clip(result: dict):
    """A method's per-clip average AP (both directions, mean over seeds), or None for an older result."""
    from evaluate.significance import per_clip_ap

    q = result.get("per_query_ap")
    if not q:
        return None
    to_array = lambda values: [float("nan") if v is None else v for v in values]  # noqa: E731
    return per_clip_ap(to_array(q["audio_to_visual"]), to_array(q["visual_to_audio"]))


def comparisons(methods, results: dict, against: str | None = None) -> tuple[str | None, dict]:
    """(the reference method, {method: PairedComparison of reference minus method}); the reference is
    `against` or the method with the highest average MAP."""
    from evaluate.significance import paired_test

    clips = {m: per_clip(results[m]) for m in methods if m in results}
    ran = [m for m, c in clips.items() if c is not None]
    if not ran:
        return None, {}
    ref = against if against in ran else max(ran, key=lambda m: results[m]["average_mean"])
    return ref, {m: paired_test(clips[ref], clips[m]) for m in ran if m != ref}


def p_text(test) -> str:
    return f"{test.p_value:.3g} (Δ {-test.difference:+.3f}, 95 % CI {-test.high:+.3f} … {-test.low:+.3f})"


def map_table(
    methods, results: dict, paper: dict, dataset: str, recall_ks, against: str | None = None
) -> str:
    """Rows: methods. Columns: our A→V, V→A, Avg. (per-query MAP, mean ± std over seeds), class-averaged MAP,
    R@k, the p-value of the paired test against the reference (the best average MAP, or `against`), then the
    paper's three numbers on `dataset`. Bold: not significantly worse than the table's best average MAP at
    0.05 (tied for best), whatever `against` is."""
    best, against_best = comparisons(methods, results)
    ref, tests = comparisons(methods, results, against) if against else (best, against_best)
    best_name = DISPLAY.get(ref, ref) if ref else "the best"
    lines = [
        "| Method | A→V (ours) | V→A (ours) | Avg. (ours) | Class-averaged MAP (ours) | "
        + " | ".join(f"R@{k}" for k in recall_ks)
        + f" | p-value vs {best_name} | A→V (paper, {dataset}) | V→A (paper) | Avg. (paper) |",
        "|---|" + "---:|" * (8 + len(recall_ks)),
    ]
    for m in methods:
        if m in results:
            r = results[m]
            test = tests.get(m)
            tied = m == best or (m in against_best and against_best[m].p_value >= 0.05)
            ours = [_cell(r[f"{k}_mean"], r[f"{k}_std"], tied) for k in DIRECTIONS]
            ours.append(_cell(r["class_averaged_map_average_mean"], r["class_averaged_map_average_std"], tied)
                        if "class_averaged_map_average_mean" in r else "–")
            ours += [f"{r[f'recall_at_{k}_average_mean']:.3f}" if f"recall_at_{k}_average_mean" in r else "–"
                     for k in recall_ks]
            ours.append("reference" if m == ref else p_text(test) if test else "–")
        else:
            ours = ["not run"] * (5 + len(recall_ks))
        theirs = [f"{x:.3f}" for x in paper[m][dataset]] if m in paper else ["–"] * 3
        lines.append(f"| {DISPLAY.get(m, m)} | " + " | ".join(ours + theirs) + " |")
    return "\n".join(lines) + "\n"


def verdict(test) -> str:
    """Reproduced when EICS is significantly above the method (difference reference - method > 0)."""
    if test.p_value < 0.05 and test.difference > 0:
        return f"reproduced (EICS higher by {test.difference:.3f}, p = {test.p_value:.3g})"
    if test.p_value < 0.05:
        return f"not reproduced: the variant is higher by {-test.difference:.3f} (p = {test.p_value:.3g})"
    return f"not reproduced: no significant difference (Δ {test.difference:+.3f}, p = {test.p_value:.3g})"


def claims_lines(results: dict) -> str:
    """One line per claim of the paper, with our verdict from the paired test on this run's test split."""
    from evaluate.significance import paired_test

    clips = {m: c for m, r in results.items() if (c := per_clip(r)) is not None}
    lines = []
    if "eics" in clips:
        for text, method in CLAIMS:
            if method in clips:
                lines.append(f"- {text}: {verdict(paired_test(clips['eics'], clips[method]))}.")
    if "explicit_only" in clips:
        others = [m for m in UNSUPERVISED if m in clips]
        if others:
            tests = {m: paired_test(clips["explicit_only"], clips[m]) for m in others}
            beaten = [m for m, t in tests.items() if t.p_value < 0.05 and t.difference > 0]
            worst = max(tests.values(), key=lambda t: t.p_value)
            state = ("reproduced" if len(beaten) == len(others) else
                     f"not reproduced: significantly above {len(beaten)} of {len(others)}")
            lines.append(f"- Explicit-space beats the unsupervised methods ({', '.join(DISPLAY[m] for m in others)}): "
                         f"{state} (largest p = {worst.p_value:.3g}).")
    if not lines:
        return ""
    return "\nThe paper's claims about EICS's parts, checked on this test split (paired test against EICS):\n\n" + \
        "\n".join(lines) + "\n"


def time_table(methods, timings: dict, paper_minutes: dict) -> str:
    """Rows: methods. Columns: our fitting minutes per seed (mean ± std, from results/timings), the paper's."""
    lines = ["| Method | Training minutes (ours) | Training minutes (paper, VEGAS) |", "|---|---:|---:|"]
    for m in methods:
        ours = (f"{timings[m]['fit_seconds_mean'] / 60:.3f} ± {timings[m]['fit_seconds_std'] / 60:.3f}"
                if m in timings else "not run")
        theirs = f"{paper_minutes[m]:.2f}" if m in paper_minutes else "–"
        lines.append(f"| {DISPLAY.get(m, m)} | {ours} | {theirs} |")
    return "\n".join(lines) + "\n"
