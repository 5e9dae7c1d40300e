"""MAP speed at VEGAS test size (5,621 x 5,621), both directions, against the plain loop.

Prints, from one run: our time for both directions (best of 3), the loop reference's time
per query measured on a subset of queries and scaled to all 5,621, their ratio, and the
largest AP difference on the subset. Run: python -m benchmarks.map_speed
"""
import time

import numpy as np

from evaluate.metrics import retrieval_scores
from tests.reference import loop_average_precisions

N, DIM, CLASSES, LOOP_QUERIES = 5621, 10, 10, 150


def main():
    rng = np.random.default_rng(0)
    labels = np.arange(N) % CLASSES
    centres = rng.standard_normal((CLASSES, DIM))
    audio = centres[labels] + 1.5 * rng.standard_normal((N, DIM))
    visual = centres[labels] + 1.5 * rng.standard_normal((N, DIM))

    ours = []
    for _ in range(3):
        start = time.perf_counter()
        a2v = retrieval_scores(audio, visual, labels, labels, scopes=())
        v2a = retrieval_scores(visual, audio, labels, labels, scopes=())
        ours.append(time.perf_counter() - start)
    ours_s = min(ours)

    gallery = visual.tolist()
    start = time.perf_counter()
    ref_a2v = loop_average_precisions(audio[:LOOP_QUERIES].tolist(), gallery, labels[:LOOP_QUERIES].tolist(), labels.tolist())
    loop_per_query = (time.perf_counter() - start) / LOOP_QUERIES
    loop_s = loop_per_query * 2 * N  # both directions, all queries
    ref_v2a = loop_average_precisions(visual[:20].tolist(), audio.tolist(), labels[:20].tolist(), labels.tolist())
    diff = max(np.abs(a2v.average_precision[:LOOP_QUERIES] - ref_a2v).max(), np.abs(v2a.average_precision[:20] - ref_v2a).max())

    print(f"MAP@all at n = {N} (both directions): A->V {a2v.mean_average_precision:.4f}, V->A {v2a.mean_average_precision:.4f}")
    print(f"ours (vectorised):      {ours_s:8.3f} s for both directions (best of 3)")
    print(f"loop reference:         {loop_s:8.1f} s for both directions (measured on {LOOP_QUERIES} queries, scaled)")
    print(f"speed-up:               {loop_s / ours_s:8.0f} x")
    print(f"max |AP difference|:    {diff:.2e} (on the measured queries)")


if __name__ == "__main__":
    main()
