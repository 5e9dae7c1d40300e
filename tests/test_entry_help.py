"""Every `python -m pipeline.<entry>` answers -h/--help: what it does, the params.yaml keys it
reads (all those dvc.yaml declares for its stages) and its options, exit 0, no side effect:
no file written, nothing queued. A wrong argument is one error line, exit 2."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = sorted(".".join(p.relative_to(ROOT / "pipeline").with_suffix("").parts)
                 for p in (ROOT / "pipeline").rglob("*.py")
                 if "\nif __name__ == \"__main__\":" in p.read_text() and p.stem != "stage")
SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache"}


def entry(name: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", f"pipeline.{name}", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=60)


def tree_state() -> dict:
    """Path -> (size, mtime) of every file in the checkout that a run could write, the DVC queue included
    (.dvc/tmp except its exps/ folder is DVC's own scratch space, which other tests' DVC calls touch)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = Path(dirpath).relative_to(ROOT)
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS
                       and not (rel == Path(".dvc/tmp") and d != "exps")]
        if rel == Path(".dvc/tmp"):
            continue
        for name in filenames:
            stat = (Path(dirpath) / name).stat()
            state[str(rel / name)] = (stat.st_size, stat.st_mtime_ns)
    return state


def params_read(help_text: str) -> list[str]:
    line = next(line for line in help_text.splitlines() if line.startswith("params.yaml read:"))
    return [item.strip().split(" ")[0] for item in line.split(":", 1)[1].split(",")]


def test_every_entry_is_found():
    stages = {"sample", "manifest", "weights", "extract", "pca", "features", "train", "index",
              "evaluate", "method", "protocol", "report"}
    assert {f"stages.{s}" for s in stages} | {"search", "alpha_beta_grid", "tune", "plots", "deps"} == set(ENTRIES)


@pytest.mark.parametrize("name", ENTRIES)
def test_help_exits_0_and_changes_nothing(name):
    before = tree_state()
    for flag in ("--help", "-h"):
        result = entry(name, flag)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: python -m pipeline.{name}") and "params.yaml read:" in result.stdout
        assert len(result.stdout.splitlines()) > 4  # the description is there, not only the usage line
    assert tree_state() == before


@pytest.mark.parametrize("name", ["stages.train", "stages.method", "alpha_beta_grid", "search"])
def test_an_unknown_argument_is_one_error_line(name):
    result = entry(name, "--no-such-option", "x")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith(f"error: python -m pipeline.{name}: ")


def test_help_names_every_param_dvc_yaml_gives_the_stage():
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    declared = {}
    with Repo(str(ROOT)) as repo:
        for stage in repo.index.stages:
            module = stage.cmd.split()[2].removeprefix("pipeline.")
            for dep in stage.deps:
                if isinstance(dep, ParamsDependency):
                    declared.setdefault(module, set()).update(dep.params)
    assert set(declared) <= set(ENTRIES)
    for module, keys in declared.items():
        reads = params_read(entry(module, "--help").stdout)
        uncovered = sorted(k for k in keys if not any(k == r or k.startswith(r + ".") or k.startswith(
            r.removesuffix("<name>")) and r.endswith("<name>") for r in reads))
        assert not uncovered, f"python -m pipeline.{module} --help does not name {uncovered}"


def test_every_key_an_entry_reads_is_a_knob_of_the_schema():
    """The --help list names knobs that exist (with their default and meaning), never a stale key."""
    from pipeline.settings.schema import Params

    for name in ENTRIES:
        for key in params_read(entry(name, "--help").stdout):
            if key in ("nothing",) or not key.islower() or "/" in key:
                continue  # free-text notes such as "results/tuning/eics.json (not params ...)"
            section, *rest = key.split(".")
            assert section in Params.model_fields, f"pipeline.{name} reads unknown section {key}"
            model = Params.model_fields[section].annotation
            if rest and hasattr(model, "model_fields"):
                assert rest[0] in model.model_fields, f"pipeline.{name} reads unknown key {key}"
