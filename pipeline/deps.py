"""`make deps`: rewrite every stage's code dependencies in dvc.yaml from the import closure of
its entry module, so a code change re-runs exactly the stages whose code it touches, and its
`params:` from the keys the entry declares it reads (its READS; the method stages' READS_BY_GROUP,
by the registry group a `foreach` runs over), the only keys the stage is given.

The closure follows `import` and `from ... import` statements (function-level ones too) through
the project's packages, parent packages included. Dependency lines that are not plain project
`.py` paths (data, outputs, templated `${item.module}` modules, lines with a comment) are kept as
they are; `python -m pipeline.deps --check` exits 2 when dvc.yaml differs from what it would write.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from pipeline.stage import StageError, run

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "extract", "model", "evaluate")
DVC_YAML = ROOT / "dvc.yaml"
CODE_LINE = re.compile(r"^(\s+)- ((?:%s)/[\w/]+\.py)\s*$" % "|".join(PACKAGES))
BY_NAME_LINE = re.compile(r"^\s+- ((?:%s)/[\w/]+\.py)\s+#" % "|".join(PACKAGES))  # a module imported by name
TEMPLATED_LINE = re.compile(r"^\s+- ((?:%s)/[\w/${}.]+\.py)\s*$" % "|".join(PACKAGES))  # e.g. ${item.module}


def module_file(name: str) -> Path | None:
    path = ROOT / Path(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from package import module`
    return {name for name in found if name.split(".")[0] in PACKAGES}


def project_closure(entry: str) -> set[Path]:
    """The files of every project module `entry` imports, directly or not (empty __init__ files left out)."""
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # a module's packages are imported too
            file = module_file(".".join(parts[:i]))
            if file and file not in seen:
                seen.add(file)
                todo += imported_modules(file)
    return {p for p in seen if p.name != "__init__.py" or p.read_text().strip()}


def code_deps(entry: str) -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in project_closure(entry))


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def stage_blocks(lines: list[str]):
    """(start, end) line ranges of the stage definitions, each holding one `cmd:`."""
    starts = [i for i, line in enumerate(lines) if re.match(r"^  \S[^:]*:\s*$", line)]
    return zip(starts, starts[1:] + [len(lines)])


def foreach_group(block: list[str]) -> str | None:
    """The registry group a stage block's `foreach: ${GROUP}` runs over, None if it has none."""
    return next((m.group(1) for m in (re.search(r"foreach: \$\{(\w+)\}", line) for line in block) if m), None)


def templated_modules(block: list[str]) -> list[str]:
    """The files a foreach stage's templated dependency lines name, over every item of its
    `foreach: ${GROUP}` (a group of model/registry.py, which dvc.yaml reads through `vars`)."""
    group = foreach_group(block)
    templates = [m.group(1) for m in map(TEMPLATED_LINE.match, block) if m and "${" in m.group(1)]
    if group is None or not templates:
        return []
    from model import registry

    items = getattr(registry, group)
    paths = {re.sub(r"\$\{item\.(\w+)\}", lambda m, item=item: str(item[m.group(1)]), t).replace("${key}", key)
             for t in templates for key, item in items.items()}
    return sorted(p for p in paths if (ROOT / p).is_file())


def declared_reads(command: str, block: list[str]) -> tuple[str, ...] | None:
    """The params keys a stage's entry declares for this stage block, None if it declares none."""
    from importlib import import_module

    module, *arguments = command.split()
    entry = import_module(module)
    group = foreach_group(block)
    if group:
        return entry.READS_BY_GROUP[group]
    if arguments and hasattr(entry, "reads_for"):
        return entry.reads_for(arguments)
    return getattr(entry, "READS", None)


def with_params(block: list[str], reads: tuple[str, ...]) -> list[str]:
    """The stage block with the items of its `params:` list replaced by `reads`."""
    start = next(i for i, line in enumerate(block) if line.strip() == "params:")
    end = start + 1
    while end < len(block) and block[end].lstrip().startswith("- "):
        end += 1
    indent = " " * (len(block[start]) - len(block[start].lstrip()) + 2)
    return block[:start + 1] + [f"{indent}- {key}" for key in reads] + block[end:]


def generated(text: str) -> str:
    """dvc.yaml with each stage's plain `.py` deps replaced by the import closure of its entry
    and of the modules its commented `.py` lines name (modules the stage imports by name)."""
    lines = text.splitlines()
    out = list(lines)
    for start, end in reversed(list(stage_blocks(lines))):
        block = lines[start:end]
        command = next((re.search(r"cmd: python -m (.+?)\s*$", line) for line in block if "cmd:" in line), None)
        code = [i for i, line in enumerate(block) if CODE_LINE.match(line)]
        if command is None or not code:
            continue
        reads = declared_reads(command.group(1).replace("${item}", "").strip(), block)
        if reads is not None:
            block = with_params(block, reads)
            code = [i for i, line in enumerate(block) if CODE_LINE.match(line)]
        by_name, per_item = [m.group(1) for m in map(BY_NAME_LINE.match, block) if m], templated_modules(block)
        wanted = set(code_deps(command.group(1).split()[0]))
        for path in by_name + per_item:
            wanted |= set(code_deps(module_name(path)))
        wanted -= set(per_item)  # each item's own modules come from its templated lines, not every item's
        indent = CODE_LINE.match(block[code[0]]).group(1)
        kept = [line for i, line in enumerate(block) if i not in code]
        new = kept[:code[0]] + [f"{indent}- {path}" for path in sorted(wanted - set(by_name))] + kept[code[0]:]
        out[start:end] = new
    return "\n".join(out) + "\n"


def main(args) -> None:
    current = DVC_YAML.read_text()
    wanted = generated(current)
    if args.check:
        if wanted != current:
            raise StageError("dvc.yaml's code dependencies or params are out of date; run `make deps`")
        return
    DVC_YAML.write_text(wanted)
    print("dvc.yaml: code dependencies and params " + ("unchanged" if wanted == current else "rewritten"))


if __name__ == "__main__":
    run(main, arguments=[("--check", {"action": "store_true",
                                      "help": "change nothing; exit 2 if dvc.yaml differs from what it would write"})])
