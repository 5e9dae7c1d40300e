import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from extract.feature_store import write_features
from pipeline.settings.methods import check_methods, grid_of, grid_points, method_options, tuned_as
from pipeline.settings.params import ParamsError, load_params
from tests.synthetic_data import synthetic_features

ROOT = Path(__file__).resolve().parents[1]


def test_grid_points_are_every_combination():
    points = grid_points({"learning_rate": [1, 2], "alpha": [3, 4, 5]})
    assert len(points) == 6 and {"learning_rate": 2, "alpha": 5} in points


def test_every_method_gets_the_same_budget_and_known_knobs():
    params = load_params(ROOT / "params.yaml")
    budgets = {name: len(grid_points(grid)) for name, grid in params["tuning"]["grids"].items()}
    assert len(set(budgets.values())) == 1
    for name, grid in params["tuning"]["grids"].items():
        for point in grid_points(grid):
            method_options(name, params, point)  # every knob reaches the method
    assert tuned_as("implicit_only", params) == "implicit_only" and tuned_as("random", params) is None
    assert grid_of("implicit_only", params) == params["tuning"]["grids"]["eics"]  # EICS's knobs and budget


def test_uneven_budgets_and_unknown_knobs_are_refused(tmp_path):
    text = (ROOT / "params.yaml").read_text()
    (tmp_path / "a.yaml").write_text(
        text.replace("    cca: {ridge: [1.0e-3, 1.0e-2, 0.1, 1.0]}", "    cca: {ridge: [1.0e-3]}")
    )
    with pytest.raises(ParamsError, match="same number of points"):
        check_methods(load_params(tmp_path / "a.yaml"))
    (tmp_path / "b.yaml").write_text(
        text.replace("    cca: {ridge: [1.0e-3, 1.0e-2, 0.1, 1.0]}", "    cca: {rigde: [1, 2, 3, 4]}")
    )
    with pytest.raises(ParamsError, match="unknown knob"):
        check_methods(load_params(tmp_path / "b.yaml"))


@pytest.mark.ray
def test_the_tuning_choice_reads_validation_only(tmp_path, monkeypatch, ray_runtime):
    """Two feature files that differ only in their test split: the same tuning record (every point's validation
    MAPs, the choice, the rule), other test results. The chosen point's tuning fits are its first seeds' runs.
    The stage runs in this process on the shared Ray runtime."""
    import argparse

    from pipeline.stages import method

    monkeypatch.chdir(tmp_path)
    text = (ROOT / "params.yaml").read_text().replace("  - 3\n  - 4\n  - 5\n  - 6\n  - 7\n  - 8\n  - 9\n", "  - 3\n")
    (tmp_path / "params.yaml").write_text(text)  # report.seeds 0-3: 4 points x 3 tuning seeds, then seed 3
    records = []
    for test_seed in (0, 1):
        features = synthetic_features({"train": 200, "val": 60, "test": 80}, n_classes=3, audio_dim=128,
                                      visual_dim=256, seed=0)
        other = synthetic_features({"train": 200, "val": 60, "test": 80}, n_classes=3, audio_dim=128,
                                   visual_dim=256, seed=test_seed)
        features.splits["test"] = other.splits["test"]
        write_features(features, tmp_path / "data" / "features.h5", seed=0)
        shutil.rmtree(tmp_path / "models", ignore_errors=True)
        method.main(argparse.Namespace(names=["c_cca"], dry_run=False))
        records.append({kind: json.loads((tmp_path / "results" / kind / "c_cca.json").read_text())
                        for kind in ("tuning", "methods")})
    assert records[0]["tuning"] == records[1]["tuning"]
    assert records[0]["methods"]["average_mean"] != records[1]["methods"]["average_mean"]
    summary, result = records[0]["tuning"], records[0]["methods"]
    assert summary["budget"] == 4 and summary["seeds"] == [0, 1, 2] and summary["chosen"] == result["point"]
    assert [r["seed"] for r in result["runs"]] == [0, 1, 2, 3] and result["tuning_budget"] == 4


@pytest.mark.ray
def test_protocol_stage_picks_the_epoch_on_test_only_for_its_own_table(tmp_path, monkeypatch, ray_runtime):
    """The protocol rows (no early stop, the peers' clips, the epoch on test, all three) for EICS and DCLMA, at
    their tuned points; it reads the tuning and results files and writes results/protocol.json, nothing else."""
    import yaml

    from extract.feature_store import write_features
    from pipeline.stages import protocol
    from pipeline.stages.protocol import ROWS
    from tests.synthetic_data import synthetic_features

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"]["source"] = "synthetic"
    params["train"].update(epochs=3, min_steps=0)
    params["baselines"].update(epochs=3, min_steps=0, hidden=[16])
    params["model"].update(audio_hidden=[16], visual_hidden=[16])
    params["report"].update(seeds=[0], peer_test_batch=16)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    write_features(synthetic_features({"train": 60, "val": 20, "test": 40}, n_classes=3, visual_dim=24),
                   tmp_path / "data" / "features.h5", seed=0)
    for name, point in (("eics", {"weight_decay": 0.0}), ("dclma", {"learning_rate": 1.0e-3})):
        (tmp_path / "results" / "tuning").mkdir(parents=True, exist_ok=True)
        (tmp_path / "results" / "tuning" / f"{name}.json").write_text(json.dumps({"chosen": point}))
        (tmp_path / "results" / "methods").mkdir(exist_ok=True)
        (tmp_path / "results" / "methods" / f"{name}.json").write_text(json.dumps({"average_mean": 0.5}))
    before = sorted(p.name for p in (tmp_path / "results").rglob("*"))
    monkeypatch.chdir(tmp_path)
    protocol.main()  # in this process, on the shared Ray runtime
    out = json.loads((tmp_path / "results" / "protocol.json").read_text())
    assert out["test_clips"] == 40 and out["test_clips_scored_by_peers"] == 32  # two full batches of 16
    for name in ("eics", "dclma"):
        p = out[name]
        assert p["method_stage_mean"] == 0.5 and all(0 < p[f"{row}_mean"] <= 1 for row in ROWS)
        # per seed: the best test epoch among those ours ran is at least ours, the best peers' epoch at least
        # ours on the peers' clips
        assert all(t >= o for t, o in zip(p["epoch_on_test"], p["ours"]))
        assert all(t >= o for t, o in zip(p["peers_protocol"], p["peers_clips"]))
    assert sorted(p.name for p in (tmp_path / "results").rglob("*")) == sorted(before + ["protocol.json"])


