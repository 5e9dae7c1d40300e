import csv

from pipeline import grid


def exp_show(points):
    """The shape of `dvc exp show --json` (DVC 3) with one experiment per grid point."""
    revs = [{
        "rev": f"r{i}", "name": f"exp-{i}",
        "data": {
            "params": {"params.yaml": {"data": {"model": {"alpha": a, "beta": b}}}},
            "metrics": {"results/metrics.json": {"data": {"map_average": test}},
                        "models/train_summary.json": {"data": {"val_map_average": val, "trained_with": {
                            "model": {"alpha": a, "beta": b}}}}},
        },
    } for i, (a, b, val, test) in enumerate(points)]
    return [{"rev": "workspace", "data": {}, "experiments": None},
            {"rev": "abc", "data": {}, "experiments": [{"revs": [r], "name": r["name"]} for r in revs]}]


def test_an_experiment_whose_fit_did_not_run_at_its_params_is_not_a_grid_point(monkeypatch):
    """An experiment run only to another target carries the baseline's train_summary: it is not counted."""
    stale = exp_show([(0.0, 0.0, 0.3, 0.4)])
    stale[1]["experiments"][0]["revs"][0]["data"]["params"]["params.yaml"]["data"]["model"]["alpha"] = 0.1
    monkeypatch.setattr(grid, "sh", lambda *args: __import__("json").dumps(stale))
    assert grid.collect() == []


def test_collect_and_write_heatmap_and_csv(tmp_path, monkeypatch):
    points = [(a, b, 0.1 + a, 0.2 + a + b) for a in grid.GRID for b in grid.GRID]
    found = grid.experiments(exp_show(points))
    assert len(found) == 25 and found[0]["params"]["model"] == {"alpha": 0.0, "beta": 0.0}
    monkeypatch.setattr(grid, "sh", lambda *args: __import__("json").dumps(exp_show(points)))
    monkeypatch.setattr(grid.paths, "RESULTS", tmp_path)
    rows = grid.collect(tested="exp-24")  # the last point's experiment is the one run to evaluate
    assert len(rows) == 25 and rows[-1]["test_map_average"] == 0.2 + 1.0 + 1.0
    assert [r["test_map_average"] for r in rows[:-1]] == [None] * 24  # a train-only experiment has no test MAP
    rows = [{**r, "test_map_average": 0.2 + r["alpha"] + r["beta"]} for r in rows]
    grid.write_outputs(rows, "synthetic data, backbone: none")
    with open(tmp_path / "grid.csv") as f:
        written = list(csv.DictReader(f))
    assert len(written) == 25
    assert [float(r["val_map_average"]) for r in written] == sorted((0.1 + a for a, *_ in points), reverse=True)
    chosen = written[0]  # highest validation MAP: alpha 1.0 (every beta ties; the first in the grid order wins)
    assert float(chosen["alpha"]) == 1.0 and float(chosen["test_map_average"]) == 0.2 + 1.0 + float(chosen["beta"])
    assert all(r["test_map_average"] == "" for r in written[1:])  # test shown for the chosen point only
    assert (tmp_path / "grid.png").stat().st_size > 5000
