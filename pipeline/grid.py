"""The paper's alpha/beta grid (Fig. 7) as DVC experiments: `python -m pipeline.grid`.

Every point alpha, beta in {0, 0.001, 0.01, 0.1, 1} is one queued experiment,
`dvc exp run --queue train -S model.alpha=... -S model.beta=...`, run two at a time: one EICS fit
at params.yaml's other values, in a copy of its own (the workspace is left as it is), keeping the
epoch with the best validation MAP (models/train_summary.json). The ranking and the heatmap use that
validation MAP (average of both directions) only, and say so. The point validation picks then
runs to `evaluate` as one more experiment (its fit comes from DVC's run cache) for its test
MAP, the only test number shown. Writes results/grid.csv and results/grid.png;
`--collect-only` redraws them from the experiments already run.
"""
from __future__ import annotations

import csv
import json
import re
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


def run_point(target: str, alpha: float, beta: float) -> str:
    """Run one experiment in a temporary copy; returns its name."""
    out = sh("dvc", "exp", "run", "--temp", target, "-S", f"model.alpha={alpha}", "-S", f"model.beta={beta}")
    found = re.search(r"Ran experiment\(s\):\s*(\S+)", out)
    if not found:
        raise StageError(f"could not read the experiment name from dvc's output: {out.strip().splitlines()[-1:]}")
    return found.group(1)


JOBS = 2  # experiments run at a time (this machine has 2 cores; DVC's own work per experiment overlaps the fits)


def run_grid(grid=GRID, jobs: int = JOBS) -> None:
    """Queue one `train` experiment per point and run the queue `jobs` at a time, each in its own copy."""
    for alpha in grid:
        for beta in grid:
            sh("dvc", "exp", "run", "--queue", "train", "-S", f"model.alpha={alpha}", "-S", f"model.beta={beta}")
    print(f"grid: {len(grid) ** 2} experiments queued; running {jobs} at a time", flush=True)
    sh("dvc", "queue", "start", "-j", str(jobs))
    done = -1
    while True:
        status = sh("dvc", "queue", "status")
        finished = status.count("Success")
        if finished != done:
            print(f"grid: {finished} of {len(grid) ** 2} done", flush=True)
            done = finished
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(10)
    if "Failed" in status:
        raise StageError("some grid experiments failed; `dvc queue logs <name>` shows why")


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


def collect(grid=GRID, tested: str | None = None) -> list[dict]:
    """One row per grid point with its validation MAP (from an experiment whose train stage fitted
    that point: train_summary's trained_with matches its params); the test MAP of experiment `tested`."""
    rows, test_map = {}, {}
    for exp in experiments(json.loads(sh("dvc", "exp", "show", "--json"))):
        key = (float(exp["params"]["model"]["alpha"]), float(exp["params"]["model"]["beta"]))
        summary = exp["metrics"].get(str(paths.TRAIN_SUMMARY), {})
        fitted = summary.get("trained_with", {}).get("model", {})
        if key[0] in grid and key[1] in grid and (fitted.get("alpha"), fitted.get("beta")) == key:
            rows[key] = {"alpha": key[0], "beta": key[1], "val_map_average": summary["val_map_average"],
                         "experiment": exp["name"]}
        if tested and exp["name"] == tested:
            test_map[key] = exp["metrics"].get(str(paths.METRICS), {}).get("map_average")
    return [{**rows[k], "test_map_average": test_map.get(k)} for k in sorted(rows)]


def pick_on_validation(rows: list[dict]) -> list[dict]:
    """Rows ranked by validation MAP; the test MAP is kept only for the first (the chosen point)."""
    ranked = sorted(rows, key=lambda r: -r["val_map_average"])
    return [{**r, "rank": i + 1, "test_map_average": r["test_map_average"] if i == 0 else ""} for i, r in enumerate(ranked)]


def setting_line() -> str:
    """The data, backbones and the fixed knobs behind every point of the grid."""
    from extract.feature_store import read_features
    from pipeline.params import load_params

    features = read_features(paths.FEATURES, splits=("train",))
    t, m = load_params()["train"], load_params()["model"]
    return (f"{features.source} data, backbone: {features.backbone}\n"
            f"other knobs as params.yaml: {m['loss_form']} losses, weight decay {t['weight_decay']}, "
            f"learning rate {t['learning_rate']}, seed {t['seed']}")


def write_outputs(rows: list[dict], setting: str, grid=GRID) -> None:
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
                bright = image.norm(table[i, j]) > 0.6  # dark text on the light end of viridis
                ax.text(j, i, f"{table[i, j]:.3f}", ha="center", va="center", fontsize=7,
                        color="black" if bright else "white")
    ax.add_patch(plt.Rectangle((grid.index(best["beta"]) - 0.5, grid.index(best["alpha"]) - 0.5), 1, 1,
                               fill=False, edgecolor="red", linewidth=2))
    tested = best["test_map_average"]
    tested = f"{tested:.3f}" if isinstance(tested, float) else "not run (--collect-only)"
    ax.set_title("EICS average MAP on the VALIDATION split (epoch chosen on validation)\n"
                 f"red: the point validation picks (alpha {best['alpha']}, beta {best['beta']}); its test MAP: {tested}\n"
                 + setting, fontsize=7)
    fig.colorbar(image)
    fig.savefig(paths.RESULTS / "grid.png", dpi=110, bbox_inches="tight")
    print(f"grid: {len(rows)} points -> {paths.RESULTS / 'grid.csv'}, {paths.RESULTS / 'grid.png'}")


def previous_test_map(rows: list[dict]) -> list[dict]:
    """With --collect-only: keep the test MAP results/grid.csv already holds for the point validation picks."""
    path = paths.RESULTS / "grid.csv"
    if not path.is_file() or not rows:
        return rows
    with open(path) as f:
        tested = [r for r in csv.DictReader(f) if r["test_map_average"]]
    best = pick_on_validation(rows)[0]
    for r in tested:
        if (float(r["alpha"]), float(r["beta"])) == (best["alpha"], best["beta"]):
            return [{**row, "test_map_average": float(r["test_map_average"]) if row is best or (
                row["alpha"], row["beta"]) == (best["alpha"], best["beta"]) else None} for row in rows]
    return rows


def main(args) -> None:
    if not args.collect_only:
        run_grid()
    rows = collect()
    if not rows:
        raise StageError("no grid experiments found; run `python -m pipeline.grid` without --collect-only")
    if not args.collect_only:
        best = pick_on_validation(rows)[0]
        name = run_point("evaluate", best["alpha"], best["beta"])
        print(f"grid: validation picks alpha {best['alpha']}, beta {best['beta']}; its test MAP: experiment {name}")
        rows = collect(tested=name)
    else:
        rows = previous_test_map(rows)
    write_outputs(rows, setting_line())


if __name__ == "__main__":
    run(main, reads=("model.alpha", "model.beta (each point sets them with -S; the rest of params.yaml as is)",),
        arguments=[("--collect-only", {"action": "store_true",
                                       "help": "do not queue or run: collect the finished experiments into the heatmap"})])
