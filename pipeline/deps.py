"""`make deps`: rewrite every stage's code dependencies in dvc.yaml from the import closure of
its entry module, so a code change re-runs exactly the stages whose code it touches, and its
`params:` from the keys the entry declares it reads (its READS), the only keys the stage is given.

The closure follows `import` and `from ... import` statements (function-level ones too) through
the project's packages, parent packages included. Dependency lines that are not plain project
`.py` paths (data, outputs, lines with a comment) are kept as
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


def declared_reads(command: str) -> tuple[str, ...] | None:
    """The params keys a stage's entry module declares (its READS), None if it declares none."""
    from importlib import import_module

    return getattr(import_module(command.split()[0]), "READS", None)


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
        reads = declared_reads(command.group(1))
        if reads is not None:
            block = with_params(block, reads)
            code = [i for i, line in enumerate(block) if CODE_LINE.match(line)]
        by_name = [m.group(1) for m in map(BY_NAME_LINE.match, block) if m]
        wanted = set(code_deps(command.group(1).split()[0]))
        for path in by_name:
            wanted |= set(code_deps(module_name(path)))
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
