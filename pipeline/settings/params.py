"""Load params.yaml, checked once against the schema (pipeline/settings/schema.py): an unknown key, a wrong
type or a value out of bounds stops a stage with one clear line naming the key."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipeline.settings.paths import PARAMS

AUTO = "auto"  # data.audio_dim / data.visual_dim: take the size the features have


class ParamsError(ValueError):
    """A params.yaml value that cannot be used."""


def feature_dims(params: dict) -> tuple[int | None, int | None]:
    """The (audio, visual) feature sizes params.yaml asserts; None where it says `auto` (read from the file)."""
    return tuple(None if params["data"][key] == AUTO else params["data"][key] for key in ("audio_dim", "visual_dim"))


def load_params(path: str | Path = PARAMS, reads: tuple[str, ...] | None = None) -> dict:
    """params.yaml, validated against pipeline/settings/schema.py once, as plain sections (a key the file
    leaves out takes the schema's default). Any problem is one ParamsError line naming the key.
    With `reads` (a stage's READS), only those keys are returned (see `only`)."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path} not found (run from the repository root)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ParamsError(f"{path} is not valid YAML: {str(err).splitlines()[0]}") from None
    params = validate(raw, str(path))
    return params if reads is None else only(params, reads)


def only(params: dict, reads: tuple[str, ...]) -> dict:
    """The keys `reads` names (dotted keys or whole sections), nested as in params.yaml, and nothing
    else: a stage that reads a key it did not declare fails on it (KeyError), so what a stage
    declares -- its --help list and its dvc.yaml `params:` -- is what it uses."""
    out = {}
    for dotted in reads:
        *parents, last = dotted.split(".")
        source, target = params, out
        for part in parents:
            source, target = source[part], target.setdefault(part, {})
        if last not in source:
            raise ValueError(f"a stage declares {dotted!r}, which params.yaml does not define")
        target[last] = source[last]
    return out


def validate(raw, where: str = "params.yaml") -> dict:
    """The sections of `raw` checked against the schema, a key left out filled with its default."""
    from pydantic import ValidationError

    from pipeline.settings.schema import Params

    if not isinstance(raw, dict):
        raise ParamsError(f"{where} must be a mapping of sections")
    try:
        return Params.model_validate(raw).model_dump()
    except ValidationError as err:
        dotted, problem = first_problem(err)
        raise ParamsError(f"{where}: {problem}{read_by(dotted)}") from None


def read_by(dotted: str) -> str:
    """" (read by stage train, methods)": the dvc.yaml stages whose `params:` hold the key `dotted`, its
    section or a key inside it. Every stage checks the whole file when it starts, so the first stage of a
    `dvc repro` reports any bad key; this names the stages the key is for."""
    if not dotted:
        return ""
    try:
        stages = yaml.safe_load((Path(__file__).resolve().parents[2] / "dvc.yaml").read_text())["stages"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return ""
    section = dotted.split("[")[0]
    names = []
    for name, stage in stages.items():
        entries = (stage.get("do", stage) or {}).get("params", [])
        if any(section == k or section.startswith(k + ".") or k.startswith(section + ".") for k in _keys(entries)):
            names.append(name)
    return f" (read by stage {', '.join(names)})" if names else " (read by no stage)"


def _keys(entries) -> list[str]:
    """params: entries of a dvc.yaml stage: keys of params.yaml, or {file: [keys]} mappings."""
    keys = []
    for entry in entries:
        if isinstance(entry, dict):
            keys += [k for values in entry.values() for k in (values or [])]
        else:
            keys.append(str(entry))
    return keys


UNION_TAGS = re.compile(r"^(int|float|str|bool|list\[.*|dict\[.*|literal\[.*|function-.*|constrained-.*)$")
WHAT = {"float_type": "must be a number", "float_parsing": "must be a number", "int_type": "must be an integer",
        "int_parsing": "must be an integer", "int_from_float": "must be an integer",
        "bool_type": "must be true or false", "string_type": "must be a string", "list_type": "must be a list",
        "dict_type": "must be a mapping", "model_type": "must be a mapping of keys"}


def first_problem(err) -> tuple[str, str]:
    """(the key, dotted with list items as [i]; one line naming it and what is allowed) from pydantic's errors."""
    from pipeline.settings.schema import Params, section_keys

    problem = err.errors()[0]
    parts = [p for p in problem["loc"] if not (isinstance(p, str) and UNION_TAGS.match(p))]
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    kind, ctx, value = problem["type"], problem.get("ctx", {}), problem.get("input")
    if kind == "extra_forbidden":
        parent = ".".join(str(p) for p in parts[:-1])
        allowed = section_keys(parent) if parent in Params.model_fields else None
        where = f"; allowed keys of {parent}: {', '.join(allowed)}" if allowed else ""
        return dotted, f"{dotted}: unknown key{where}"
    if kind == "literal_error":
        return dotted, f"{dotted}: unknown value {value!r}; choose from {ctx.get('expected')}"
    bounds = {"greater_than_equal": ">= {ge:g}", "greater_than": "> {gt:g}", "less_than_equal": "<= {le:g}",
              "less_than": "< {lt:g}"}
    if kind in bounds:
        return dotted, f"{dotted} must be {bounds[kind].format(**ctx)}, got {value!r}"
    if kind == "too_short":
        return dotted, f"{dotted} must have at least {ctx.get('min_length')} item(s), got {value!r}"
    if kind == "too_long":
        return dotted, f"{dotted} must have at most {ctx.get('max_length')} items, got {value!r}"
    if kind in WHAT:
        return dotted, f"{dotted} {WHAT[kind]}, got {value!r}"
    message = problem["msg"].removeprefix("Value error, ")
    return dotted, f"{dotted + ': ' if dotted else ''}{message}"
