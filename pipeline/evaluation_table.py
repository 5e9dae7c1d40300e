"""The `evaluate` stage's results table: EICS against the linear-CCA reference row, with paired
significance against the best row (bold = tied for best)."""
from __future__ import annotations

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
