"""Load params.yaml, checked once against the schema (pipeline/schema.py): an unknown key, a wrong
type or a value out of bounds stops a stage with one clear line naming the key."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipeline.paths import PARAMS

AUTO = "auto"  # data.audio_dim / data.visual_dim: take the size the features have


class ParamsError(ValueError):
    """A params.yaml value that cannot be used."""


def feature_dims(params: dict) -> tuple[int | None, int | None]:
    """The (audio, visual) feature sizes params.yaml asserts; None where it says `auto` (read from the file)."""
    return tuple(None if params["data"][key] == AUTO else params["data"][key] for key in ("audio_dim", "visual_dim"))


def load_params(path: str | Path = PARAMS, reads: tuple[str, ...] | None = None) -> dict:
    """params.yaml, validated against pipeline/schema.py once, as plain sections (a key the file
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

    from pipeline.schema import Params

    if not isinstance(raw, dict):
        raise ParamsError(f"{where} must be a mapping of sections")
    try:
        return Params.model_validate(raw).model_dump()
    except ValidationError as err:
        raise ParamsError(f"{where}: {first_problem(err)}") from None


UNION_TAGS = re.compile(r"^(int|float|str|bool|list\[.*|dict\[.*|literal\[.*|function-.*|constrained-.*)$")
WHAT = {"float_type": "must be a number", "float_parsing": "must be a number", "int_type": "must be an integer",
        "int_parsing": "must be an integer", "int_from_float": "must be an integer",
        "bool_type": "must be true or false", "string_type": "must be a string", "list_type": "must be a list",
        "dict_type": "must be a mapping", "model_type": "must be a mapping of keys"}


def first_problem(err) -> str:
    """One line from pydantic's errors: the key (dotted, list items as [i]) and what is allowed."""
    from pipeline.schema import Params, section_keys

    problem = err.errors()[0]
    parts = [p for p in problem["loc"] if not (isinstance(p, str) and UNION_TAGS.match(p))]
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    kind, ctx, value = problem["type"], problem.get("ctx", {}), problem.get("input")
    if kind == "extra_forbidden":
        parent = ".".join(str(p) for p in parts[:-1])
        allowed = section_keys(parent) if parent in Params.model_fields else None
        where = f"; allowed keys of {parent}: {', '.join(allowed)}" if allowed else ""
        return f"{dotted}: unknown key{where}"
    if kind == "literal_error":
        return f"{dotted}: unknown value {value!r}; choose from {ctx.get('expected')}"
    bounds = {"greater_than_equal": ">= {ge:g}", "greater_than": "> {gt:g}", "less_than_equal": "<= {le:g}",
              "less_than": "< {lt:g}"}
    if kind in bounds:
        return f"{dotted} must be {bounds[kind].format(**ctx)}, got {value!r}"
    if kind == "too_short":
        return f"{dotted} must have at least {ctx.get('min_length')} item(s), got {value!r}"
    if kind == "too_long":
        return f"{dotted} must have at most {ctx.get('max_length')} items, got {value!r}"
    if kind in WHAT:
        return f"{dotted} {WHAT[kind]}, got {value!r}"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{dotted + ': ' if dotted else ''}{message}"
