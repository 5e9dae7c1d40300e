"""The project's modules form no import circle, counting imports inside functions too (a lazy
import still ties two modules together), and the stage plumbing imports no model code."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "extract", "model", "evaluate", "benchmarks")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """Project modules `name` imports anywhere in its file; `from package import module` counts the
    module, and importing a module counts its parent packages (Python runs their __init__)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    with_parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 2)}
    return {m for m in with_parents if m in MODULES and m != name}


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph = {name: imports_of(name) for name in MODULES}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_circle(monkeypatch):
    fake = {"a": "import b\n", "b": "def f():\n    from a import x\n", "c": "import a\n"}
    monkeypatch.setattr("tests.test_imports.MODULES", {k: ROOT / k for k in fake})
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: fake[self.name])
    assert cycles() == [["a", "b"]]


def test_no_import_circle():
    assert cycles() == []


def test_stage_plumbing_imports_no_model_or_extraction_code():
    for name in ("pipeline.stage", "pipeline.settings.params", "pipeline.settings.paths"):
        heavy = sorted(m for m in imports_of(name) if m.split(".")[0] in ("model", "extract", "evaluate"))
        assert not heavy, f"{name} imports {heavy}"


def test_libraries_import_downwards_only():
    """extract/ and evaluate/ import neither model/ nor pipeline/; model/ does not import pipeline/."""
    above = {"extract": ("model", "pipeline"), "evaluate": ("model", "pipeline"), "model": ("pipeline",)}
    for name in MODULES:
        layer = name.split(".")[0]
        wrong = sorted(m for m in imports_of(name) if m.split(".")[0] in above.get(layer, ()))
        assert not wrong, f"{name} imports {wrong}"


def imported_transitively(name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        for m in imports_of(todo.pop()) - seen:
            seen.add(m)
            todo.append(m)
    return seen


def test_importing_the_model_code_changes_no_global_precision():
    """Importing the training loop, losses and inference leaves Keras's float type alone; a fit's precision
    holds inside `fitting_precision` only (the pretrained backbones keep float32 in any process)."""
    import subprocess
    import sys

    code = ("import keras, model.training, model.losses, model.inference, model.baselines.neural\n"
            "before = keras.config.floatx()\n"
            "from model.precision import fitting_precision, dtype\n"
            "with fitting_precision('float64'):\n    inside = dtype()\n"
            "print(before, inside, keras.config.floatx())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.stdout.split() == ["float32", "float64", "float32"], done.stderr[-2000:]
