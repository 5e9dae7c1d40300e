"""results/retrieval.html: the `evaluate` stage's page of example test queries."""
from __future__ import annotations

import numpy as np

from pipeline.settings import paths


def retrieval_page(params: dict, setting: str) -> tuple[str, float]:
    """results/retrieval.html: seeded test queries per class, each with its top matches of the
    other modality among the test clips; returns (page path, share of matches in the query's class)."""
    from evaluate.metrics import mean_average_precision
    from evaluate.retrieval_index import read_index
    from evaluate.retrieval_page import write_page
    from pipeline.reporting.retrieval import answer, index_clip, other

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
        f"(up to {params['evaluate']['page_queries_per_class']} per class, seed {params['evaluate']['page_seed']}) "
        f"by {by}; each ranks the {other(by)} side of the {len(gallery)} test clips "
        f"of {index.dataset} by cosine similarity in the fused space of the trained EICS model. "
        "cos = cosine similarity; ✓ = same class as the query; "
        "AP is the query's tie-aware average precision over the whole test gallery."
    )
    write_page(paths.RETRIEVAL_PAGE, "Retrieval examples", intro, results)
    return str(paths.RETRIEVAL_PAGE), float(np.mean(hits)) if hits else float("nan")
