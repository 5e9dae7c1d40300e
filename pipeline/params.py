"""Load params.yaml and check the knobs of the data, extraction, evaluation and report stages, so a
bad value stops a stage with one clear line. The model, training, baseline and tuning knobs are
checked where they are turned into configurations (`pipeline.config`), so the early stages
import nothing from model/."""
from __future__ import annotations

import numbers
from pathlib import Path

import yaml

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


def value_at(params, dotted):
    node = params
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise ParamsError(f"params.yaml: {dotted} is missing")
        node = node[key]
    return node


def check_number(params, dotted, low=None, high=None, integer=False, low_open=False, high_open=False):
    value = value_at(params, dotted)
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ParamsError(f"params.yaml: {dotted} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ParamsError(f"params.yaml: {dotted} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ParamsError(f"params.yaml: {dotted} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_choices(params, dotted, allowed, many=False):
    value = value_at(params, dotted)
    values = value if many else [value]
    if many and (not isinstance(value, list) or not value):
        raise ParamsError(f"params.yaml: {dotted} must be a non-empty list drawn from {list(allowed)}")
    for v in values:
        if v not in allowed:
            raise ParamsError(f"params.yaml: {dotted} has unknown value {v!r}; choose from {list(allowed)}")
    return value


def check_widths(params, dotted):
    value = value_at(params, dotted)
    if not isinstance(value, list) or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in value):
        raise ParamsError(f"params.yaml: {dotted} must be a list of positive integers, got {value!r}")
    return value


def validate(params: dict) -> None:
    source = check_choices(params, "data.source", DATA_SOURCES)
    check_number(params, "data.val_fraction", 0, 1, low_open=True, high_open=True)
    check_number(params, "data.seed", 0, integer=True)
    check_number(params, "data.split_seed", 0, integer=True)
    for key in ("data.audio_dim", "data.visual_dim"):
        if value_at(params, key) != AUTO:
            check_number(params, key, 1, integer=True)
    if source == "community":
        path = value_at(params, "data.community_file")
        if not isinstance(path, str) or not path:
            raise ParamsError("params.yaml: data.community_file must name the HDF5 file to import")
    if source == "videos":
        videos = value_at(params, "data.videos")
        if not isinstance(videos, str) or not videos:
            raise ParamsError("params.yaml: data.videos must name a folder or a CSV of videos")
        if value_at(params, "data.visual_dim") not in (AUTO, value_at(params, "extract.pca_dim")):
            raise ParamsError(
                f"params.yaml: data.visual_dim is {value_at(params, 'data.visual_dim')} but extract.pca_dim makes "
                f"{value_at(params, 'extract.pca_dim')}-D visual features; set data.visual_dim to auto or to that size"
            )
    fractions = value_at(params, "data.split_fractions")
    if (
        not isinstance(fractions, list)
        or len(fractions) != 3
        or not all(isinstance(f, (int, float)) and f > 0 for f in fractions)
        or abs(sum(fractions) - 1) > 1e-6
    ):
        raise ParamsError(
            f"params.yaml: data.split_fractions must be three positive shares summing to 1, got {fractions!r}"
        )
    check_number(params, "sample.classes", 2, 6, integer=True)
    check_number(params, "sample.clips_per_class", 3, integer=True)
    check_number(params, "sample.seed", 0, integer=True)
    check_choices(params, "extract.backbone", ("auto", "pretrained", "standin"))
    check_choices(params, "extract.audio_frontend", ("vggish", "paper"))
    for key in ("vggish", "inception", "skips"):
        if not isinstance(value_at(params, f"extract.{key}"), str) or not value_at(params, f"extract.{key}"):
            raise ParamsError(f"params.yaml: extract.{key} must be a non-empty string")
    check_number(params, "extract.shard_size", 1, integer=True)
    check_number(params, "extract.batch_size", 1, integer=True)
    check_number(params, "extract.pca_dim", 1, integer=True)  # at most the backbone's size: checked by `pca`
    check_choices(params, "extract.engine", ("local", "ray"))
    if not isinstance(value_at(params, "extract.ray.address"), str):
        raise ParamsError("params.yaml: extract.ray.address must be a string (\"\" = a local Ray runtime)")
    check_number(params, "extract.ray.workers", 1, integer=True)
    check_number(params, "extract.ray.gpus_per_worker", 0)
    check_number(params, "extract.ray.cpus_per_decoder", 0, low_open=True)
    check_number(params, "extract.ray.cpus_per_worker", 0, low_open=True)
    if not isinstance(value_at(params, "extract.pca_whiten"), bool):
        raise ParamsError("params.yaml: extract.pca_whiten must be true or false")
    for size in ("n_train", "n_val", "n_test"):
        check_number(params, f"synthetic.{size}", 2, integer=True)
    check_number(params, "synthetic.n_classes", 2, integer=True)
    for knob in ("class_separation", "clip_spread", "nuisance", "noise"):
        check_number(params, f"synthetic.{knob}", 0)
    check_number(params, "synthetic.latent_dim", 1, integer=True)
    check_number(params, "synthetic.audio_dim", 1, integer=True)
    check_number(params, "synthetic.visual_dim", 1, integer=True)

    seeds = value_at(params, "report.seeds")
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in seeds)
    ):
        raise ParamsError(f"params.yaml: report.seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    check_choices(params, "report.paper_dataset", ("vegas", "ave"))

    check_number(params, "evaluate.page_queries_per_class", 0, integer=True)
    check_number(params, "evaluate.page_seed", 0, integer=True)
    if value_at(params, "index.thumbnail_at") != "middle":
        check_number(params, "index.thumbnail_at", 0)
    check_number(params, "index.thumbnail_width", 16, 1024, integer=True)
    check_choices(params, "search.by", ("audio", "visual"))
    check_number(params, "search.top", 1, integer=True)
    check_choices(params, "search.gallery", ("all", "test"))
    check_number(params, "search.excerpt_seconds", 0.5, 30)
    ks = value_at(params, "evaluate.recall_ks")
    if (
        not isinstance(ks, list)
        or not ks
        or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in ks)
    ):
        raise ParamsError(f"params.yaml: evaluate.recall_ks must be a list of positive integers, got {ks!r}")
    scopes = value_at(params, "evaluate.scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(k, int) and k > 0 for k in scopes):
        raise ParamsError(f"params.yaml: evaluate.scopes must be a list of positive integers, got {scopes!r}")
