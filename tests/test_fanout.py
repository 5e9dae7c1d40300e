"""The methods stage's fits fan out on Ray and write the same bytes however they run: with one worker or two,
on a two-node Ray cluster, and after being killed mid-way and started again (only the missing fits run)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.project_copy import make_project

METHODS = ("random", "cca", "dscmr", "eics")  # no fitting, closed form, a neural baseline, EICS
TWO_POINT_GRIDS = {name: {"learning_rate": [1.0e-3, 3.0e-3]} for name in
                   ("eics", "eics_literal", "dcca", "c_dcca", "tnn_c_cca", "dscmr", "acmr", "ucal", "ugach", "agah",
                    "dclma")}
TWO_POINT_GRIDS.update({"cca": {"ridge": [1.0e-3, 1.0e-1]}, "c_cca": {"ridge": [1.0e-3, 1.0e-1]},
                        "kcca": {"ridge": [1.0e-2, 1.0e-1]}})


def run_stage(work, env, workers: int, address: str = "", background: bool = False):
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["fits"].update(workers=workers, address=address)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    command = [sys.executable, "-m", "pipeline.stages.method", *METHODS]
    if background:
        return subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def result_files(work) -> dict:
    return {f"{kind}/{name}": (work / "results" / kind / f"{name}.json").read_bytes()
            for kind in ("methods", "tuning") for name in METHODS}


def fresh(work) -> None:
    """Forget every saved fit and result, so the next run fits everything."""
    subprocess.run("rm -rf models/fits results/methods results/tuning", cwd=work, shell=True, check=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = tmp_path_factory.mktemp("fanout")
    env = make_project(work, {
        "data": {"source": "synthetic"},
        "synthetic": {"n_train": 240, "n_val": 60, "n_test": 90, "n_classes": 3, "visual_dim": 64},
        "model": {"audio_hidden": [16], "visual_hidden": [16]},
        "train": {"epochs": 6, "batch_size": 60, "min_steps": 0, "patience": 2},
        "baselines": {"epochs": 6, "hidden": [16], "batch_size": 60, "min_steps": 0, "patience": 2},
        "tuning": {"grids": TWO_POINT_GRIDS, "seeds": 2},
        "report": {"seeds": [0, 1, 2]},
    })
    made = subprocess.run([sys.executable, "-m", "pipeline.stages.features"], cwd=work, env=env, capture_output=True,
                          text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    log = run_stage(work, env, workers=1)
    return work, env, result_files(work), log


def test_one_worker_runs_every_fit_once_and_reuses_tuning_fits(project):
    work, _, reference, log = project
    # 3 methods x 2 points x 2 tuning seeds, then 1 more seed each at the choice; random: 3 seeds, no tuning
    fitted = [line for line in log.splitlines() if " seed " in line and "validation MAP" in line]
    assert len(fitted) == 3 * (2 * 2 + 1) + 3, log
    tuning = json.loads(reference["tuning/eics"])
    assert tuning["seeds"] == [0, 1] and len(tuning["points"][0]["val_map_by_seed"]) == 2
    assert json.loads(reference["methods/eics"])["point"] == tuning["chosen"]


def test_a_two_node_ray_cluster_writes_the_same_bytes(project):
    from ray.cluster_utils import Cluster

    work, env, reference, _ = project
    fresh(work)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        run_stage(work, env, workers=0, address=cluster.address)
    finally:
        cluster.shutdown()
    assert result_files(work) == reference


def test_two_workers_killed_mid_way_resume_with_the_missing_fits_and_the_same_bytes(project):
    """Two workers, the run killed mid-way and started again: every fit runs once, and the files equal the
    one-worker run's byte for byte (so do those of the two-node cluster above)."""
    work, env, reference, _ = project
    fresh(work)
    running = run_stage(work, env, workers=2, background=True)
    fits = work / "models" / "fits"
    saved = lambda: list(fits.rglob("*.json")) if fits.is_dir() else []  # noqa: E731
    deadline = time.time() + 300
    while len(saved()) < 4 and time.time() < deadline and running.poll() is None:
        time.sleep(0.2)
    assert running.poll() is None, "the stage finished before it could be killed"
    os.killpg(running.pid, signal.SIGKILL)  # the driver, its Ray runtime and workers, mid-way
    running.wait()
    kept = len(saved())
    assert 4 <= kept < 3 * 5 + 3
    log = run_stage(work, env, workers=2)
    fitted = [line for line in log.splitlines() if " seed " in line and "validation MAP" in line]
    assert len(fitted) == 3 * 5 + 3 - kept, log  # every saved fit is reused, every other one fitted once
    assert result_files(work) == reference

