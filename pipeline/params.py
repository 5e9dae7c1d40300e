"""Load params.yaml and check every knob, so a bad value stops a stage with one clear line."""
from __future__ import annotations

import numbers
from pathlib import Path

import yaml

from model.terms import CONSTRAINT_PAIRS, FUSION_HEADS, INPUT_SCALINGS, LOSS_FORMS, LOSS_TERMS, OPTIMIZERS
from pipeline.paths import PARAMS

DATA_SOURCES = ("videos", "synthetic", "community")


AUTO = "auto"  # data.audio_dim / data.visual_dim: take the size the features have


class ParamsError(ValueError):
    """A params.yaml value that cannot be used."""


def feature_dims(params: dict) -> tuple[int | None, int | None]:
    """The (audio, visual) feature sizes params.yaml asserts; None where it says `auto` (read from the file)."""
    return tuple(None if params["data"][key] == AUTO else params["data"][key] for key in ("audio_dim", "visual_dim"))


def load_params(path: str | Path = PARAMS) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path} not found (run from the repository root)")
    try:
        params = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ParamsError(f"{path} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(params, dict):
        raise ParamsError(f"{path} must be a mapping of sections")
    validate(params)
    return params


def _get(params, dotted):
    node = params
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise ParamsError(f"params.yaml: {dotted} is missing")
        node = node[key]
    return node


def _number(params, dotted, low=None, high=None, integer=False, low_open=False, high_open=False):
    value = _get(params, dotted)
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ParamsError(f"params.yaml: {dotted} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ParamsError(f"params.yaml: {dotted} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ParamsError(f"params.yaml: {dotted} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def _choices(params, dotted, allowed, many=False):
    value = _get(params, dotted)
    values = value if many else [value]
    if many and (not isinstance(value, list) or not value):
        raise ParamsError(f"params.yaml: {dotted} must be a non-empty list drawn from {list(allowed)}")
    for v in values:
        if v not in allowed:
            raise ParamsError(f"params.yaml: {dotted} has unknown value {v!r}; choose from {list(allowed)}")
    return value


def _widths(params, dotted):
    value = _get(params, dotted)
    if not isinstance(value, list) or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in value):
        raise ParamsError(f"params.yaml: {dotted} must be a list of positive integers, got {value!r}")
    return value


def _tuning_grids(params):
    from model.method_names import METHODS
    from pipeline.tuning_grid import grid_points, known_knobs

    grids = _get(params, "tuning.grids")
    if not isinstance(grids, dict) or "eics" not in grids:
        raise ParamsError("params.yaml: tuning.grids must map method names to grids and include eics")
    budgets = {}
    for name, grid in grids.items():
        if name not in METHODS:
            raise ParamsError(f"params.yaml: tuning.grids has unknown method {name!r}")
        if not isinstance(grid, dict) or not grid or not all(isinstance(v, list) and v for v in grid.values()):
            raise ParamsError(f"params.yaml: tuning.grids.{name} must map knobs to non-empty lists of values")
        unknown = sorted(set(grid) - known_knobs(name, params))
        if unknown:
            raise ParamsError(f"params.yaml: tuning.grids.{name} has unknown knob(s) {unknown}")
        budgets[name] = len(grid_points(grid))
    if len(set(budgets.values())) > 1:
        raise ParamsError(
            f"params.yaml: every tuning grid needs the same number of points (same budget), got {budgets}"
        )


def validate(params: dict) -> None:
    source = _choices(params, "data.source", DATA_SOURCES)
    _number(params, "data.val_fraction", 0, 1, low_open=True, high_open=True)
    _number(params, "data.seed", 0, integer=True)
    for key in ("data.audio_dim", "data.visual_dim"):
        if _get(params, key) != AUTO:
            _number(params, key, 1, integer=True)
    if source == "community":
        path = _get(params, "data.community_file")
        if not isinstance(path, str) or not path:
            raise ParamsError("params.yaml: data.community_file must name the HDF5 file to import")
    if source == "videos":
        videos = _get(params, "data.videos")
        if not isinstance(videos, str) or not videos:
            raise ParamsError("params.yaml: data.videos must name a folder or a CSV of videos")
        if _get(params, "data.visual_dim") not in (AUTO, _get(params, "extract.pca_dim")):
            raise ParamsError(
                f"params.yaml: data.visual_dim is {_get(params, 'data.visual_dim')} but extract.pca_dim makes "
                f"{_get(params, 'extract.pca_dim')}-D visual features; set data.visual_dim to auto or to that size"
            )
    fractions = _get(params, "data.split_fractions")
    if (
        not isinstance(fractions, list)
        or len(fractions) != 3
        or not all(isinstance(f, (int, float)) and f > 0 for f in fractions)
        or abs(sum(fractions) - 1) > 1e-6
    ):
        raise ParamsError(
            f"params.yaml: data.split_fractions must be three positive shares summing to 1, got {fractions!r}"
        )
    _number(params, "sample.classes", 2, 6, integer=True)
    _number(params, "sample.clips_per_class", 3, integer=True)
    _number(params, "sample.seed", 0, integer=True)
    _choices(params, "extract.backbone", ("auto", "pretrained", "standin"))
    _choices(params, "extract.audio_frontend", ("vggish", "paper"))
    for key in ("vggish", "inception", "skips"):
        if not isinstance(_get(params, f"extract.{key}"), str) or not _get(params, f"extract.{key}"):
            raise ParamsError(f"params.yaml: extract.{key} must be a non-empty string")
    _number(params, "extract.shard_size", 1, integer=True)
    _number(params, "extract.batch_size", 1, integer=True)
    _number(params, "extract.pca_dim", 1, 2048, integer=True)
    _choices(params, "extract.engine", ("local", "ray"))
    if not isinstance(_get(params, "extract.ray.address"), str):
        raise ParamsError("params.yaml: extract.ray.address must be a string (\"\" = a local Ray runtime)")
    _number(params, "extract.ray.workers", 1, integer=True)
    _number(params, "extract.ray.gpus_per_worker", 0)
    _number(params, "extract.ray.cpus_per_decoder", 0, low_open=True)
    _number(params, "extract.ray.cpus_per_worker", 0, low_open=True)
    if not isinstance(_get(params, "extract.pca_whiten"), bool):
        raise ParamsError("params.yaml: extract.pca_whiten must be true or false")
    for size in ("n_train", "n_val", "n_test"):
        _number(params, f"synthetic.{size}", 2, integer=True)
    _number(params, "synthetic.n_classes", 2, integer=True)
    for knob in ("class_separation", "clip_spread", "nuisance", "noise"):
        _number(params, f"synthetic.{knob}", 0)
    _number(params, "synthetic.latent_dim", 1, integer=True)
    _number(params, "synthetic.audio_dim", 1, integer=True)
    _number(params, "synthetic.visual_dim", 1, integer=True)

    _widths(params, "model.audio_hidden")
    _widths(params, "model.visual_hidden")
    _number(params, "model.explicit_dim", 1, integer=True)
    _choices(params, "model.activation", ("relu", "sigmoid", "tanh", "gelu", "elu"))
    _number(params, "model.dropout", 0, 1, high_open=True)
    _choices(params, "model.input_scaling", INPUT_SCALINGS)
    _number(params, "model.alpha", 0)
    _number(params, "model.beta", 0)
    _choices(params, "model.loss_form", LOSS_FORMS)
    _choices(params, "model.loss_terms", LOSS_TERMS, many=True)
    pairs = _get(params, "model.constraint_pairs")
    if not isinstance(pairs, list):
        raise ParamsError("params.yaml: model.constraint_pairs must be a list")
    for pair in pairs:
        if pair not in CONSTRAINT_PAIRS:
            raise ParamsError(
                f"params.yaml: model.constraint_pairs has unknown value {pair!r}; choose from {list(CONSTRAINT_PAIRS)}"
            )
    _number(params, "model.corr_ridge", 0, low_open=True)
    if not isinstance(_get(params, "model.shared_trunk"), bool):
        raise ParamsError("params.yaml: model.shared_trunk must be true or false")

    _number(params, "train.epochs", 1, integer=True)
    _number(params, "train.patience", 1, integer=True)
    _number(params, "train.min_steps", 0, integer=True)
    _choices(params, "train.optimizer", OPTIMIZERS)
    _number(params, "train.weight_decay", 0)
    _number(params, "train.batch_size", 2, integer=True)
    _number(params, "train.learning_rate", 0, low_open=True)
    _number(params, "train.momentum", 0, 1, high_open=True)
    _number(params, "train.validate_every", 1, integer=True)
    _number(params, "train.seed", 0, integer=True)

    _number(params, "fusion.dim", 1, integer=True)
    _number(params, "fusion.ridge", 0)
    _choices(params, "fusion.heads", FUSION_HEADS, many=True)

    _widths(params, "baselines.hidden")
    _number(params, "baselines.epochs", 1, integer=True)
    _number(params, "baselines.batch_size", 2, integer=True)
    _number(params, "baselines.learning_rate", 0, low_open=True)
    _number(params, "baselines.margin", 0)
    _number(params, "baselines.patience", 1, integer=True)
    _number(params, "baselines.min_steps", 0, integer=True)
    _choices(params, "baselines.input_scaling", INPUT_SCALINGS)
    _number(params, "baselines.weight_decay", 0)
    knobs = _get(params, "baselines.knobs")
    if not isinstance(knobs, dict) or not all(isinstance(v, dict) for v in knobs.values()):
        raise ParamsError("params.yaml: baselines.knobs must map method names to {knob: value}")
    _tuning_grids(params)

    seeds = _get(params, "report.seeds")
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in seeds)
    ):
        raise ParamsError(f"params.yaml: report.seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    _choices(params, "report.paper_dataset", ("vegas", "ave"))

    _number(params, "evaluate.page_queries_per_class", 0, integer=True)
    _number(params, "evaluate.page_seed", 0, integer=True)
    if _get(params, "index.thumbnail_at") != "middle":
        _number(params, "index.thumbnail_at", 0)
    _number(params, "index.thumbnail_width", 16, 1024, integer=True)
    _choices(params, "search.by", ("audio", "visual"))
    _number(params, "search.top", 1, integer=True)
    _choices(params, "search.gallery", ("all", "test"))
    _number(params, "search.excerpt_seconds", 0.5, 30)
    ks = _get(params, "evaluate.recall_ks")
    if (
        not isinstance(ks, list)
        or not ks
        or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in ks)
    ):
        raise ParamsError(f"params.yaml: evaluate.recall_ks must be a list of positive integers, got {ks!r}")
    scopes = _get(params, "evaluate.scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(k, int) and k > 0 for k in scopes):
        raise ParamsError(f"params.yaml: evaluate.scopes must be a list of positive integers, got {scopes!r}")
