"""Training time per epoch on VEGAS-sized synthetic data, against this machine's matmul rate.

Counts the dense-layer FLOPs of one epoch (forward + backward = 3 x forward), measures the
machine's matmul rate with TensorFlow on a layer-sized product in the same run, in the
training precision (float64, `model.precision`) and in float32, and prints the epoch time,
the fraction of the float64 rate the training loop reaches, and what float64 costs against
float32 (the price of results that are the same bytes on every CPU).
Run: python -m benchmarks.train_speed
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from dataclasses import replace  # noqa: E402

import tensorflow as tf  # noqa: E402

from extract.synthetic import make_synthetic_features  # noqa: E402
from model.eics.network import build_eics  # noqa: E402
from model.eics.training import train_eics  # noqa: E402
from model.precision import DTYPE  # noqa: E402
from model.training import seed_everything  # noqa: E402
from pipeline.eics_settings import train_config  # noqa: E402
from pipeline.params import load_params  # noqa: E402

N_TRAIN, N_VAL, BATCH = 20234, 2248, 256  # VEGAS: 22,482 training clips, 10 % kept for validation


def dense_flops_per_sample(model):
    return sum(2 * w.shape[0] * w.shape[1] for w in model.trainable_weights if len(w.shape) == 2)


def matmul_rate(dtype, m=BATCH, k=1024, n=2048, repeats=50):
    a, b = tf.random.normal((m, k), dtype=dtype), tf.random.normal((k, n), dtype=dtype)
    tf.matmul(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        c = tf.matmul(a, b)
    c.numpy()
    return 2 * m * k * n * repeats / (time.perf_counter() - start)


def main():
    params = load_params()
    knobs = {k: v for k, v in params["synthetic"].items() if k not in ("n_train", "n_val", "n_test")}
    features = make_synthetic_features({"train": N_TRAIN, "val": N_VAL}, **knobs, seed=0)  # params.yaml's generator
    seed_everything(0)
    # the paper's Table 1 widths
    model = build_eics(128, 1024, 10, [1024, 1024], [1024, 2048], explicit_dim=10, activation="relu", dropout=0.0)
    stamps = [time.perf_counter()]
    cfg = replace(train_config(params), epochs=3, batch_size=BATCH, validate_every=100, patience=100)
    train_eics(
        model,
        features.splits["train"],
        features.splits["val"],
        10,
        cfg,
        lambda e, r: stamps.append(time.perf_counter()),
    )
    epoch_s = stamps[2] - stamps[1]  # epoch 2: no tracing, no validation
    flops = 3 * dense_flops_per_sample(model) * (N_TRAIN // BATCH) * BATCH
    rate, rate_float32 = matmul_rate(DTYPE), matmul_rate(tf.float32)
    print(
        f"training epoch on {N_TRAIN} clips, batch {BATCH}: {epoch_s:.2f} s "
        f"(first epoch with tracing {stamps[1] - stamps[0]:.2f} s)"
    )
    print(f"dense FLOPs per epoch: {flops / 1e12:.3f} TFLOP -> {flops / epoch_s / 1e9:.1f} GFLOP/s achieved")
    print(f"matmul rate ({BATCH}x1024 @ 1024x2048): {rate / 1e9:.1f} GFLOP/s in {DTYPE}, "
          f"{rate_float32 / 1e9:.1f} GFLOP/s in float32 (float32 / {DTYPE}: {rate_float32 / rate:.2f}x)")
    print(f"training loop reaches {flops / epoch_s / rate:.0%} of the matmul rate")
    print(f"projected 1000 epochs (paper Fig. 5): {1000 * epoch_s / 60:.0f} min")


if __name__ == "__main__":
    main()
