import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.settings.methods import check_methods
from pipeline.settings.params import ParamsError, load_params, validate
from pipeline.settings.schema import Params

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = yaml.safe_load((ROOT / "params.yaml").read_text())


def with_value(dotted, value):
    params = copy.deepcopy(DEFAULTS)
    node = params
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return params


def validate_all(params):
    """What the stages check between them: the schema at load (every stage) and the method registry's names."""
    check_methods(validate(params))


def test_defaults_are_valid_and_loading_adds_or_changes_nothing(tmp_path):
    validate_all(copy.deepcopy(DEFAULTS))
    assert load_params(ROOT / "params.yaml") == DEFAULTS  # no injected defaults, no overrides
    text = (ROOT / "params.yaml").read_text().replace("  alpha: 1.0 ", "  alpha: 0.37 ", 1)
    (tmp_path / "params.yaml").write_text(text)
    assert load_params(tmp_path / "params.yaml")["model"]["alpha"] == 0.37


def test_every_knob_has_a_comment():
    """Every key line says what it means (list items, one per line or a mapping over several, belong
    to their key's comment)."""
    item_indent = None  # the indentation of the keys that continue a list item's mapping
    for line in (ROOT / "params.yaml").read_text().splitlines():
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith("- "):
            item_indent = indent + 2
        elif line.strip() and not line.lstrip().startswith("#") and indent != item_indent:
            item_indent = None
            assert "#" in line, f"params.yaml line without a comment: {line!r}"


def schema_fields(model=Params, prefix=""):
    """(dotted key, field) of every knob and section the schema defines."""
    from pydantic import BaseModel

    for name, field in model.model_fields.items():
        yield prefix + name, field
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from schema_fields(field.annotation, f"{prefix}{name}.")


def yaml_keys():
    """(dotted key, comment) of every key line of params.yaml, by indentation."""
    import re

    stack = []
    for line in (ROOT / "params.yaml").read_text().splitlines():
        match = re.match(r"^(\s*)([A-Za-z_]\w*):[^#]*(?:#\s*(.*))?$", line)
        if match:
            stack = stack[: len(match.group(1)) // 2] + [match.group(2)]
            yield ".".join(stack), (match.group(3) or "").strip()


def test_params_yaml_and_the_schema_define_the_same_knobs_defaults_and_meanings():
    assert Params().model_dump() == DEFAULTS  # every key and every default, both ways
    meanings = {key: field.description for key, field in schema_fields()}
    free = ("baselines.knobs.", "tuning.grids.")  # their entries are per-method values, commented freely
    comments = {key: comment for key, comment in yaml_keys() if not key.startswith(free)}
    assert set(comments) - set(meanings) == set() and set(meanings) - set(comments) == set()
    wrong = {key: (comments[key], meanings[key]) for key in meanings if comments[key] != meanings[key]}
    assert not wrong, f"params.yaml comments differ from the schema's meanings: {wrong}"


@pytest.mark.parametrize("dotted, value, message", [
    ("model.alpah", 2, "model.alpah: unknown key; allowed keys of model: audio_hidden, "),
    ("model.alpha", "high", "model.alpha must be a number, got 'high'"),
    ("train.epochs", True, "train.epochs must be an integer, got True"),
    ("data.audio_dim", "big", "data.audio_dim"),
])
def test_an_unknown_key_or_a_wrong_type_stops_the_first_stage_with_one_line(tmp_path, dotted, value, message):
    result = run_stage(tmp_path, "pipeline.stages.sample", with_value(dotted, value))
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert lines[0].endswith(")") and "(read by stage " in lines[0] and "train" in lines[0]


@pytest.mark.parametrize(
    "dotted, value, message",
    [
        ("model.alpha", -1, "model.alpha must be >= 0"),
        ("model.beta", "big", "model.beta must be a number"),
        ("model.loss_terms", ["corr", "triplet"], "unknown value 'triplet'"),
        ("model.loss_terms", [], "must have at least 1 item"),
        ("model.constraint_pairs", ["ex_ex"], "unknown value 'ex_ex'"),
        ("model.audio_hidden", [1024, 0], r"model.audio_hidden\[1\] must be >= 1, got 0"),
        ("data.source", "youtube", "unknown value 'youtube'"),
        ("data.val_fraction", 1.0, "must be < 1"),
        ("train.epochs", 0, "train.epochs must be >= 1"),
        ("train.momentum", 1.0, "must be < 1"),
        ("fusion.heads", ["mid"], "unknown value 'mid'"),
        ("evaluate.scopes", [10, -5], r"evaluate.scopes\[1\] must be >= 1"),
        ("data.split_fractions", [0.5, 0.1, 0.1], "must sum to 1"),
        ("tuning.grids", {"eics": {"alpha": [1.0]}, "nonsense": {"x": [1]}}, "unknown method 'nonsense'"),
    ],
)
def test_bad_values_are_named(dotted, value, message):
    with pytest.raises(ParamsError, match=message):
        validate_all(with_value(dotted, value))


def test_a_key_left_out_takes_the_schema_default():
    params = copy.deepcopy(DEFAULTS)
    del params["train"]["batch_size"]
    assert validate(params)["train"]["batch_size"] == Params().train.batch_size == DEFAULTS["train"]["batch_size"]


def run_stage(tmp_path, module, params):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", module], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "params, module, message",
    [
        (
            with_value("model.alpha", -0.5),
            "pipeline.stages.train",
            "error: train: params.yaml: model.alpha must be >= 0, got -0.5",
        ),
        (with_value("data.source", "community"), "pipeline.stages.features", "feature file not found"),
        (DEFAULTS, "pipeline.stages.train", "data/features.h5: feature file not found"),
    ],
)
def test_stage_stops_with_one_clear_line(tmp_path, params, module, message):
    result = run_stage(tmp_path, module, params)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr


