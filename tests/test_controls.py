"""What params.yaml says is what runs: the `train` stage fits exactly its model/train values
(alpha changes the weights), alpha = 0 takes L_dis out of the gradient, the feature sizes are
read from the file unless params.yaml asserts one, and a tuned point reaches params.yaml only
through `pipeline.tune --adopt`, visibly."""
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import yaml

from extract.feature_store import FeatureFileError, write_features
from tests.synthetic_data import synthetic_features

ROOT = Path(__file__).resolve().parents[1]


def tiny_project(tmp_path: Path, model=None, train=None, data=None) -> Path:
    """A folder with a tiny feature file and params.yaml edited for a one-epoch EICS fit."""
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    features = synthetic_features({"train": 120, "val": 40, "test": 40}, n_classes=3, audio_dim=16, visual_dim=24,
                                       latent_dim=4, noise=0.5, seed=0)
    write_features(features, tmp_path / "data" / "features.h5", seed=0)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["model"].update({"audio_hidden": [16], "visual_hidden": [16], "explicit_dim": 3, **(model or {})})
    params["train"].update({"epochs": 1, "min_steps": 0, "batch_size": 60, **(train or {})})
    params["fusion"]["dim"] = 3
    params["data"].update(data or {})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return tmp_path


def train_stage(project: Path, monkeypatch) -> dict:
    """Run the `train` stage's main() in `project`; its summary and the trained weights."""
    import keras

    from pipeline.stages import train

    monkeypatch.chdir(project)
    train.main()
    summary = json.loads((project / "models" / "train_summary.json").read_text())
    return {"summary": summary, "weights": keras.saving.load_model(project / "models" / "eics.keras").get_weights()}


def test_train_stage_fits_params_alpha_and_records_every_knob(tmp_path, monkeypatch):
    a = train_stage(tiny_project(tmp_path / "a", model={"alpha": 1.0}), monkeypatch)
    b = train_stage(tiny_project(tmp_path / "b", model={"alpha": 0.0}), monkeypatch)
    assert (
        a["summary"]["trained_with"]["model"]["alpha"] == 1.0 and b["summary"]["trained_with"]["model"]["alpha"] == 0.0
    )
    assert set(a["summary"]["trained_with"]) == {"model", "train", "fusion"}
    params = yaml.safe_load((tmp_path / "a" / "params.yaml").read_text())
    assert a["summary"]["trained_with"]["train"] == params["train"]  # every train knob, as written
    assert "train_seconds" not in a["summary"]  # timings go to models/train_timing.json, read by no stage
    assert json.loads((tmp_path / "a" / "models" / "train_timing.json").read_text())["train_seconds"] > 0
    assert any(not np.array_equal(x, y) for x, y in zip(a["weights"], b["weights"]))


def test_train_stage_ignores_a_tuning_result(tmp_path, monkeypatch):
    """A results/tuning/eics.json with another alpha does not change what `train` fits."""
    plain = train_stage(tiny_project(tmp_path / "plain"), monkeypatch)
    project = tiny_project(tmp_path / "tuned")
    (project / "results" / "tuning").mkdir(parents=True)
    (project / "results" / "tuning" / "eics.json").write_text(
        json.dumps({"chosen": {"alpha": 7.0, "weight_decay": 0.0}})
    )
    tuned = train_stage(project, monkeypatch)
    for x, y in zip(plain["weights"], tuned["weights"]):
        np.testing.assert_array_equal(x, y)


def test_the_test_split_does_not_reach_training(tmp_path, monkeypatch):
    """Two feature files that differ only in their test split train bit-identical models."""
    import h5py

    plain = train_stage(tiny_project(tmp_path / "plain"), monkeypatch)
    project = tiny_project(tmp_path / "other_test")
    with h5py.File(project / "data" / "features.h5", "a") as f:
        for name in ("audio_test", "visual_test"):
            f[name][...] = np.random.default_rng(1).normal(size=f[name].shape)
    other = train_stage(project, monkeypatch)
    for x, y in zip(plain["weights"], other["weights"]):
        np.testing.assert_array_equal(x, y)
    assert plain["summary"] == other["summary"]


