"""Search speed, from one run:

1. One query by a 10-s clip through the search path (decode at 1 fps, InceptionV3 with
   random weights — the real architecture's compute —, PCA, EICS towers, fusion, ranking a
   gallery of 100,000 clips) against the backbone inference on that clip's frames alone;
   the model is loaded once, as in a search service.
2. Ranking 1,000,000 random 10-D embeddings for the top 10 (argpartition) against a full sort.
Run: python -m benchmarks.search_speed
"""
import os
import tempfile
import time
from pathlib import Path


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def ten_second_clip(path):
    import numpy as np

    from extract.sample import write_mp4

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(10 * 12)]
    write_mp4(path, frames, 12, (0.2 * rng.standard_normal(160000)).astype(np.float32), 16000)


def main():
    import numpy as np

    from benchmarks.extract_speed import inception_modality
    from evaluate.retrieval_index import top_matches, unit_rows
    from extract.decode import decode_frames_1fps
    from extract.shards import clip_rows
    from extract.video_features import clip_vector
    from model.eics.embedding import embed, fused_one_modality, stacked_heads
    from model.eics.network import build_eics
    from model.linear_cca import fit_linear_cca

    rng = np.random.default_rng(0)
    modality = inception_modality()
    pca = {"mean": rng.normal(size=2048), "components": np.linalg.qr(rng.normal(size=(2048, 1024)))[0].T,
           "explained_variance": np.ones(1024), "whiten": False}
    model = build_eics(128, 1024, 10, [1024], [1024], explicit_dim=10, activation="relu", dropout=0.0)
    train_a, train_v = rng.normal(size=(500, 128)).astype(np.float32), rng.normal(size=(500, 1024)).astype(np.float32)
    fusion = fit_linear_cca(*stacked_heads(embed(model, train_a, train_v), ["ex", "im"]), 10, 10.0)
    gallery = unit_rows(rng.normal(size=(100_000, 10)))
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "query.mp4"
        ten_second_clip(clip)
        frames = decode_frames_1fps(clip, size=299)[1]

        def query():
            features = clip_vector(clip_rows(modality, clip), pca)[None]
            vector = fused_one_modality(model, fusion, ["ex", "im"], "visual", features)[0]
            return top_matches(vector, gallery, 10)

        query()  # warm-up: graph tracing of the towers
        backbone = best_of(3, lambda: modality.infer(frames))
        whole = best_of(3, query)
    big = unit_rows(rng.normal(size=(1_000_000, 10)))
    probe = rng.normal(size=10)
    partial_rank = best_of(5, lambda: top_matches(probe, big, 10))
    full_sort = best_of(3, lambda: np.argsort(-(big @ unit_rows(probe))))
    print(f"query by a 10-s clip ({len(frames)} frames, visual, gallery 100,000): {whole:.2f} s; backbone alone "
          f"{backbone:.2f} s -> ratio {whole / backbone:.2f} (target < 3)")
    print(f"top 10 of 1,000,000 10-D embeddings: {partial_rank * 1000:.1f} ms (target < 100 ms); "
          f"full argsort {full_sort * 1000:.0f} ms -> {full_sort / partial_rank:.1f}x slower")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: its start-up chatter off
    main()
