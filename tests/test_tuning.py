import argparse
import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from extract.feature_store import write_features
from pipeline.config import check_methods, method_options
from pipeline.method_knobs import grid_of, grid_points, tuned_as
from pipeline.params import ParamsError, load_params
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


def test_method_stage_tunes_before_it_opens_the_test_split(tmp_path, monkeypatch):
    """A method stage opens only train and validation until its tuning choice is written."""
    from pipeline.stages import method

    features = synthetic_features({"train": 200, "val": 60, "test": 80}, n_classes=3, audio_dim=128,
                                       visual_dim=256, seed=0)
    (tmp_path / "data").mkdir()
    write_features(features, tmp_path / "data" / "features.h5", seed=0)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    choice = tmp_path / "results" / "tuning" / "c_cca.json"
    opened = []  # (dataset, whether the tuning choice existed when it was opened)
    original = h5py.File.__getitem__

    def recording(self, name):
        opened.append((name, choice.exists()))
        return original(self, name)

    monkeypatch.setattr(h5py.File, "__getitem__", recording)
    monkeypatch.chdir(tmp_path)
    method.main(argparse.Namespace(names=["c_cca"]))
    summary = json.loads(choice.read_text())
    assert summary["budget"] == 4 and summary["chosen"] in [p["point"] for p in summary["points"]]
    assert summary["chosen_val_map_average"] == max(p["val_map_average"] for p in summary["points"])
    before_choice = {name for name, chosen in opened if not chosen}
    assert {"audio_train", "visual_val", "lab_val"} <= before_choice
    assert not [name for name in before_choice if name.endswith("_test")], opened
    assert {"audio_test", "visual_test"} <= {name for name, chosen in opened if chosen}
    result = json.loads((tmp_path / "results" / "methods" / "c_cca.json").read_text())
    assert result["point"] == summary["chosen"] and result["tuning_budget"] == 4


def test_protocol_stage_picks_the_epoch_on_test_only_for_its_own_table(tmp_path):
    """The peers' protocol (best test epoch, full test batches only) for EICS and DCLMA, at their tuned
    points; it reads the tuning and results files and writes results/protocol.json, nothing else."""
    import subprocess
    import sys

    import yaml

    from extract.feature_store import write_features
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
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "pipeline.stages.protocol"], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads((tmp_path / "results" / "protocol.json").read_text())
    assert out["test_clips"] == 40 and out["test_clips_scored_by_peers"] == 32  # two full batches of 16
    for name in ("eics", "dclma"):
        assert out[name]["ours_mean"] == 0.5 and 0 < out[name]["peers_protocol_mean"] <= 1
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
    (tmp_path / "p.yaml").write_text(text.replace("    - learning_rate: 1.0e-3\n      batch_size: 128\n",
                                                  "    - learning_rate: 1.0e-3\n      batch_size: 256\n"))
    with pytest.raises(ParamsError, match="dclma lists a point twice"):
        check_methods(load_params(tmp_path / "p.yaml"))


def test_the_authors_settings_are_points_of_their_methods_grids():
    """DSCMR's, ACMR's and DCLMA's published training settings are tried beside ours, at the same budget."""
    from pipeline.schema import AUTHORS

    params = load_params(ROOT / "params.yaml")
    for name, settings in AUTHORS.items():
        assert settings in grid_points(params["tuning"]["grids"][name]), name
        options = method_options(name, params, settings)["options"]
        assert (options.learning_rate, options.adam_beta1) == (1e-4, 0.5)
        assert options.batch_size == settings["batch_size"]
