"""Every stage lists in its DVC deps exactly the project modules its entry module imports (directly
or through other project modules, function-level imports included), so a code change can never
leave a stage's outputs stale nor re-run a stage it does not touch."""
from pathlib import Path

import pytest

from pipeline.deps import DVC_YAML, ROOT, generated, project_closure


def test_dvc_yaml_is_what_make_deps_writes():
    """No missing and no stale code dependency: every stage lists exactly its import closure."""
    current = DVC_YAML.read_text()
    assert generated(current) == current, "dvc.yaml's code dependencies are out of date: run `make deps`"


def stages():
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return [(s.addressing, s.cmd, {str(Path(d.def_path)) for d in s.deps}) for s in repo.index.stages]


@pytest.mark.parametrize(
    "name, cmd, deps",
    stages(),
    ids=lambda v: v
    if isinstance(v, str)
    and "@" in v
    or v in ("sample", "manifest", "weights", "pca", "features", "train", "evaluate", "report")
    else "",
)
def test_stage_deps_cover_its_imports(name, cmd, deps):
    from model.methods import EICS_VARIANTS, REGISTRY

    entry, *args = cmd.split()[2:]  # python -m pipeline.<stage> [arg]
    needed = {str(p.relative_to(ROOT)) for p in project_closure(entry)}
    for method in (a for a in args if a in REGISTRY):  # fit_method imports the method's module by name
        module = "model.eics.variants" if method in EICS_VARIANTS else f"model.baselines.{REGISTRY[method]['module']}"
        needed |= {str(p.relative_to(ROOT)) for p in project_closure(module)}
    missing = sorted(needed - deps)
    assert not missing, f"stage {name} imports {missing} but does not list them in dvc.yaml deps"


def test_lock_has_no_stale_stages():
    """dvc.lock keeps an entry for every stage ever run, also after the stage left dvc.yaml;
    DVC re-reads and rewrites the whole file around each stage, so stale entries only cost time."""
    import yaml

    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    current = {name for name, _, _ in stages()}
    stale = sorted(set(lock) - current)
    assert not stale, f"dvc.lock has entries of stages no longer in dvc.yaml: {stale}"


def test_the_methods_stage_depends_on_every_registered_method_and_reads_its_knobs():
    """One `methods` stage fits every method of model/registry.py: each method's own modules are among its
    code dependencies (fit_method imports them by name), and its grid and knobs among its params."""
    from model.methods import EICS_VARIANTS, REGISTRY

    block = {name: d for name, _, d in stages()}["methods"]
    for name, entry in REGISTRY.items():
        modules = (["model/eics/variants.py"] if name in EICS_VARIANTS else
                   [f"model/baselines/{entry['module']}.py", f"model/baselines/{entry['builds_on']}.py"])
        assert set(modules) <= set(block), (name, modules)
    import yaml

    params = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["methods"]["params"]
    assert {"tuning", "baselines", "model", "train", "fusion", "report.seeds", "fits.precision_report"} <= set(params)


@pytest.mark.parametrize("stage", ["sample", "manifest", "weights", "extract@audio", "extract@visual"])
def test_early_stages_depend_on_no_model_or_evaluation_code(stage):
    """...but the model's vocabulary (model/terms.py, literals only), which the params schema offers as choices."""
    deps = {name: d for name, _, d in stages()}[stage]
    assert not [d for d in deps if d.startswith(("model/", "evaluate/")) and d != "model/terms.py"], deps
