"""End to end from raw videos: `dvc repro evaluate` on a 2-class mini sample."""
import json
import subprocess
import time

import h5py
import numpy as np
import pytest

from tests.project_copy import make_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = tmp_path_factory.mktemp("videos_project")
    env = make_project(work, {
        "data": {"source": "videos", "visual_dim": 32},
        "sample": {"classes": 2, "clips_per_class": 8},
        "extract": {"pca_dim": 32, "shard_size": 5},
        "model": {"audio_hidden": [32], "visual_hidden": [32], "explicit_dim": 4},
        "train": {"epochs": 3, "batch_size": 100},
        "fusion": {"dim": 4},
    })
    started = time.perf_counter()
    first = subprocess.run("dvc repro evaluate", cwd=work, env=env, shell=True, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return work, env, time.perf_counter() - started


def test_videos_to_metrics_in_time_with_the_backbone_named(project):
    work, _, seconds = project
    assert seconds < 180
    metrics = json.loads((work / "results/metrics.json").read_text())
    assert 0 < metrics["map_average"] <= 1
    assert "standin-audio" in (work / "results/results.md").read_text()
    with h5py.File(work / "data/features.h5", "r") as f:
        assert "standin-visual" in f.attrs["backbone"]
        assert f["visual_train"].shape[1] == 32 and f["audio_train"].shape[1] == 128
        for key in f:
            if key.startswith(("audio_", "visual_")):
                assert np.isfinite(f[key][()]).all()
        n = sum(len(f[f"lab_{s}"]) for s in ("train", "val", "test"))
    assert n == 16
    assert (work / "data/skips.csv").read_text().strip() == "path,reason"
    table = (work / "results/results.md").read_text()
    for name in ("loss_curves", "precision_scope", "ap_per_class", "tsne"):
        assert (work / "results/figures" / f"{name}.png").stat().st_size > 5000
        assert f"(figures/{name}.png)" in table


def test_pca_is_fitted_on_training_frames_only(project):
    from extract.manifest import read_manifest
    from extract.shards import read_shards

    work, _, _ = project
    visual, _, _ = read_shards(work / "data/extract/visual")
    clips = read_manifest(work / "data/manifest.csv")
    train = np.concatenate([visual[c.clip_id] for c in clips if c.split == "train"])
    everything = np.concatenate(list(visual.values()))
    with np.load(work / "models/pca.npz") as f:
        mean = f["mean"]
    np.testing.assert_allclose(mean, train.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(mean, everything.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_second_repro_skips_everything(project):
    work, env, _ = project
    again = subprocess.run("dvc repro evaluate", cwd=work, env=env, shell=True, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Running stage" not in again.stdout


def test_push_then_pull_into_a_fresh_clone_reruns_nothing(project, tmp_path):
    work, env, _ = project
    storage = tmp_path / "storage"

    def sh(cmd, cwd):
        result = subprocess.run(cmd, cwd=cwd, env=env, shell=True, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, cmd + "\n" + result.stdout[-2000:] + result.stderr[-2000:]
        return result.stdout

    sh(f"dvc remote modify --local shared url {storage} && git add -A && git commit -qm results && dvc push -q", work)
    clone = tmp_path / "clone"
    sh(f"git clone -q {work} {clone}", tmp_path)
    sh(f"dvc remote modify --local shared url {storage} && dvc pull -q", clone)
    assert (clone / "data/features.h5").is_file() and (clone / "data/extract/visual").is_dir()
    again = sh("dvc repro evaluate", clone)
    assert "Running stage" not in again
