"""Plain-loop reference implementations, written independently of the vectorised code."""
import math
from fractions import Fraction
from itertools import permutations


def cosine_distances(query, gallery):
    """1 - cos(q, g) per gallery item, by plain loops (a zero vector has cosine 0 with anything)."""
    def norm(v):
        return math.sqrt(sum(x * x for x in v))

    qn = norm(query)
    out = []
    for g in gallery:
        gn = norm(g)
        cos = 0.0 if qn == 0 or gn == 0 else sum((a / qn) * (b / gn) for a, b in zip(query, g))
        out.append(1.0 - cos)
    return out


def tie_groups(distances, relevant):
    """[(n, r)] per group of exactly equal distances, in ascending distance order."""
    groups = {}
    for d, rel in zip(distances, relevant):
        n, r = groups.get(d, (0, 0))
        groups[d] = (n + 1, r + int(rel))
    return [groups[d] for d in sorted(groups)]


def tie_aware_ap(distances, relevant):
    """McSherry & Najork's formula walked group by group; None when nothing is relevant."""
    total_relevant = sum(relevant)
    if total_relevant == 0:
        return None
    c = h = 0
    total = 0.0
    for n, r in tie_groups(distances, relevant):
        slope = (r - 1) / (n - 1) if n > 1 else 0.0
        total += (r / n) * sum((h + 1 + (j - c - 1) * slope) / j for j in range(c + 1, c + n + 1))
        c, h = c + n, h + r
    return total / total_relevant


def tie_aware_hits(distances, relevant, k):
    """Expected number of relevant items among the first k ranks."""
    c, hits = 0, 0.0
    for n, r in tie_groups(distances, relevant):
        hits += r * min(max(k - c, 0), n) / n
        c += n
    return hits


def plain_ap(relevance_sequence):
    hits, total = 0, Fraction(0)
    for rank, rel in enumerate(relevance_sequence, start=1):
        if rel:
            hits += 1
            total += Fraction(hits, rank)
    return total / hits if hits else None


def brute_force_ap(distances, relevant):
    """Average plain AP over every distinct order of every tie group (exact, in fractions)."""
    groups = {}
    for d, rel in zip(distances, relevant):
        groups.setdefault(d, []).append(int(rel))
    orders = [[()]]
    for d in sorted(groups):
        orders.append(sorted(set(permutations(groups[d]))))
    sequences = [()]
    for choices in orders[1:]:
        sequences = [s + c for s in sequences for c in choices]
    # every distinct order of a group with r relevant of n is equally likely: average over them
    values = [plain_ap(s) for s in sequences]
    return float(sum(values, Fraction(0)) / len(values)) if values[0] is not None else None


def loop_scores(queries, gallery, query_labels, gallery_labels, scopes=()):
    """Tie-aware AP per query (None without relevant items) and expected hits@K per query."""
    aps, hits = [], []
    for q, ql in zip(queries, query_labels):
        distances = cosine_distances(q, gallery)
        relevant = [gl == ql for gl in gallery_labels]
        aps.append(tie_aware_ap(distances, relevant))
        hits.append({k: tie_aware_hits(distances, relevant, k) for k in scopes})
    return aps, hits
