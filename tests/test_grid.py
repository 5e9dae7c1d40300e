import csv

import pytest

from pipeline import alpha_beta_grid as grid
from pipeline.stage import StageError


def fitted_rows():
    """What `fit_grid` returns: one row per point, validation MAP rising with alpha."""
    return [{"alpha": a, "beta": b, "val_map_average": 0.1 + a, "best_epoch": 3} for a in grid.GRID for b in grid.GRID]


def fake_experiment(monkeypatch, val_map: float, test_map: float) -> list:
    """`dvc exp run` and the experiment's git-tracked metrics, replaced; returns the targets run."""
    runs = []
    monkeypatch.setattr(grid, "run_experiment", lambda target, a, b: runs.append((target, a, b)) or "exp-chosen")
    files = {str(grid.paths.TRAIN_SUMMARY): {"val_map_average": val_map},
             str(grid.paths.METRICS): {"map_average": test_map}}
    monkeypatch.setattr(grid, "experiment_file", lambda name, path: files[str(path)])
    return runs


def test_the_point_validation_picks_alone_runs_to_evaluate_and_gets_a_test_map(monkeypatch):
    runs = fake_experiment(monkeypatch, val_map=1.1, test_map=0.9)
    rows = grid.evaluate_chosen_point(fitted_rows())
    assert runs == [("evaluate", 1.0, 0.0)]  # highest validation MAP; ties go to the first in grid order
    tested = [r for r in rows if r["test_map_average"] is not None]
    assert [(r["alpha"], r["beta"], r["test_map_average"], r["experiment"]) for r in tested] == [
        (1.0, 0.0, 0.9, "exp-chosen")
    ]


def test_a_dvc_fit_that_does_not_reproduce_the_grid_stops_the_grid(monkeypatch):
    fake_experiment(monkeypatch, val_map=1.1 + 1e-3, test_map=0.9)
    with pytest.raises(StageError, match="not reproducible"):
        grid.evaluate_chosen_point(fitted_rows())


def test_heatmap_and_csv_round_trip_through_collect_only(tmp_path, monkeypatch):
    fake_experiment(monkeypatch, val_map=1.1, test_map=0.9)
    monkeypatch.setattr(grid.paths, "RESULTS", tmp_path)
    rows = grid.evaluate_chosen_point(fitted_rows())
    grid.write_outputs(rows, "synthetic data, backbone: none")
    with open(tmp_path / "grid.csv") as f:
        written = list(csv.DictReader(f))
    assert len(written) == 25
    assert [float(r["val_map_average"]) for r in written] == sorted((r["val_map_average"] for r in rows), reverse=True)
    assert written[0]["test_map_average"] == "0.9" and all(r["test_map_average"] == "" for r in written[1:])
    assert (tmp_path / "grid.png").stat().st_size > 5000
    read = grid.read_rows()
    assert sorted((r["alpha"], r["beta"], r["val_map_average"], r["test_map_average"]) for r in read) == sorted(
        (r["alpha"], r["beta"], r["val_map_average"], r["test_map_average"]) for r in rows)