def test_retraining_writes_the_same_model_file(tmp_path, monkeypatch):
    """Same settings, same bytes: DVC sees no new model when nothing changed."""
    project = tiny_project(tmp_path)
    train_stage(project, monkeypatch)
    first = (project / "models" / "eics.keras").read_bytes()
    train_stage(project, monkeypatch)
    assert (project / "models" / "eics.keras").read_bytes() == first
    import zipfile

    config = zipfile.ZipFile(project / "models" / "eics.keras").read("config.json").decode()
    ids = {int(i) for i in re.findall(r'"shared_object_id":\s*(\d+)', config)}
    assert ids == set(range(1, len(ids) + 1))  # numbered in order, not memory addresses of this process


def test_alpha_zero_takes_the_label_loss_out_of_the_gradient():
    from model.eics.network import build_eics
    from model.losses import eics_loss

    tf.random.set_seed(0)
    model = build_eics(16, 24, 3, [16], [16], explicit_dim=3, activation="relu", dropout=0.0)
    rng = np.random.default_rng(0)
    inputs = {"audio": rng.standard_normal((40, 16)).astype("float32"),
              "visual": rng.standard_normal((40, 24)).astype("float32")}
    labels = tf.one_hot(rng.integers(0, 3, 40), 3)

    def gradients(alpha, terms):
        with tf.GradientTape() as tape:
            parts = eics_loss(model(inputs, training=True), labels, alpha, 0.001, terms,
                              ("ex_im_audio", "ex_im_visual", "im_im"), 1e-4, "reference")
        return parts, tape.gradient(parts["total"], model.trainable_variables)

    off, grads_off = gradients(0.0, ("corr", "dis", "cons"))
    _, grads_without_dis = gradients(0.0, ("corr", "cons"))
    on, grads_on = gradients(1.0, ("corr", "dis", "cons"))
    assert float(off["dis"]) > 0.1  # the term is still computed and logged ...
    for g0, g1 in zip(grads_off, grads_without_dis):  # ... but moves nothing
        np.testing.assert_allclose(np.nan_to_num(g0), np.nan_to_num(g1), rtol=1e-6, atol=1e-8)
    assert any(not np.allclose(np.nan_to_num(g0), np.nan_to_num(g1)) for g0, g1 in zip(grads_off, grads_on))
    assert float(on["total"]) == pytest.approx(float(off["total"]) + float(on["dis"]), rel=1e-5)


def test_feature_sizes_are_read_from_the_file_unless_params_assert_one(tmp_path):
    from extract.feature_store import read_features
    from pipeline.settings.params import ParamsError, feature_dims, load_params

    project = tiny_project(tmp_path)
    params = load_params(project / "params.yaml")
    assert params["data"]["visual_dim"] == "auto" and feature_dims(params) == (None, None)
    features = read_features(project / "data" / "features.h5", *feature_dims(params))
    assert (features.audio_dim, features.visual_dim) == (16, 24)
    asserted = tiny_project(tmp_path / "asserted", data={"source": "community", "visual_dim": 1024})
    with pytest.raises(FeatureFileError, match=r"visual_train has 24 dimensions, but data.visual_dim .* says 1024"):
        read_features(asserted / "data" / "features.h5", *feature_dims(load_params(asserted / "params.yaml")))
    wrong = tiny_project(tmp_path / "wrong", data={"source": "videos", "visual_dim": 512})
    with pytest.raises(ParamsError, match="extract.pca_dim"):
        load_params(wrong / "params.yaml")


def test_adopt_writes_the_tuned_point_into_params_visibly(tmp_path, monkeypatch, capsys):
    from pipeline import tune
    from pipeline.settings.params import load_params

    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "results" / "tuning").mkdir(parents=True)
    (tmp_path / "results" / "tuning" / "eics.json").write_text(
        json.dumps({"chosen": {"alpha": 0.25, "weight_decay": 3.0}})
    )
    monkeypatch.chdir(tmp_path)
    tune.adopt("eics")
    params = load_params(tmp_path / "params.yaml")
    assert params["model"]["alpha"] == 0.25 and params["train"]["weight_decay"] == 3.0
    printed = capsys.readouterr().out
    assert "+  alpha: 0.25" in printed and "-  alpha:" in printed  # the diff is shown
    before = (ROOT / "params.yaml").read_text().splitlines()
    after = (tmp_path / "params.yaml").read_text().splitlines()
    assert len(before) == len(after) and sum(a != b for a, b in zip(before, after)) == 2  # comments kept
