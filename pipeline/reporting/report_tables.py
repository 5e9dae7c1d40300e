"""The report stage's paper-shaped Markdown tables: our mean ± std over seeds beside the paper's numbers."""
from __future__ import annotations

from model.methods import CLAIMS, DISPLAY, UNSUPERVISED

MAP_COLUMNS = ("audio_to_visual", "visual_to_audio", "average")  # the table's three MAP columns


def _cell(mean, std, bold):
    text = f"{mean:.3f} ± {std:.3f}"
    return f"**{text}**" if bold else text


def per_clip(result: dict):
    """A method's seeds x clips average AP (both directions), or None for a result without them."""
    from evaluate.significance import per_clip_ap

    by_seed = result.get("per_query_ap_by_seed")
    if not by_seed:
        return None
    to_array = lambda rows: [[float("nan") if v is None else v for v in row] for row in rows]  # noqa: E731
    return per_clip_ap(to_array(by_seed["audio_to_visual"]), to_array(by_seed["visual_to_audio"]))


def compare(results: dict, method: str, reference: str):
    """Δ = method minus reference over seeds and clips (`evaluate.significance`); seeds paired where the two
    share them (`model.methods.seeds_shared`) and ran the same seed list."""
    from evaluate.significance import seeds_and_clips_test
    from model.methods import seeds_shared

    same_seeds = [r["seed"] for r in results[method]["runs"]] == [r["seed"] for r in results[reference]["runs"]]
    return seeds_and_clips_test(per_clip(results[method]), per_clip(results[reference]),
                                paired=seeds_shared(method, reference) and same_seeds)


def comparisons(methods, results: dict, against: str | None = None) -> tuple[str | None, dict]:
    """(the reference method, {method: significance.Adjusted}): each method against the reference
    (`against`, or the method with the highest average MAP), Δ = method minus reference, tested over
    seeds and clips, Holm-corrected over the table's comparisons."""
    from evaluate.significance import holm

    ran = [m for m in methods if m in results and per_clip(results[m]) is not None]
    if not ran:
        return None, {}
    ref = against if against in ran else max(ran, key=lambda m: results[m]["average_mean"])
    return ref, holm({m: compare(results, m, ref) for m in ran if m != ref})


def p_cell(adjusted) -> str:
    """`p_Holm reading (Δ method − reference, 95 % CI; paired)`."""
    from evaluate.significance import p_text

    t = adjusted.test
    mark = " borderline" if adjusted.borderline else ""
    return (f"{p_text(adjusted.p_holm)}{mark} (Δ {t.difference:+.3f}, 95 % CI {t.low:+.3f} … {t.high:+.3f}"
            f"{'; paired seeds' if t.paired else ''})")


def tuning_mark(result: dict) -> str:
    """A row's tuning notes: "edge" for a choice at the end of a grid axis, "rule" for a tie resolved by the rule."""
    marks = []
    if result.get("tuning_edges"):
        marks.append(f"edge: {', '.join(result['tuning_edges'])}")
    if result.get("tuning_rule_changed_the_choice"):
        marks.append("tie rule")
    return f" ({'; '.join(marks)})" if marks else ""


def map_table(
    methods, results: dict, paper: dict, dataset: str, recall_ks, against: str | None = None
) -> str:
    """Rows: methods. Columns: our A→V, V→A, Avg. (per-query MAP, mean ± std over seeds), class-averaged MAP,
    R@k, the p-value of the test against the reference (the best average MAP, or `against`), then the paper's
    three numbers on `dataset`. Bold: the reference and every row not significantly different from it (a
    borderline p counts as not significant)."""
    ref, tests = comparisons(methods, results, against)
    ref_name = DISPLAY.get(ref, ref) if ref else "the best"
    lines = [
        "| Method | A→V (ours) | V→A (ours) | Avg. (ours) | Class-averaged MAP (ours) | "
        + " | ".join([f"class R@{k}" for k in recall_ks] + [f"pair R@{k}" for k in recall_ks] + ["median rank"])
        + f" | p (Holm) vs {ref_name}, Δ = method − {ref_name} | A→V (paper, {dataset}) | V→A (paper) "
        "| Avg. (paper) |",
        "|---|" + "---:|" * (9 + 2 * len(recall_ks)),
    ]
    for m in methods:
        if m in results:
            r = results[m]
            test = tests.get(m)
            level = m == ref or (test is not None and not test.significant)
            ours = [_cell(r[f"{k}_mean"], r[f"{k}_std"], level) for k in MAP_COLUMNS]
            ours.append(_cell(r["class_averaged_map_average_mean"], r["class_averaged_map_average_std"], level)
                        if "class_averaged_map_average_mean" in r else "–")
            ours += [f"{r[key]:.3f}" if (key := f"{kind}_recall_at_{k}_average_mean") in r else "–"
                     for kind in ("class", "pair") for k in recall_ks]
            ours.append(f"{r['median_rank_average_mean']:.1f}" if "median_rank_average_mean" in r else "–")
            ours.append("reference" if m == ref else p_cell(test) if test else "–")
        else:
            ours = ["not run"] * (6 + 2 * len(recall_ks))
        theirs = [f"{x:.3f}" for x in paper[m][dataset]] if m in paper else ["–"] * 3
        lines.append(f"| {DISPLAY.get(m, m)}{tuning_mark(results.get(m, {}))} | " + " | ".join(ours + theirs) + " |")
    return "\n".join(lines) + "\n"


