"""The paper's alpha/beta grid (Fig. 7) as DVC experiments: `python -m pipeline.grid`.

Queues alpha, beta in {0, 0.001, 0.01, 0.1, 1} with `dvc exp run --queue -S ...` (target
`evaluate`, so only train and evaluate run for each point), runs the queue, then reads
`dvc exp show --json` and writes results/grid.csv and results/grid.png. Every grid point
keeps the epoch with the best validation MAP; the ranking and the heatmap use validation
MAP (average of both directions) only, and say so. The test MAP is shown for one point:
the one validation picks.
"""
from __future__ import annotations

import csv
import json
import subprocess
import time

import numpy as np

from pipeline import paths
from pipeline.stage import StageError, run

GRID = (0.0, 0.001, 0.01, 0.1, 1.0)


def sh(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise StageError(f"{' '.join(args)} failed: {last}")
    return result.stdout


def queue_and_run(grid=GRID) -> None:
    for alpha in grid:
        for beta in grid:
            sh("dvc", "exp", "run", "--queue", "evaluate", "-S", f"model.alpha={alpha}", "-S", f"model.beta={beta}")
    sh("dvc", "queue", "start", "-j", "1")
    while True:
        status = sh("dvc", "queue", "status")
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(10)


def experiments(show: list) -> list[dict]:
    """(params, metrics) of every experiment in `dvc exp show --json` output."""
    found = []
    for commit in show:
        for exp in commit.get("experiments") or []:
            for rev in exp.get("revs", []):
                data = rev.get("data") or {}
                params = (data.get("params") or {}).get("params.yaml", {}).get("data", {})
                metrics = {path: m.get("data", {}) for path, m in (data.get("metrics") or {}).items()}
                if params and metrics:
                    found.append({"name": rev.get("name"), "params": params, "metrics": metrics})
    return found


def collect(grid=GRID) -> list[dict]:
    rows = {}
    for exp in experiments(json.loads(sh("dvc", "exp", "show", "--json"))):
        key = (float(exp["params"]["model"]["alpha"]), float(exp["params"]["model"]["beta"]))
        test = exp["metrics"].get(str(paths.METRICS), {}).get("map_average")
        val = exp["metrics"].get(str(paths.TRAIN_SUMMARY), {}).get("val_map_average")
        if key[0] in grid and key[1] in grid and test is not None:
            rows[key] = {"alpha": key[0], "beta": key[1], "val_map_average": val, "test_map_average": test, "experiment": exp["name"]}
    return [rows[k] for k in sorted(rows)]


def pick_on_validation(rows: list[dict]) -> list[dict]:
    """Rows ranked by validation MAP; the test MAP is kept only for the first (the chosen point)."""
    ranked = sorted(rows, key=lambda r: -r["val_map_average"])
    return [{**r, "rank": i + 1, "test_map_average": r["test_map_average"] if i == 0 else ""} for i, r in enumerate(ranked)]


def write_outputs(rows: list[dict], grid=GRID) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths.RESULTS.mkdir(exist_ok=True)
    rows = pick_on_validation(rows)
    with open(paths.RESULTS / "grid.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["rank", "alpha", "beta", "val_map_average", "test_map_average", "experiment"])
        writer.writeheader()
        writer.writerows(rows)
    table = np.full((len(grid), len(grid)), np.nan)
    for r in rows:
        table[grid.index(r["alpha"]), grid.index(r["beta"])] = r["val_map_average"]
    best = rows[0]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    image = ax.imshow(table, cmap="viridis", origin="lower")
    ax.set_xticks(range(len(grid)), [str(g) for g in grid])
    ax.set_yticks(range(len(grid)), [str(g) for g in grid])
    ax.set_xlabel("beta (L_cons weight)")
    ax.set_ylabel("alpha (L_dis weight)")
    for i in range(len(grid)):
        for j in range(len(grid)):
            if not np.isnan(table[i, j]):
                ax.text(j, i, f"{table[i, j]:.3f}", ha="center", va="center", fontsize=7, color="white")
    ax.add_patch(plt.Rectangle((grid.index(best["beta"]) - 0.5, grid.index(best["alpha"]) - 0.5), 1, 1,
                               fill=False, edgecolor="red", linewidth=2))
    ax.set_title("average MAP on the VALIDATION split (epoch chosen on validation)\n"
                 f"red: the point validation picks (alpha {best['alpha']}, beta {best['beta']}); "
                 f"its test MAP: {best['test_map_average']:.3f}", fontsize=9)
    fig.colorbar(image)
    fig.savefig(paths.RESULTS / "grid.png", dpi=110, bbox_inches="tight")
    print(f"grid: {len(rows)} points -> {paths.RESULTS / 'grid.csv'}, {paths.RESULTS / 'grid.png'}")


def main(args) -> None:
    if not args.collect_only:
        queue_and_run()
    write_outputs(collect())


if __name__ == "__main__":
    run(main, reads=("model.alpha", "model.beta (each point sets them with -S; the rest of params.yaml as is)",),
        arguments=[("--collect-only", {"action": "store_true",
                                       "help": "do not queue or run: collect the finished experiments into the heatmap"})])
