"""A throw-away copy of the repository for end-to-end `dvc repro` tests."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# The same budget for every method (params validation insists), one point each, for speed.
ONE_POINT_GRIDS = {name: {"learning_rate": [1.0e-3]} for name in
                   ("eics", "eics_literal", "dcca", "c_dcca", "tnn_c_cca", "dscmr", "acmr", "ucal", "ugach", "agah",
                    "dclma")}
ONE_POINT_GRIDS.update({"cca": {"ridge": [1.0e-3]}, "c_cca": {"ridge": [1.0e-3]}, "kcca": {"ridge": [1.0e-2]}})


def make_project(work: Path, overrides: dict) -> dict:
    """Copy the tracked sources (not earlier outputs) into `work`, apply params overrides
    ({section: {key: value}}), commit it as a new git repository; return the env to run dvc in."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        outputs = name.startswith(("results/", "tests/", "dvclive/", "models/")) or name == "dvc.lock"
        if (
            outputs
            or (name.startswith("data/") and not name.startswith("data/external/"))
            or not (ROOT / name).is_file()
        ):
            continue
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    params = yaml.safe_load((work / "params.yaml").read_text())
    for section, values in overrides.items():
        params[section].update(values)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", DVC_NO_ANALYTICS="1",
               TF_CPP_MIN_LOG_LEVEL="3", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    subprocess.run("git init -q && git add -A && git commit -qm init", cwd=work, env=env, shell=True, check=True)
    return env


def stages_run(stdout: str) -> set[str]:
    """The stages a `dvc repro` ran."""
    return {line.split("'")[1] for line in stdout.splitlines() if line.startswith("Running stage '")}
