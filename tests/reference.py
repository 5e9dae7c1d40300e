"""Plain-loop reference implementations, written independently of the vectorised code."""
import math


def loop_average_precisions(queries, gallery, query_labels, gallery_labels):
    """AP per query: rank by cosine distance (ties by index) with sorted(), then walk the list."""
    def norm(v):
        return math.sqrt(sum(x * x for x in v))

    out = []
    for q, ql in zip(queries, query_labels):
        qn = norm(q)
        dists = []
        for j, g in enumerate(gallery):
            gn = norm(g)
            cos = 0.0 if qn == 0 or gn == 0 else sum((a / qn) * (b / gn) for a, b in zip(q, g))
            dists.append((1.0 - cos, j))
        ranking = [j for _, j in sorted(dists)]
        hits, total = 0, 0.0
        for rank, j in enumerate(ranking, start=1):
            if gallery_labels[j] == ql:
                hits += 1
                total += hits / rank
        out.append(total / hits if hits else None)
    return out


def loop_map(queries, gallery, query_labels, gallery_labels):
    aps = [a for a in loop_average_precisions(queries, gallery, query_labels, gallery_labels) if a is not None]
    return sum(aps) / len(aps)
