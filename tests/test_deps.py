"""Every stage depends on its code listing (code_deps/<stage>.txt, written by `make deps`), which names
every project module its entry runs (directly or through other project modules, function-level imports
and modules imported by name included) with a hash of its code: a code change can never leave a stage's
outputs stale, and a reworded docstring or comment re-runs nothing."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.code_listing import LISTINGS, code_hash, code_listing, project_closure
from pipeline.deps import DVC_YAML, ROOT, generated


def listed(stage: str) -> set[str]:
    lines = (LISTINGS / f"{stage}.txt").read_text().splitlines()
    return {line.split()[0] for line in lines if not line.startswith("#")}


def test_dvc_yaml_and_the_listings_are_what_make_deps_writes():
    """No missing and no stale code dependency: every stage's listing is its code as it is now."""
    current = DVC_YAML.read_text()
    wanted, listings = generated(current)
    assert wanted == current, "dvc.yaml's params or code deps are out of date: run `make deps`"
    present = {str(p.relative_to(ROOT)): p.read_text() for p in LISTINGS.glob("*.txt")}
    assert listings == present, "code_deps/ is out of date: run `make deps`"


def stages():
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return [(s.addressing, s.cmd, {str(Path(d.def_path)) for d in s.deps}) for s in repo.index.stages]


@pytest.mark.parametrize("name, cmd, deps", stages(), ids=lambda v: v if isinstance(v, str) and " " not in v else "")
def test_every_stage_depends_on_a_listing_of_its_imports(name, cmd, deps):
    from model.methods import REGISTRY, method_modules

    stage = name.split("@")[0]
    assert f"code_deps/{stage}.txt" in deps and not [d for d in deps if d.endswith(".py")], deps
    entry, *args = cmd.split()[2:]  # python -m pipeline.stages.<stage> [arg]
    needed = {str(p.relative_to(ROOT)) for p in project_closure(entry)}
    for method in (a for a in args if a in REGISTRY):  # fit_method imports the method's module by name
        needed |= {str(p.relative_to(ROOT)) for m in method_modules(method) for p in project_closure(m)}
    missing = sorted(needed - listed(stage))
    assert not missing, f"stage {name} imports {missing} but its listing leaves them out"


def test_the_methods_stage_lists_every_registered_methods_modules_and_reads_its_knobs():
    """One `methods` stage fits every method of model/registry.py: each method's own modules are in its
    listing (fit_method imports them by name), and its grid and knobs among its params."""
    import yaml

    from model.methods import REGISTRY, method_modules

    for name in REGISTRY:
        modules = {m.replace(".", "/") + ".py" for m in method_modules(name)}
        assert modules <= listed("methods"), (name, modules)
    params = yaml.safe_load(DVC_YAML.read_text())["stages"]["methods"]["params"]
    assert {"tuning", "baselines", "model", "train", "fusion", "report.seeds", "fits.precision_report"} <= set(params)


def test_lock_has_no_stale_stages():
    """dvc.lock keeps an entry for every stage ever run, also after the stage left dvc.yaml;
    DVC re-reads and rewrites the whole file around each stage, so stale entries only cost time."""
    import yaml

    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    current = {name for name, _, _ in stages()}
    stale = sorted(set(lock) - current)
    assert not stale, f"dvc.lock has entries of stages no longer in dvc.yaml: {stale}"


@pytest.mark.parametrize("stage", ["sample", "manifest", "weights", "extract"])
def test_early_stages_depend_on_no_model_or_evaluation_code(stage):
    """...but the model's vocabulary (model/terms.py, literals only), which the params schema offers as choices."""
    code = listed(stage)
    assert not [d for d in code if d.startswith(("model/", "evaluate/")) and d != "model/terms.py"], code


def test_a_reworded_docstring_or_comment_changes_no_hash_and_code_does(tmp_path):
    source = ROOT / "pipeline/settings/schema.py"
    copy = tmp_path / "schema.py"
    text = source.read_text()
    copy.write_text(text.replace('"""', '"""Reworded. ', 1) + "# a new comment\n")
    assert code_hash(copy) == code_hash(source)
    copy.write_text(text.replace("min_length=1)", "min_length=2)", 1))
    assert code_hash(copy) != code_hash(source)


def test_a_stage_whose_listing_is_older_than_its_code_stops_with_one_line(tmp_path):
    """A code edit without `make deps`: DVC cannot see it, so the stage, when it runs, refuses."""
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".venv", ".git", ".dvc", "data", "models",
                                                                  "results", "dvclive", "tests", "*.pyc"))
    listing = project / "code_deps/sample.txt"
    listing.write_text(listing.read_text().replace("pipeline/stage.py ", "pipeline/stage.py 0", 1))
    done = subprocess.run([sys.executable, "-m", "pipeline.stages.sample"], cwd=project, capture_output=True, text=True)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1 and "run `make deps`" in errors[0], done.stderr


@pytest.mark.parametrize("drop, message", [("params:", "no `params:` list"), ("deps:", "no `deps:` list")])
def test_make_deps_stops_with_one_line_on_a_block_it_cannot_read(drop, message):
    from pipeline.stage import StageError

    text = DVC_YAML.read_text()
    block_start = text.index("\n  train:\n")
    block_end = text.index("\n  index:\n")
    block = text[block_start:block_end]
    broken = block.replace(f"    {drop}\n", "    other:\n", 1)
    with pytest.raises(StageError, match=message):
        generated(text[:block_start] + broken + text[block_end:])


def test_listing_is_the_code_of_the_entry():
    assert code_listing("train", "pipeline.stages.train").splitlines()[2:] == sorted(
        f"{p.relative_to(ROOT)} {code_hash(p)}" for p in project_closure("pipeline.stages.train"))
