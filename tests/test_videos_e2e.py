"""End to end from raw videos: `dvc repro evaluate` on a folder of 16 clips in 2 classes, run the way the
README's "Your own videos" says, with the stand-in backbones chosen explicitly (no weights here)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from tests.project_copy import ONE_POINT_GRIDS, make_project, stages_run

MY_VIDEOS = "my_videos"  # <class>/<clip>.mp4, outside data/sample
SMALL = {
    "data": {"source": "videos", "visual_dim": 32, "videos": MY_VIDEOS, "clips_root": MY_VIDEOS},
    "extract": {"pca_dim": 32, "shard_size": 5, "backbone": "standin"},
    "model": {"audio_hidden": [32], "visual_hidden": [32], "explicit_dim": 4},
    "train": {"epochs": 3, "batch_size": 100},
    "fusion": {"dim": 4},
    "tuning": {"grids": ONE_POINT_GRIDS},
}
# another x86-64 machine as far as the kernels' environment switches can tell: oneDNN limited to SSE4.1,
# OpenBLAS's Nehalem kernels, and a user who asks for other thread counts (pipeline.portable pins them back)
OTHER_MACHINE = {"ONEDNN_MAX_CPU_ISA": "SSE41", "OPENBLAS_CORETYPE": "Nehalem", "OMP_NUM_THREADS": "3",
                 "OPENBLAS_NUM_THREADS": "3", "TF_NUM_INTRAOP_THREADS": "1"}
# another CPU family, emulated (QEMU user mode): AVX and FMA but no AVX2, AMD's older cache layout, so other
# oneDNN and OpenBLAS kernels and other cache blocking than on any current host
QEMU = shutil.which("qemu-x86_64")
EMULATED_CPU = "Opteron_G5"
TRAIN_OUTPUTS = ("models/eics.keras", "models/fusion.npz", "models/train_summary.json")


def repro_small(work, extra_env=None):
    from extract.sample import CLASSES, write_sample

    env = {**make_project(work, SMALL), **(extra_env or {})}
    write_sample(work / MY_VIDEOS, CLASSES[:2], 8, seed=0)  # a user's folder of real mp4 clips
    done = subprocess.run("dvc repro evaluate", cwd=work, env=env, shell=True, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return env


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = tmp_path_factory.mktemp("videos_project")
    return work, repro_small(work)


def output_hashes(work) -> dict:
    lock = yaml.safe_load((work / "dvc.lock").read_text())["stages"]
    return {out["path"]: out["md5"] for stage in lock.values() for out in stage.get("outs", [])}


def test_another_machine_writes_the_same_bytes(project, tmp_path_factory):
    """Clips, features, PCA, model, fusion, index, metrics, tables, page and figures: every output of
    `dvc repro evaluate` has the same hash under other kernels and thread counts."""
    work, _ = project
    other = tmp_path_factory.mktemp("other_machine")
    repro_small(other, OTHER_MACHINE)
    ours, theirs = output_hashes(work), output_hashes(other)
    assert len(ours) > 15 and {"data/features.h5", "models/eics.keras", "results/metrics.json"} <= set(ours)
    assert {path for path in ours if ours[path] != theirs.get(path)} == set()


@pytest.mark.skipif(QEMU is None, reason="needs qemu-x86_64 to emulate another CPU (Debian: apt-get install qemu-user)")
def test_another_cpu_family_trains_the_same_bytes(project, tmp_path_factory):
    """The train stage (EICS network, Adam, correlation loss, CCA fusion, validation MAPs) run again on an
    emulated CPU of another family writes the same model, fusion and summary bytes as on this one."""
    work, env = project
    emulated = tmp_path_factory.mktemp("emulated_cpu") / "project"
    shutil.copytree(work, emulated, symlinks=True)
    for name in TRAIN_OUTPUTS:
        (emulated / name).unlink()
    done = subprocess.run([QEMU, "-cpu", EMULATED_CPU, sys.executable, "-m", "pipeline.stages.train"], cwd=emulated,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [name for name in TRAIN_OUTPUTS if (emulated / name).read_bytes() != (work / name).read_bytes()] == []


def test_videos_to_metrics_with_the_backbone_named(project):
    work, _ = project
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

    work, _ = project
    visual, _, _ = read_shards(work / "data/extract/visual")
    clips = read_manifest(work / "data/manifest.csv")
    train = np.concatenate([visual[c.clip_id] for c in clips if c.split == "train"])
    everything = np.concatenate(list(visual.values()))
    with np.load(work / "models/pca.npz") as f:
        mean = f["mean"]
    np.testing.assert_allclose(mean, train.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(mean, everything.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_second_repro_skips_everything(project):
    work, env = project
    again = subprocess.run(
        "dvc repro evaluate", cwd=work, env=env, shell=True, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0 and stages_run(again.stdout) == set()


def test_push_then_pull_into_a_fresh_clone_reruns_nothing(project, tmp_path):
    work, env = project
    storage = tmp_path / "storage"

    def sh(cmd, cwd):
        result = subprocess.run(cmd, cwd=cwd, env=env, shell=True, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, cmd + "\n" + result.stdout[-2000:] + result.stderr[-2000:]
        return result.stdout

    sh(f"dvc remote modify --local shared url {storage} && git add -A && git commit -qm results && dvc push -q", work)
    clone = tmp_path / "clone"
    sh(f"git clone -q {work} {clone}", tmp_path)
    # what evaluate needs: the sample stage never ran here, so it has nothing to pull
    sh(f"dvc remote modify --local shared url {storage} && dvc pull -q --with-deps evaluate", clone)
    assert (clone / "data/features.h5").is_file() and (clone / "data/extract/visual").is_dir()
    again = sh("dvc repro evaluate", clone)
    assert stages_run(again) == set()


@pytest.fixture
def search(project, monkeypatch, capsys):
    """Run `python -m pipeline.search ARGS` in this process (the model loads in a second, not a
    fresh interpreter each time); returns its printed lines. Bad queries raise StageError, which
    the entry point prints as one `error:` line with exit code 2 (tests/test_params.py checks that)."""
    from pipeline import search as entry
    from pipeline.stage import parse_cli

    work, _ = project
    monkeypatch.chdir(work)

    def call(*args):
        capsys.readouterr()
        entry.main(parse_cli("pipeline.search", entry.__doc__, (), entry.ARGUMENTS, [str(a) for a in args]))
        return capsys.readouterr().out

    return call


def match_rows(stdout):
    return [line.split() for line in stdout.splitlines() if line.strip()[:1].isdigit()]


def test_search_by_file_runs_the_extraction_of_the_stages(project, search):
    from extract.manifest import read_manifest

    work, _ = project
    clip = next(c for c in read_manifest(work / "data/manifest.csv") if c.split == "train")
    rows_file = match_rows(search(clip.path, "--top", 5))
    rows_id = match_rows(search(clip.clip_id, "--top", 5))
    assert len(rows_file) == 5 and [r[1] for r in rows_file] == [r[1] for r in rows_id]
    np.testing.assert_allclose([float(r[3]) for r in rows_file], [float(r[3]) for r in rows_id], atol=2e-4)
    assert all(r[4] in "✓✗" for r in rows_file)  # a file of the dataset keeps its class
    from pipeline.search import page_name

    page = work / "results/search" / page_name(clip.path, "audio", "all", Path(clip.path))
    assert page.is_file() and "<img" in page.read_text()


def test_several_queries_load_the_model_once_and_print_one_block_each(project, search):
    from extract.manifest import read_manifest
    from pipeline import search as entry

    work, _ = project
    clips = [c for c in read_manifest(work / "data/manifest.csv") if c.split == "test"][:3]
    entry._loaded.cache_clear()
    out = search(*[c.path for c in clips[:2]], clips[2].clip_id, "--top", 3)
    assert [line.split()[1] for line in out.splitlines() if line.startswith("query ")] == \
        [clips[0].path, clips[1].path, clips[2].clip_id]
    assert len(match_rows(out)) == 9  # --top 3 for each of the three queries
    assert entry._loaded.cache_info().misses == 1  # backbone, model and fusion loaded once for both files
    assert out.splitlines()[0].startswith("index of ") and "backbones: " in out.splitlines()[0]
    folder = Path(clips[0].path).parent
    from_folder = search(folder, "--top", 1)
    assert sum(line.startswith("query ") for line in from_folder.splitlines()) == len(list(folder.glob("*.mp4")))


def test_search_with_a_clip_from_outside_the_dataset(project, search, tmp_path):
    from extract.sample import write_mp4

    work, _ = project
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(25)]
    write_mp4(tmp_path / "mine.mp4", frames, 10, rng.uniform(-0.3, 0.3, 40000).astype(np.float32), 16000)
    for by in ("audio", "visual"):
        out = search(tmp_path / "mine.mp4", "--by", by, "--gallery", "test")
        rows = match_rows(out)
        assert 1 <= len(rows) <= 10 and all(len(r) == 4 for r in rows)  # no class, so no ✓/✗ column
        assert "stand-in backbones" in out and "carry no meaning" in out  # an outside clip on a stand-in index
        page = next((work / "results/search").glob(f"mine_{by}_test_*.html")).read_text()
        assert "stand-in backbones" in page and "of the same class" not in page and "✗" not in page


def test_make_plots_draws_every_declared_plot_offline(project):
    work, env = project
    done = subprocess.run([sys.executable, "-m", "pipeline.plots"], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = (work / "dvc_plots/index.html").read_text()
    for name in ("Precision_at_scope_K_test_split", "AP_per_class_test_split",
                 "EICS_training_losses_per_epoch_train_split", "EICS_validation_MAP_per_epoch_validation_split"):
        assert f"src='{name}.png'" in page and (work / "dvc_plots" / f"{name}.png").stat().st_size > 5000
    assert "<script" not in page  # nothing to fetch from a CDN


def test_same_named_files_keep_two_pages_and_a_folder_skips_its_bad_clip(project, search, tmp_path, capsys):
    from extract.manifest import read_manifest
    from pipeline.stage import StageError

    work, _ = project
    clip = next(c for c in read_manifest(work / "data/manifest.csv") if c.split == "test")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(clip.path, tmp_path / folder / "same.mp4")
    (tmp_path / "b" / "broken.mp4").write_text("not a video\n")
    before = set((work / "results/search").glob("same_audio_all_*.html"))
    search(tmp_path / "a" / "same.mp4", "--top", 2)
    with pytest.raises(StageError, match="1 of 2 clips skipped"):
        search(tmp_path / "b", "--top", 2)  # the broken clip is skipped with one line, same.mp4 still answered
    assert sum("skipped: " in line for line in capsys.readouterr().err.splitlines()) == 1
    assert len(set((work / "results/search").glob("same_audio_all_*.html")) - before) == 2


def test_bad_queries_stop_with_a_clear_reason(project, search, tmp_path):
    from extract.sample import write_mp4
    from pipeline.stage import StageError

    rng = np.random.default_rng(2)
    frames = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(20)]
    write_mp4(tmp_path / "silent.mp4", frames, 10, None, 16000)
    write_mp4(tmp_path / "short.mp4", frames[:5], 10, rng.uniform(-0.3, 0.3, 8000).astype(np.float32), 16000)
    cases = [((tmp_path / "missing.mp4",), "no such file"),
             ((tmp_path / "silent.mp4", "--by", "audio"), "no audio stream"),
             ((tmp_path / "short.mp4",), "shorter than 1 s"),
             (("drum/drum_00", "--top", 0), "--top must be at least 1")]
    for args, message in cases:
        with pytest.raises(StageError, match=message):
            search(*args)


def test_search_refuses_an_index_of_another_model(project, search):
    from pipeline.stage import StageError

    work, _ = project
    fusion = work / "models/fusion.npz"
    kept = fusion.read_bytes()
    with np.load(fusion) as f:
        other = {k: f[k] for k in f.files}
    other["w_x"] = other["w_x"] * 2  # as if retrained: the index no longer matches the model
    fusion.unlink()  # DVC may have linked it from the cache: never write through the link
    np.savez(fusion, **other)
    try:
        with pytest.raises(StageError, match="is not the model .*dvc repro index"):
            search("drum/drum_00")
    finally:
        fusion.unlink()
        fusion.write_bytes(kept)


def test_retrieval_page_has_thumbnails_and_resolves(project):
    from tests.test_retrieval import page_links, unresolved

    work, _ = project
    page = work / "results/retrieval.html"
    assert unresolved(page) == []
    links = page_links(page)
    assert links.images >= 2 and any(link.endswith(".wav") for link in links.links)
    assert "(retrieval.html)" in (work / "results/results.md").read_text()
