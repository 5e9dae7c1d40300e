"""End to end: `dvc repro` on a copy of the repository with tiny params."""
import json
import re
import subprocess

import pytest
import yaml

from tests.project_copy import ONE_POINT_GRIDS, ROOT, make_project, stages_run

# every method at one grid point, one seed and two epochs keeps this test quick
RUN = ("random", "cca", "eics")
TARGETS = "evaluate methods"


def make_recipe(target: str) -> str:
    """The shell command of a Makefile target (its recipe lines, continuations joined)."""
    lines = (ROOT / "Makefile").read_text().split(f"\n{target}:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return " ".join(line.strip().rstrip("\\") for line in lines).replace("$$", "$")


def sh(cmd, cwd, env):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, shell=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = tmp_path_factory.mktemp("project")
    env = make_project(work, {
        "data": {"source": "synthetic"},
        "sample": {"classes": 2, "clips_per_class": 3},
        "synthetic": {"n_train": 300, "n_val": 100, "n_test": 150, "n_classes": 4},
        "model": {"audio_hidden": [32], "visual_hidden": [32]},
        "train": {"epochs": 2, "batch_size": 100},
        "baselines": {"epochs": 2, "hidden": [32]},
        "tuning": {"grids": ONE_POINT_GRIDS},  # the same budget for everyone, one point for speed
        "report": {"seeds": [0]},
    })
    first = sh(f"dvc repro {TARGETS} && python -m pipeline.stages.report", work, env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    return work, env


def test_repro_writes_metrics_and_table(project):
    work, _ = project
    metrics = json.loads((work / "results/metrics.json").read_text())
    assert 0 < metrics["map_audio_to_visual"] <= 1 and 0 < metrics["map_visual_to_audio"] <= 1
    assert metrics["map_average"] == pytest.approx(
        (metrics["map_audio_to_visual"] + metrics["map_visual_to_audio"]) / 2
    )
    assert set(metrics["ap_per_class"]["audio_to_visual"]) == {f"class_{i}" for i in range(4)}
    # the trained model (what index, evaluate and search use) is EICS at params.yaml's values, all recorded
    params = yaml.safe_load((work / "params.yaml").read_text())
    summary = json.loads((work / "models/train_summary.json").read_text())
    assert summary["trained_with"] == {section: params[section] for section in ("model", "train", "fusion")}
    assert json.loads((work / "models/train_timing.json").read_text())["train_seconds"] > 0
    table = (work / "results/results.md").read_text()
    assert "| EICS (ours) |" in table and "backbone" in table
    assert f"alpha (L_dis weight) {params['model']['alpha']}, beta (L_cons weight) {params['model']['beta']}" in table
    # no DVC output holds wall-clock seconds (they differ between machines); those are in results/timings
    for name in RUN:
        assert "seconds" not in (work / f"results/tuning/{name}.json").read_text()
        assert "seconds" not in (work / f"results/methods/{name}.json").read_text()
        assert len(json.loads((work / f"results/timings/{name}.json").read_text())["fit_seconds"]) == 1
    times = (work / "results/timings.md").read_text()
    assert "| CCA |" in times and "| DSCMR |" in times
    assert (work / "results/precision_scope.csv").read_text().startswith("scope,audio_to_visual,visual_to_audio")
    assert (work / "dvclive/metrics.json").is_file()
    report = (work / "results/report.md").read_text()
    assert "Holm" in report and "seeds" in report and "Δ = method − " in report
    assert "| pair R@1 | pair R@5 | pair R@10 | median rank |" in report
    for row in ("| Random |", "| CCA |", "| EICS (ours) |"):
        assert row in report and f"{row} not run" not in report
    assert "seconds" not in report.replace("Wall-clock seconds", "")  # Table 3 lives in results/timings.md
    assert "not run" not in report.replace("'not run' marks", "")  # every method of the registry ran
    assert (
        "(precision_scope_methods.png)" in report
        and (work / "results/precision_scope_methods.png").stat().st_size > 5000
    )


def test_results_table_delta_is_the_row_minus_the_best_row(project):
    """results/results.md: Δ = row minus the best row's average MAP (so never positive), as everywhere."""
    import re

    work, _ = project
    rows = [line.split("|")[1:-1] for line in (work / "results/results.md").read_text().splitlines()
            if line.startswith("| EICS") or line.startswith("| Linear CCA")]
    average = {r[0].strip(): float(r[3].strip(" *")) for r in rows}
    best = next(r[0].strip() for r in rows if r[-1].strip() == "best")
    for r in rows:
        if r[-1].strip() != "best":
            delta = float(re.search(r"Δ ([+-][0-9.]+)", r[-1]).group(1))
            assert delta == pytest.approx(average[r[0].strip()] - average[best], abs=2e-4) and delta <= 0
    metrics = json.loads((work / "results/metrics.json").read_text())
    assert 0 <= metrics["pair_recall_at_1_average"] <= metrics["pair_recall_at_10_average"] <= 1
    assert metrics["median_rank_average"] >= 1 and "class_recall_at_1_average" in metrics


def test_second_repro_does_nothing(project):
    work, env = project
    again = sh(f"dvc repro {TARGETS}", work, env)
    assert again.returncode == 0
    assert stages_run(again.stdout) == set()


def test_a_forced_rerun_of_the_methods_reuses_every_fit_and_leaves_the_rest_cached(project):
    work, env = project
    tuning = (work / "results/tuning/eics.json").read_bytes()
    scores = (work / "results/methods/eics.json").read_bytes()
    rerun = sh("dvc repro -f -s methods", work, env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "Running stage 'methods'" in rerun.stdout and "methods: 0 fits to run now" in rerun.stdout
    # only the timing files may differ, so train stays cached
    assert (work / "results/tuning/eics.json").read_bytes() == tuning
    assert (work / "results/methods/eics.json").read_bytes() == scores
    assert json.loads(sh("dvc status --json train index evaluate", work, env).stdout) == {}


def test_an_alpha_sweep_point_retrains_and_changes_the_model(project):
    """`dvc exp run evaluate -S model.alpha=...` runs train, index and evaluate only, and the model changes."""
    work, env = project
    sh("git add -A && git commit -qm results", work, env)  # the committed state the README's undo returns to
    before = json.loads((work / "models/train_summary.json").read_text())
    run = sh("dvc exp run evaluate -S model.alpha=0.0", work, env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    ran = stages_run(run.stdout)
    assert ran == {"train", "index", "evaluate"}, run.stdout
    after = json.loads((work / "models/train_summary.json").read_text())
    assert after["trained_with"]["model"]["alpha"] == 0.0
    assert after["val_map_average"] != before["val_map_average"] or after["best_epoch"] != before["best_epoch"]
    assert "alpha (L_dis weight) 0.0" in (work / "results/results.md").read_text()
    shown = sh(f"COLUMNS=120 {make_recipe('exps')}", work, env).stdout  # `make exps`, as the README says
    assert "model.alpha" in shown and "val_map_average" in shown and " map_average" in shown, shown
    assert max(len(line) for line in shown.splitlines()) <= 120 and "…" not in shown, shown
    undo = re.search(r"^(git checkout -- \. .*)$", (ROOT / "README.md").read_text(), re.M).group(1)
    assert sh(undo, work, env).returncode == 0
    assert sh("git status --porcelain", work, env).stdout == ""
    assert json.loads(sh("dvc status --json train index evaluate", work, env).stdout) == {}


def test_changing_alpha_refits_only_the_eics_family(project):
    work, env = project
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["model"]["alpha"] = 0.1
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        changed = set(json.loads(sh("dvc status --json", work, env).stdout))
        refit = sh("python -m pipeline.stages.method --dry-run", work, env)
    finally:
        sh("git checkout params.yaml && git checkout -- results", work, env)
    unchanged = set(json.loads(sh("dvc status --json", work, env).stdout))  # stages never run here are listed too
    # evaluate follows from its deps, so `dvc status` does not list it; report states EICS's tuned point against params
    assert changed - unchanged == {"train", "methods", "protocol", "report"} - unchanged, changed ^ unchanged
    # the methods stage fits again only EICS and its variants (one point, one seed each): the rest are kept
    from model.methods import EICS_VARIANTS

    assert refit.returncode == 0, refit.stderr[-2000:]
    assert f"methods: {len(EICS_VARIANTS)} fits to run now" in refit.stdout, refit.stdout[-2000:]


def test_a_bad_value_is_named_with_the_stages_that_read_it_and_deletes_no_tracked_file(project):
    work, env = project
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["model"]["alpha"] = -1
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        failed = sh("dvc repro", work, env)
        status = sh("git status --porcelain", work, env).stdout
    finally:
        sh("git checkout params.yaml", work, env)
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
    assert failed.returncode != 0 and "model.alpha must be >= 0, got -1 (read by stage train, " in errors[0], errors
    assert not [line for line in status.splitlines() if line.startswith((" D", "D "))], status


def test_dvc_status_names_an_edited_community_file_wherever_it_lives(project, tmp_path):
    """`features` depends on data.community_file itself (here outside the repository): after a repro the
    pipeline is up to date, and editing the file is what `dvc status` reports, naming it."""
    work, env = project
    elsewhere = tmp_path / "elsewhere.h5"
    elsewhere.write_bytes(b"first contents")
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["data"]["community_file"] = str(elsewhere)  # data.source stays synthetic: the file is not read
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        assert sh("dvc repro features", work, env).returncode == 0
        assert json.loads(sh("dvc status --json features", work, env).stdout) == {}
        elsewhere.write_bytes(b"other contents")
        status = json.loads(sh("dvc status --json features", work, env).stdout)
    finally:
        sh("git checkout params.yaml && dvc repro -q features", work, env)
    assert status == {"features": [{"changed deps": {str(elsewhere): "modified"}}]}, status
