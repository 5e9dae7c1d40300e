"""The `evaluate` stage's results table: EICS against the linear-CCA reference row, with paired
significance against the best row (bold = tied for best)."""
from __future__ import annotations

SIGNIFICANCE_NOTE = ("p-value: t-test of the per-clip average AP paired by clip (one fit per row, so only the clips "
                     "vary here: results/report.md tests over seeds too) against the row with the highest average "
                     "MAP, Holm-corrected; Δ = row minus that row; below 0.01 significant, 0.01-0.10 borderline; "
                     "bold: not significantly worse than it (so every bold row is tied for best).")


def comparison_table(rows: dict, recall_ks) -> str:
    """Markdown rows of TestScores with significance against the best average MAP (bold = tied for best)."""
    from evaluate.significance import holm, p_text, per_clip_ap, seeds_and_clips_test
    from evaluate.tables import markdown_table

    numbers = {name: scores.numbers() for name, scores in rows.items()}
    clips = {name: per_clip_ap(s.directions["audio_to_visual"].average_precision,
                               s.directions["visual_to_audio"].average_precision) for name, s in rows.items()}
    best = max(numbers, key=lambda n: numbers[n]["map_average"])
    tests = holm({name: seeds_and_clips_test(clips[name], clips[best]) for name in numbers if name != best})
    table = []
    for name, n in numbers.items():
        adjusted = tests.get(name)
        tied = adjusted is None or not adjusted.significant
        maps = [n["map_audio_to_visual"], n["map_visual_to_audio"], n["map_average"], n["class_averaged_map_average"]]
        text = [f"**{c:.4f}**" if tied else f"{c:.4f}" for c in maps]
        text += [f"{n[f'{kind}_recall_at_{k}_average']:.4f}" for kind in ("class", "pair") for k in recall_ks]
        text.append(f"{n['median_rank_average']:.1f}")
        if adjusted is None:
            text.append("best")
        else:
            t = adjusted.test
            text.append(f"{p_text(adjusted.p_holm)}{' borderline' if adjusted.borderline else ''} "
                        f"(Δ {t.difference:+.4f}, 95 % CI {t.low:+.4f} … {t.high:+.4f})")
        table.append([name, *text])
    header = ["Method", "A→V", "V→A", "Avg. MAP", "Class-averaged MAP", *[f"class R@{k}" for k in recall_ks],
              *[f"pair R@{k}" for k in recall_ks], "median rank",
              "p (Holm) vs best, Δ = row − best"]
    return markdown_table(header, table)
