"""What a stage's code is, for DVC: `code_deps/<stage>.txt` lists every project module the stage's
entry runs (its import closure, plus the modules it imports by name: the entry's CODE_BY_NAME) with a
hash of each module's code. Docstrings and comments are left out of the hash, so rewording them
changes no listing and re-runs no stage; a change to the code changes its line, and DVC re-runs the
stages that list it. `make deps` writes the listings; a stage that starts with a listing older than
its code stops with one line (`check_listing`)."""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "extract", "model", "evaluate")
LISTINGS = ROOT / "code_deps"


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


def code_hash(path: Path) -> str:
    """A hash of the module's syntax tree without its docstrings (comments are not in the tree)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value,
                                                                                                      str):
                node.body = node.body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]


def entry_closure(entry: str) -> set[Path]:
    """`entry`'s import closure and that of each module it names in CODE_BY_NAME (imported by name)."""
    from importlib import import_module

    files = project_closure(entry)
    for name in getattr(import_module(entry), "CODE_BY_NAME", ()):
        files |= project_closure(name)
    return files


def hashed_lines(files) -> list[str]:
    """"path hash" for each file, in path order: a listing's body, and what the fit cache hashes."""
    return [f"{p.relative_to(ROOT)} {code_hash(p)}" for p in sorted(files)]


def closure_digest(entries, leave_out=()) -> str:
    """One hash of the code `entries` run (their import closures, as `hashed_lines`), without the files
    `leave_out` names (paths relative to the repository): what the fit cache and the shard stamps hold."""
    files = [p for p in set().union(*(project_closure(e) for e in entries))
             if str(p.relative_to(ROOT)) not in leave_out]
    return hashlib.sha256("".join(line + "\n" for line in hashed_lines(files)).encode()).hexdigest()


def listing_path(stage: str) -> Path:
    return LISTINGS / f"{stage}.txt"


def code_listing(stage: str, entry: str) -> str:
    lines = [f"# the code of stage `{stage}` ({entry} and every project module it imports): path, hash of its code",
             "# without docstrings and comments; written by `make deps`, a dependency of the stage in dvc.yaml"]
    lines += hashed_lines(entry_closure(entry))
    return "\n".join(lines) + "\n"


def stale_listing(module: str) -> str | None:
    """The listing of a stage whose entry is `module` if it no longer matches the code, else None."""
    if not module.startswith("pipeline.stages.") or not LISTINGS.is_dir():
        return None
    for path in sorted(LISTINGS.glob("*.txt")):
        text = path.read_text()
        if f"({module} and" in text.split("\n", 1)[0] and text != code_listing(path.stem, module):
            return str(path.relative_to(ROOT))
    return None
