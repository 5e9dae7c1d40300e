"""Fits per minute of the methods stage's fan-out on Ray, 2 workers against 1 (the same threads per
fit: what fan-out gains with no serial part, the figure that carries to more cores), and the
projected wall time of the full report for 1, 2, 8 and 32 workers in each precision, at the dev
file's size and at VEGAS size.

Data: synthetic, shaped like the dev file (612 / 68 / 723 clips, 128-D audio, 1024-D visual,
10 classes). Per-fit seconds: one fit of every method at its params.yaml values, seed 0, through
the stage's own task (`pipeline.fitting.fit_task`). The report's fits per method: its grid points x
`tuning.seeds` plus the remaining report seeds. VEGAS per-fit seconds: the dev ones scaled by
EICS's epoch time at VEGAS size over its epoch time at dev size in the same precision
(benchmarks/train_speed.py's measurement), assuming as many epochs. More workers than 2: the
2-worker efficiency per worker, assumed to hold.
Run: python -m benchmarks.fanout_speed
"""
import os
import time

from pipeline.portable import pin_fit_threads
from pipeline.settings.params import load_params

WORKERS = (1, 2, 8, 32)
PRECISIONS = ("float32", "float64")


def dev_shaped(params):
    from extract.synthetic import make_synthetic_features

    knobs = {k: v for k, v in params["synthetic"].items() if k not in ("n_train", "n_val", "n_test")}
    return make_synthetic_features({"train": 612, "val": 68, "test": 723}, **knobs, seed=0)


def run_jobs(jobs, shared, fanout, ready) -> tuple[float, list[dict]]:
    """(wall seconds, results) of `jobs` on a running session, after one warm-up fit per worker."""
    from pipeline.fitting.fanout import run_tasks
    from pipeline.fitting.fit_task import fit_and_score

    warm = [jobs[0]] * max(fanout.workers, 1)
    run_tasks(fit_and_score, warm, shared, fanout, lambda job, result: [], ready)
    results = []
    started = time.perf_counter()
    run_tasks(fit_and_score, jobs, shared, fanout, lambda job, result: results.append((job, result)) or [], ready)
    return time.perf_counter() - started, results


def main():
    from dataclasses import replace

    from benchmarks.train_speed import epoch_seconds
    from model.methods import METHODS
    from pipeline.fitting.fanout import FanOut, session
    from pipeline.fitting.fit_task import FitJob
    from pipeline.settings.methods import grid_of, grid_points

    params = load_params()
    pin_fit_threads(params["fits"]["threads"])  # this process times EICS epochs (part 3) as a fit runs them
    features = dev_shaped(params)
    splits = tuple(features.splits[s] for s in ("train", "val", "test"))
    base = replace(FanOut.from_params(params["fits"]), address="")
    print(f"{base.threads} TensorFlow thread(s) per fit; data shaped like the dev file")

    # 1. throughput: the same 8 fits with 1 and with 2 workers
    jobs = [FitJob(name, {}, seed) for name in ("eics", "dscmr") for seed in range(4)]
    shared = {"params": params, "splits": splits, "n_classes": features.n_classes,
              "precision": params["fits"]["precision_report"]}
    rate = {}
    for workers in (1, 2):
        fanout = replace(base, workers=workers)
        with session(fanout) as ready:
            seconds, _ = run_jobs(jobs, shared, fanout, ready)
        rate[workers] = len(jobs) / seconds * 60
        print(f"{workers} worker(s): {len(jobs)} fits in {seconds:.1f} s, {rate[workers]:.1f} fits per minute")
    speedup = rate[2] / rate[1]
    print(f"fits per minute, 2 workers / 1 worker: {speedup:.2f}x")

    # 2. per-fit seconds of every method, both precisions, one at a time
    per_fit = {}
    one = replace(base, workers=1)
    for precision in PRECISIONS:
        with session(one) as ready:
            _, results = run_jobs([FitJob(name, {}, 0) for name in METHODS],
                                  {**shared, "precision": precision}, one, ready)
        per_fit[precision] = {job.name: result["seconds"] for job, result in results}
    seeds, tuning_seeds = len(params["report"]["seeds"]), params["tuning"]["seeds"]
    count = {}
    for name in METHODS:
        grid = grid_of(name, params)
        points = len(grid_points(grid)) if grid is not None else 0
        count[name] = points * min(tuning_seeds, seeds) + seeds - (min(tuning_seeds, seeds) if points else 0)
    print(f"\nper-fit seconds at dev size (fits in one report: {sum(count.values())})")
    print("| method | fits | float32 s | float64 s | float64 / float32 |\n|---|---:|---:|---:|---:|")
    for name in METHODS:
        a, b = per_fit["float32"][name], per_fit["float64"][name]
        print(f"| {name} | {count[name]} | {a:.2f} | {b:.2f} | {b / a if a else float('nan'):.2f} |")

    # 3. VEGAS: EICS's epoch at VEGAS size over dev size, per precision
    scale = {p: epoch_seconds(params, 20234, 2248, p)[0] / epoch_seconds(params, 612, 68, p)[0] for p in PRECISIONS}
    print("\nEICS epoch, VEGAS size / dev size: " + ", ".join(f"{p} {scale[p]:.1f}x" for p in PRECISIONS))
    print("\nprojected wall time of the report's fits (minutes; 2-worker efficiency "
          f"{speedup / 2:.0%} per worker assumed beyond 2)")
    print("| data | precision | " + " | ".join(f"{w} worker(s)" for w in WORKERS) + " |")
    print("|---|---|" + "---:|" * len(WORKERS))
    for data, factor in (("dev file", {p: 1.0 for p in PRECISIONS}), ("VEGAS", scale)):
        for p in PRECISIONS:
            total = sum(count[n] * per_fit[p][n] for n in METHODS) * factor[p]
            cells = [total / (1 if w == 1 else w * speedup / 2) / 60 for w in WORKERS]
            print(f"| {data} | {p} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: its start-up chatter off
    main()
