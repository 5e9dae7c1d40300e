"""The paper's alpha/beta grid (Fig. 7): `python -m pipeline.alpha_beta_grid`.

Every point alpha, beta in {0, 0.001, 0.01, 0.1, 1} is one EICS fit at params.yaml's other
values, through the same function as the `train` stage (`pipeline.fitting.eics_fit.fit_eics`), two fits at
a time in worker processes (each loads TensorFlow once), keeping the epoch with the best
validation MAP. The ranking and the heatmap use that validation MAP (average of both
directions) only, and say so. The point validation picks then runs as a DVC experiment,
`dvc exp run --temp evaluate -S model.alpha=... -S model.beta=...` (the workspace is left as it
is), for its test MAP, the only test number shown; that experiment's own fit must reproduce the
grid's validation MAP, or the grid stops with an error. Writes results/grid.csv and
results/grid.png; `--collect-only` redraws them from results/grid.csv.
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from pipeline.settings import paths
from pipeline.stage import StageError, run

GRID = (0.0, 0.001, 0.01, 0.1, 1.0)
JOBS = 2  # fits at a time (this machine has 2 cores)
SAME_FIT = 1e-6  # the chosen point's DVC experiment must give the grid's validation MAP within this


def sh(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise StageError(f"{' '.join(args)} failed: {last}")
    return result.stdout


def fit_point(alpha: float, beta: float) -> dict:
    """One grid point: EICS at params.yaml with model.alpha and model.beta replaced."""
    from extract.feature_store import read_features
    from pipeline.fitting.eics_fit import fit_eics
    from pipeline.settings.params import feature_dims, load_params

    params = load_params()
    params["model"].update(alpha=alpha, beta=beta)
    features = read_features(paths.FEATURES, *feature_dims(params), splits=("train", "val"))
    result = fit_eics(params, features)
    return {"alpha": alpha, "beta": beta, "val_map_average": result.best_val_map["average"],
            "best_epoch": result.best_epoch}


def fit_grid(grid=GRID, jobs: int = JOBS) -> list[dict]:
    """Validation MAP of every (alpha, beta) in `grid` x `grid`, `jobs` fits at a time."""
    from extract.feature_store import read_features
    from pipeline.portable import pin_fit_threads
    from pipeline.settings.params import feature_dims, load_params

    params = load_params()
    read_features(paths.FEATURES, *feature_dims(params), splits=("train", "val"))  # bad input: one line, here
    pin_fit_threads(params["fits"]["threads"])  # the workers inherit it: each fit as the `train` stage runs it
    points = [(a, b) for a in grid for b in grid]
    print(f"grid: {len(points)} EICS fits, {jobs} at a time", flush=True)
    rows = []
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        for row in pool.map(fit_point, *zip(*points)):
            rows.append(row)
            print(f"grid: {len(rows)}/{len(points)} alpha {row['alpha']}, beta {row['beta']}: "
                  f"val MAP {row['val_map_average']:.4f}", flush=True)
    return rows


def run_experiment(target: str, alpha: float, beta: float) -> str:
    """`dvc exp run --temp target` at (alpha, beta); returns the experiment's name."""
    out = sh("dvc", "exp", "run", "--temp", target, "-S", f"model.alpha={alpha}", "-S", f"model.beta={beta}")
    found = re.search(r"Ran experiment\(s\):\s*(\S+)", out)
    if not found:
        raise StageError(f"could not read the experiment name from dvc's output: {out.strip().splitlines()[-1:]}")
    return found.group(1)


def experiment_file(name: str, path) -> dict:
    """A git-tracked JSON output (a metric) of experiment `name`, read from its git ref."""
    refs = [r for r in sh("git", "for-each-ref", "--format=%(refname)", "refs/exps").split() if r.endswith("/" + name)]
    if len(refs) != 1:
        raise StageError(f"experiment {name}: expected one git ref under refs/exps, found {len(refs)}")
    return json.loads(sh("git", "show", f"{refs[0]}:{path}"))


def evaluate_chosen_point(rows: list[dict]) -> list[dict]:
    """Run the point validation picks to `evaluate` as a DVC experiment; its test MAP joins its row."""
    best = pick_on_validation(rows)[0]
    name = run_experiment("evaluate", best["alpha"], best["beta"])
    summary = experiment_file(name, paths.TRAIN_SUMMARY)
    if abs(summary["val_map_average"] - best["val_map_average"]) > SAME_FIT:
        raise StageError(f"experiment {name} fitted alpha {best['alpha']}, beta {best['beta']} to validation MAP "
                         f"{summary['val_map_average']:.6f}, the grid to {best['val_map_average']:.6f}: the fit is not "
                         "reproducible here, so the heatmap and the test MAP would describe different models")
    test_map = experiment_file(name, paths.METRICS)["map_average"]
    print(
        f"grid: validation picks alpha {best['alpha']}, beta {best['beta']}; experiment {name}: test MAP {test_map:.4f}"
    )
    chosen = (best["alpha"], best["beta"])
    return [{**r, "test_map_average": test_map if (r["alpha"], r["beta"]) == chosen else None,
             "experiment": name if (r["alpha"], r["beta"]) == chosen else ""} for r in rows]


def pick_on_validation(rows: list[dict]) -> list[dict]:
    """Rows ranked by validation MAP; the test MAP is kept only for the first (the chosen point)."""
    ranked = sorted(rows, key=lambda r: -r["val_map_average"])
    return [
        {**r, "rank": i + 1, "test_map_average": r.get("test_map_average") if i == 0 else ""}
        for i, r in enumerate(ranked)
    ]


def setting_line() -> str:
    """The data, backbones and the fixed knobs behind every point of the grid."""
    from extract.feature_store import read_features
    from pipeline.settings.params import load_params

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
        writer = csv.DictWriter(
            f, ["rank", "alpha", "beta", "val_map_average", "best_epoch", "test_map_average", "experiment"]
        )
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
    ax.set_title(
        "EICS average MAP on the VALIDATION split (epoch chosen on validation)\n"
        f"red: the point validation picks (alpha {best['alpha']}, beta {best['beta']}); its test MAP: {tested}\n"
        + setting,
        fontsize=7,
    )
    fig.colorbar(image)
    fig.savefig(paths.RESULTS / "grid.png", dpi=110, bbox_inches="tight")
    print(f"grid: {len(rows)} points -> {paths.RESULTS / 'grid.csv'}, {paths.RESULTS / 'grid.png'}")


def read_rows() -> list[dict]:
    """The rows results/grid.csv holds (for --collect-only)."""
    path = paths.RESULTS / "grid.csv"
    if not path.is_file():
        raise StageError(f"{path} does not exist; run `python -m pipeline.alpha_beta_grid` without --collect-only")
    with open(path) as f:
        return [{"alpha": float(r["alpha"]), "beta": float(r["beta"]), "val_map_average": float(r["val_map_average"]),
                 "best_epoch": int(r["best_epoch"]) if r.get("best_epoch") else "",
                 "test_map_average": float(r["test_map_average"]) if r["test_map_average"] else None,
                 "experiment": r["experiment"]} for r in csv.DictReader(f)]


def main(args) -> None:
    rows = read_rows() if args.collect_only else evaluate_chosen_point(fit_grid())
    write_outputs(rows, setting_line())


if __name__ == "__main__":
    run(main, reads=("model.alpha, model.beta (each point replaces them; the rest of params.yaml as is)",),
        arguments=[("--collect-only", {"action": "store_true",
                                       "help": "fit nothing: redraw the heatmap from results/grid.csv"})])