def test_sample_stage_writes_the_clips_only_for_the_sample_dataset(tmp_path):
    """Another dataset gets no clips in data/sample (a README saying why); the sample gets its clips."""
    result = run_stage(tmp_path, "pipeline.stages.sample", with_value("data.source", "community"))
    assert result.returncode == 0 and "sample: not used (data.source: community" in result.stdout
    assert [f.name for f in (tmp_path / "data/sample").iterdir()] == ["README.txt"]
    small = with_value("sample.clips_per_class", 3)
    small["sample"]["classes"] = 2
    result = run_stage(tmp_path, "pipeline.stages.sample", small)
    assert result.returncode == 0 and "sample: 6 clips" in result.stdout
    assert len(list((tmp_path / "data/sample").glob("*/*.mp4"))) == 6


def test_nan_feature_file_stops_the_train_stage(tmp_path):
    import numpy as np

    from extract.feature_store import write_features
    from tests.synthetic_data import synthetic_features

    features = synthetic_features({"train": 20, "val": 10, "test": 10}, n_classes=2,
                                       visual_dim=DEFAULTS["extract"]["pca_dim"])
    write_features(features, tmp_path / "data" / "features.h5", seed=0)
    import h5py

    with h5py.File(tmp_path / "data" / "features.h5", "a") as f:
        f["audio_val"][3, 5] = np.nan
    result = run_stage(tmp_path, "pipeline.stages.train", DEFAULTS)
    assert result.returncode == 2 and "audio_val has NaN or infinite values in 1 row(s)" in result.stderr
    assert "Traceback" not in result.stderr


BROKEN_RUNS = [
    ("pipeline.stages.sample", {}), ("pipeline.stages.manifest", {}),
    ("pipeline.stages.weights", {"extract.backbone": "pretrained", "extract.vggish": "models/downloads/none",
                          "data.videos": "elsewhere"}),
    ("pipeline.stages.extract audio", {}), ("pipeline.stages.extract visual", {}), ("pipeline.stages.pca", {}),
    ("pipeline.stages.features", {}), ("pipeline.stages.train", {}), ("pipeline.stages.evaluate", {}),
    ("pipeline.stages.method cca", {}), ("pipeline.stages.method explicit_only", {}), ("pipeline.stages.report", {}),
    ("pipeline.alpha_beta_grid --collect-only", {}), ("pipeline.alpha_beta_grid", {}), ("pipeline.stages.index", {}),
    ("pipeline.search bird/bird_00", {}),
]


