"""The README names only real things: every make target, module, params.yaml key, `-S` override
and linked file it mentions exists, and it stays a short user's page."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def has_param(dotted: str) -> bool:
    node = PARAMS
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def test_readme_is_short():
    assert len(README.splitlines()) <= 250


def test_every_make_target_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert named and named <= targets, named - targets


def test_every_module_exists():
    modules = set(re.findall(r"python -m ((?:pipeline|benchmarks)(?:\.[a-z_]+)+)", README))  # .<stage>: the package
    assert modules
    missing = [m for m in modules if not (ROOT / (m.replace(".", "/") + ".py")).is_file()
               and not (ROOT / m.replace(".", "/") / "__init__.py").is_file()]
    assert not missing


def test_every_param_and_override_exists():
    sections = tuple(PARAMS)
    named = {m for m in re.findall(r"`([a-z_]+(?:\.[a-z_0-9]+)+)`", README) if m.split(".")[0] in sections}
    named |= set(re.findall(r"-S ([a-z_.]+)=", README))
    named |= {m for m in re.findall(r"`([a-z_]+\.[a-z_]+)`, `([a-z_]+\.[a-z_]+)`", README) for m in m}
    assert len(named) > 15
    missing = sorted(n for n in named if not has_param(n))
    assert not missing, missing


def test_every_linked_file_exists():
    links = [link for link in re.findall(r"\]\(([^)#]+)\)", README) if not link.startswith("http")]
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, missing