def test_protocol_on_a_test_split_smaller_than_one_peer_batch_says_so():
    from extract.feature_store import Split
    from pipeline.stages.protocol import first_full_batches

    split = Split(*(np.zeros((17, 2)),) * 2, np.zeros(17, int), np.arange(17).astype(str).astype(object))
    assert first_full_batches(split, 128) is None and len(first_full_batches(split, 8)) == 16


def test_a_grid_may_list_its_points_and_a_point_twice_is_refused(tmp_path):
    listed = [{"learning_rate": 1e-3}, {"learning_rate": 1e-4, "adam_beta1": 0.5}]
    assert grid_points(listed) == listed
    text = (ROOT / "params.yaml").read_text()
    (tmp_path / "p.yaml").write_text(text.replace("    - weight_decay: 0.0\n      batch_size: 128\n",
                                                  "    - weight_decay: 30.0\n      batch_size: 128\n"))
    with pytest.raises(ParamsError, match="dclma lists a point twice"):
        check_methods(load_params(tmp_path / "p.yaml"))


def test_the_authors_settings_are_points_of_their_methods_grids():
    """DSCMR's, ACMR's and DCLMA's published training settings are tried beside ours, at the same budget."""
    from pipeline.settings.schema import AUTHORS

    params = load_params(ROOT / "params.yaml")
    for name, settings in AUTHORS.items():
        assert settings in grid_points(params["tuning"]["grids"][name]), name
        options = method_options(name, params, settings)["options"]
        assert (options.learning_rate, options.adam_beta1) == (1e-4, 0.5)
        assert options.batch_size == settings["batch_size"]


def test_tuning_choice_by_hand():
    from pipeline.fitting.tuning_choice import AUTHORS_RULE, BEST, DEFAULTS_RULE, choose, edges

    points = [{"lr": 1}, {"lr": 2}, {"lr": 3}]
    # point 2 leads point 1 by 0.02 on every seed: no spread, a clear win
    clear = choose(points, [[0.50, 0.51, 0.52], [0.52, 0.53, 0.54], [0.30, 0.31, 0.32]], defaults={"lr": 1})
    assert clear["index"] == 1 and clear["rule"] == BEST and clear["tied"] == [1]
    # gaps 0.02, -0.02, 0.03 (mean 0.01, sd 0.0265, se 0.0153 > 0.01): tied; the default lr 1 wins
    noisy = choose(points, [[0.50, 0.53, 0.49], [0.52, 0.51, 0.52], [0.30, 0.31, 0.32]], defaults={"lr": 1})
    assert noisy["tied"] == [0, 1] and noisy["index"] == 0 and noisy["rule"] == DEFAULTS_RULE
    assert noisy["standard_errors"][0] == pytest.approx(np.std([0.02, -0.02, 0.03], ddof=1) / np.sqrt(3))
    authors = choose(points, [[0.50, 0.53, 0.49], [0.52, 0.51, 0.52], [0.30, 0.31, 0.32]], defaults={"lr": 1},
                     authors={"lr": 2})
    assert authors["index"] == 1 and authors["rule"] == AUTHORS_RULE
    assert choose(points[:2], [[0.5], [0.6]], defaults={})["rule"] == BEST  # one seed: no standard error
    assert edges(points, {"lr": 3}) == ["lr"] and edges(points, {"lr": 2}) == [] and edges(points[:2], {"lr": 2}) == []


def test_a_lead_of_less_than_two_standard_errors_is_a_tie():
    from pipeline.fitting.tuning_choice import BEST, DEFAULTS_RULE, choose

    points = [{"lr": 1}, {"lr": 2}]
    # point 2 leads by 0.0, 0.01, 0.035: mean 0.015, standard error 0.0104 -> 1.4 standard errors: tied
    close = choose(points, [[0.50, 0.50, 0.50], [0.50, 0.51, 0.535]], defaults={"lr": 1})
    assert close["index"] == 0 and close["rule"] == DEFAULTS_RULE and not close["best_mean"]
    # leads 0.01, 0.02, 0.03: 3.5 standard errors: point 2 wins
    clear = choose(points, [[0.50, 0.50, 0.50], [0.51, 0.52, 0.53]], defaults={"lr": 1})
    assert clear["index"] == 1 and clear["rule"] == BEST and clear["best_mean"]