def test_every_stage_entry_fails_on_broken_input_with_one_line(tmp_path):
    """Broken inputs: a features file that is not HDF5, data/sample a file instead of a folder,
    no manifest, model, index, tuning result or weights. Every entry point prints one line, no
    traceback. The entries run three at a time (each is a fresh Python process)."""
    from concurrent.futures import ThreadPoolExecutor

    def broken_run(command, overrides):
        work = tmp_path / command.replace(" ", "_").replace("/", "_")
        (work / "data").mkdir(parents=True)
        (work / "data" / "features.h5").write_text("not hdf5")
        (work / "data" / "sample").write_text("not a folder")
        params = copy.deepcopy(DEFAULTS)
        for dotted, value in overrides.items():
            params = with_value_in(params, dotted, value)
        (work / "params.yaml").write_text(yaml.safe_dump(params))
        env = {
            "PYTHONPATH": str(ROOT),
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        return command, subprocess.run([sys.executable, "-m", *command.split()], cwd=work, env=env, capture_output=True,
                                       text=True, timeout=300)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda run: broken_run(*run), BROKEN_RUNS))
    for command, result in results:
        stderr = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2, (command, result.stderr[-2000:])
        assert len(stderr) == 1 and stderr[0].startswith("error: "), (command, stderr)
        assert "Traceback" not in result.stderr + result.stdout


def with_value_in(params, dotted, value):
    node = params
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return params


def test_dvc_exp_set_param_changes_only_the_lines_it_sets(tmp_path):
    """`dvc exp run -S` rewrites params.yaml through DVC's own override code; params.yaml is kept in
    the layout that code writes, so one changed value is one changed line (and nothing else moves)."""
    import difflib

    from dvc.utils.hydra import apply_overrides

    original = (ROOT / "params.yaml").read_text()
    copy = tmp_path / "params.yaml"
    copy.write_text(original)
    apply_overrides(str(copy), ["model.alpha=0.5"])
    changed = [line for line in difflib.unified_diff(original.splitlines(), copy.read_text().splitlines(), n=0)
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert len(changed) == 2 and changed[0].startswith("-  alpha: 1.0") and changed[1].startswith("+  alpha: 0.5")


def test_a_stage_is_given_only_the_keys_it_declares():
    """load_params(reads=...) hands a stage exactly its declared keys, so a key it reads without
    declaring it (and so without DVC re-running it when that key changes) fails at once."""
    from pipeline.settings.params import only

    params = load_params(ROOT / "params.yaml", reads=("data.source", "model", "tuning.grids.eics"))
    assert set(params) == {"data", "model", "tuning"} and list(params["data"]) == ["source"]
    assert params["model"] == DEFAULTS["model"] and list(params["tuning"]["grids"]) == ["eics"]
    with pytest.raises(KeyError):
        params["data"]["videos"]
    with pytest.raises(ValueError, match="model.alpah"):
        only(DEFAULTS, ("model.alpah",))


def test_every_method_stage_runs_on_the_keys_its_dvc_stage_declares():
    """Each method's stage, given only reads_for(its name), finds every key its tuning and fitting read."""
    from model.methods import METHODS
    from pipeline.settings.methods import grid_of, grid_points, method_options
    from pipeline.stages.method import reads_for

    for name in METHODS:
        params = load_params(ROOT / "params.yaml", reads=reads_for([name]))
        grid = grid_of(name, params)
        for point in grid_points(grid) if grid else [{}]:
            method_options(name, params, point)
        assert params["report"]["seeds"] and params["evaluate"]["scopes"]


def test_an_ablation_or_random_may_not_have_a_grid_of_its_own(tmp_path):
    text = (ROOT / "params.yaml").read_text()
    for name in ("implicit_only", "random"):
        grid = f"    {name}: {{alpha: [1.0, 2.0, 3.0, 4.0]}}\n    eics_literal:"
        (tmp_path / "p.yaml").write_text(text.replace("    eics_literal:", grid, 1))
        with pytest.raises(ParamsError, match=f"tuning.grids.{name}"):
            check_methods(load_params(tmp_path / "p.yaml"))


def test_every_eics_knob_reaches_training_or_the_network(monkeypatch):
    """A `model`/`train`/`fusion` key EICS does not read would be accepted and ignored: it stops train_config."""
    from pipeline.settings import eics as eics_settings
    from pipeline.settings.params import load_params

    assert eics_settings.unused_knobs() == set()
    monkeypatch.setattr(eics_settings, "EICS_KEYS", eics_settings.EICS_KEYS | {"gamma"})
    with pytest.raises(ValueError, match="gamma"):
        eics_settings.train_config(load_params())
