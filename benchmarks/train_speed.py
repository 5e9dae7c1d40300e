"""Training time per epoch at the dev file's and at VEGAS size, in float64 and in float32, against
this machine's matmul rate in the same precision.

Counts the dense-layer FLOPs of one epoch (forward + backward = 3 x forward), measures the
matmul rate with TensorFlow on a layer-sized product in the same run and precision, and prints
per size and precision the epoch time, the fraction of the matmul rate the training loop
reaches, and float64's cost against float32 (the price of results that are the same bytes on
every CPU). One fit's thread partition (`fits.threads`, pinned before TensorFlow loads).
Run: python -m benchmarks.train_speed
"""
import os
import time
from dataclasses import replace

from pipeline.portable import pin_fit_threads
from pipeline.settings.params import load_params

SIZES = {"dev file (612 training clips)": (612, 68), "VEGAS (20,234 training clips)": (20234, 2248)}
BATCH = 256
PRECISIONS = ("float64", "float32")


def dense_flops_per_sample(model):
    return sum(2 * w.shape[0] * w.shape[1] for w in model.trainable_weights if len(w.shape) == 2)


def matmul_rate(dtype, m=BATCH, k=1024, n=2048, repeats=50):
    import tensorflow as tf

    a, b = tf.random.normal((m, k), dtype=dtype), tf.random.normal((k, n), dtype=dtype)
    tf.matmul(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        c = tf.matmul(a, b)
    c.numpy()
    return 2 * m * k * n * repeats / (time.perf_counter() - start)


def epoch_seconds(params, n_train: int, n_val: int, precision: str) -> tuple[float, float]:
    """(seconds of the second epoch: no tracing, no validation; its dense GFLOP) of EICS at the paper's widths."""
    from extract.synthetic import make_synthetic_features
    from model.eics.network import build_eics
    from model.eics.training import train_eics
    from model.precision import fitting_precision
    from model.training import seed_everything
    from pipeline.settings.eics import train_config

    knobs = {k: v for k, v in params["synthetic"].items() if k not in ("n_train", "n_val", "n_test")}
    features = make_synthetic_features({"train": n_train, "val": n_val}, **knobs, seed=0)
    stamps = [time.perf_counter()]
    with fitting_precision(precision):
        seed_everything(0)
        model = build_eics(128, 1024, 10, [1024, 1024], [1024, 2048], explicit_dim=10, activation="relu",
                           dropout=0.0)  # the paper's Table 1 widths
        cfg = replace(train_config(params), epochs=3, batch_size=BATCH, validate_every=100, patience=100,
                      min_steps=0)
        train_eics(model, features.splits["train"], features.splits["val"], 10, cfg,
                   lambda e, r: stamps.append(time.perf_counter()))
    flops = 3 * dense_flops_per_sample(model) * (n_train // BATCH) * BATCH
    return stamps[2] - stamps[1], flops


def main():
    params = load_params()
    pin_fit_threads(params["fits"]["threads"])
    print(f"EICS (paper widths), batch {BATCH}, {params['fits']['threads']} TensorFlow thread(s) per fit")
    rates = {p: matmul_rate(p) for p in PRECISIONS}
    for p in PRECISIONS:
        print(f"matmul rate ({BATCH}x1024 @ 1024x2048) in {p}: {rates[p] / 1e9:.1f} GFLOP/s")
    print(f"float32 / float64 matmul rate: {rates['float32'] / rates['float64']:.2f}x")
    for label, (n_train, n_val) in SIZES.items():
        seconds = {}
        for p in PRECISIONS:
            seconds[p], flops = epoch_seconds(params, n_train, n_val, p)
            print(f"{label}, {p}: epoch {seconds[p]:.2f} s, {flops / seconds[p] / 1e9:.1f} GFLOP/s, "
                  f"{flops / seconds[p] / rates[p]:.0%} of the {p} matmul rate")
        print(f"{label}: float64 epoch / float32 epoch {seconds['float64'] / seconds['float32']:.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: its start-up chatter off
    main()