def p_equals(p: float) -> str:
    """"= 0.0123" or "< 0.001"."""
    from evaluate.significance import p_text

    text = p_text(p)
    return text if text.startswith("<") else f"= {text}"


def effect(adjusted, with_pairing: bool = True) -> str:
    """"Δ +0.012, p (Holm) < 0.001[, paired seeds]" of one comparison."""
    t = adjusted.test
    paired = ", paired seeds" if with_pairing and t.paired else ""
    return f"Δ {t.difference:+.3f}, p (Holm) {p_equals(adjusted.p_holm)}{paired}"


def verdict(adjusted) -> str:
    """A claim that the variant is below EICS, from the variant-minus-EICS comparison (Holm over the claims)."""
    t = adjusted.test
    how = effect(adjusted)
    if adjusted.borderline:
        return f"borderline ({how}: between 0.01 and 0.10, no verdict)"
    if adjusted.significant and t.difference < 0:
        return f"reproduced ({how})"
    if adjusted.significant:
        return f"not reproduced: the variant is higher ({how})"
    return f"not reproduced: no significant difference ({how})"


STANDIN_CLAIM = "not judged: stand-in backbones, a smoke test"


def judged_not(adjusted) -> str:
    return f"{STANDIN_CLAIM} ({effect(adjusted, with_pairing=False)})"


def claims_lines(results: dict, standin: bool = False) -> str:
    """One line per claim of the paper, with our verdict: Δ = variant (or unsupervised method) minus the
    method the claim says is better, tested over seeds and clips, Holm over each group of claims. On
    stand-in features (`standin`) the numbers are shown and no claim is judged."""
    from evaluate.significance import holm

    ran = {m for m, r in results.items() if per_clip(r) is not None}
    lines = []
    if "eics" in ran:
        claims = {method: text for text, method in CLAIMS if method in ran}
        tested = holm({m: compare(results, m, "eics") for m in claims})
        lines += [f"- {claims[m]}: {verdict(tested[m]) if not standin else judged_not(tested[m])}." for m in claims]
    if "explicit_only" in ran:
        others = [m for m in UNSUPERVISED if m in ran]
        if others:
            tested = holm({m: compare(results, m, "explicit_only") for m in others})
            beaten = [m for m, a in tested.items() if a.significant and a.test.difference < 0]
            unsure = [m for m, a in tested.items() if a.borderline]
            worst = max(tested.values(), key=lambda a: a.p_holm)
            state = (STANDIN_CLAIM if standin else "reproduced" if len(beaten) == len(others) else
                     f"borderline for {', '.join(DISPLAY[m] for m in unsure)}" if unsure else
                     f"not reproduced: significantly above {len(beaten)} of {len(others)}")
            lines.append(f"- Explicit-space beats the unsupervised methods ({', '.join(DISPLAY[m] for m in others)}): "
                         f"{state} (largest p (Holm) {p_equals(worst.p_holm)}; Δ = each method minus "
                         "Explicit-space).")
    if not lines:
        return ""
    head = "The paper's claims about EICS's parts, checked on this test split (seeds and clips, Holm)"
    return f"\n{head}:\n\n" + "\n".join(lines) + "\n"


def tuning_notes(results: dict) -> str:
    """Where a tuning choice fell to the tie rule or sits at the edge of its grid."""
    from pipeline.fitting.tuning_choice import BEST

    lines = []
    for m, r in results.items():
        point = ", ".join(f"{k} {v}" for k, v in r.get("point", {}).items())
        if r.get("tuning_rule") and r["tuning_rule"] != BEST:
            also = ("; not the best mean, which the rule set aside" if r.get("tuning_rule_changed_the_choice")
                    else "; also the best mean")
            lines.append(f"- {DISPLAY.get(m, m)}: {point} ({r['tuning_rule']}{also}).")
        if r.get("tuning_edges"):
            lines.append(f"- {DISPLAY.get(m, m)}: chosen at the edge of its grid in {', '.join(r['tuning_edges'])} "
                         "(validation MAP may still rise beyond it).")
    if not lines:
        return ""
    return "\nTuning notes (results/tuning/<name>.json has every point's validation MAP per seed):\n\n" + \
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
