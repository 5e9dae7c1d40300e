"""Every key of params.yaml reaches code that uses it: a key that nothing reads would be accepted and
ignored. Derived from the schema, so a key added to pipeline/settings/schema.py (and params.yaml) alone fails here.

Two checks. Static, for every key: some stage or user command declares it (its READS, the dvc.yaml
`params:`), and the code that entry runs (its import closure) reads a field of that name (a subscript,
`.get`, an attribute, an argument or a dataclass field). Dynamic, for EICS's `model`, `train` and `fusion`
keys (where one name could hide in a baseline's code): `tests/test_params.py` checks each reaches
TrainConfig or the network, and `train_config` refuses one that does not."""
import ast

import yaml
from pydantic import BaseModel

from pipeline.code_listing import ROOT, project_closure
from pipeline.deps import declared_reads
from pipeline.settings.schema import Params

USER_COMMANDS = ("pipeline.search", "pipeline.alpha_beta_grid", "pipeline.tune")  # entries outside dvc.yaml


def schema_keys(model=Params, prefix=""):
    """Every dotted key, nested sections' keys included (a nested section is itself no knob)."""
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from schema_keys(field.annotation, f"{prefix}{name}.")
        else:
            yield prefix + name


def entries() -> dict[str, tuple[str, ...]]:
    """{entry module: the params keys it declares} for every dvc.yaml stage and user command."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    modules = {stage.get("do", stage)["cmd"].split()[2] for stage in stages.values()} | set(USER_COMMANDS)
    return {m: tuple(r.split(" ")[0] for r in (declared_reads(m) or ())) for m in modules}


def names_read(module: str) -> set[str]:
    names = set()
    for path in project_closure(module):
        if path.name == "schema.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, (ast.arg, ast.keyword)) and node.arg:
                names.add(node.arg)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    return names


def unread_keys(keys) -> dict[str, str]:
    declared = entries()
    reading = {m: names_read(m) for m in declared}
    problems = {}
    for key in keys:
        readers = [m for m, reads in declared.items() if any(key == r or key.startswith(r + ".") for r in reads)]
        if not readers:
            problems[key] = "no stage or command declares it"
        elif not any(key.split(".")[-1] in reading[m] for m in readers):
            problems[key] = f"declared by {', '.join(sorted(readers))}, read by none of their code"
    return problems


def test_every_key_of_the_schema_is_declared_and_read():
    assert unread_keys(schema_keys()) == {}


def test_a_key_added_to_the_schema_alone_is_caught():
    added = ["model.gamma_weight", "evaluate.page_size"]  # names no code of their stages reads
    assert set(unread_keys(added)) == set(added)
