"""`make deps`: for every stage of dvc.yaml, write its code listing (`code_deps/<stage>.txt`, see
pipeline/code_listing.py) and put it first among the stage's deps, so a change to the code a stage
runs re-runs that stage and a reworded docstring or comment re-runs nothing; and set its `params:` to
the keys its entry declares it reads (its READS), the only keys the stage is given.

The code is the import closure of the stage's entry module (`import` and `from ... import`, function-level
ones too, parent packages included) and of the modules the entry names in CODE_BY_NAME (imported by name).
A block `make deps` cannot read stops it with one line; `python -m pipeline.deps --check` exits 2 when
dvc.yaml or a listing differs from what it would write.
"""
from __future__ import annotations

import re

from pipeline.code_listing import LISTINGS, PACKAGES, ROOT, code_listing, listing_path
from pipeline.stage import StageError, run

DVC_YAML = ROOT / "dvc.yaml"
CODE_LINE = re.compile(r"^\s+- (?:%s)/[\w/]+\.py\s*(#.*)?$" % "|".join(PACKAGES))  # superseded by the listing


def stage_blocks(lines: list[str]):
    """(start, end) line ranges of the stage definitions, each holding one `cmd:`."""
    starts = [i for i, line in enumerate(lines) if re.match(r"^  \S[^:]*:\s*$", line)]
    return zip(starts, starts[1:] + [len(lines)])


def declared_reads(command: str) -> tuple[str, ...] | None:
    """The params keys a stage's entry module declares (its READS), None if it declares none."""
    from importlib import import_module

    return getattr(import_module(command.split()[0]), "READS", None)


def with_params(block: list[str], reads: tuple[str, ...], stage: str) -> list[str]:
    """The stage block with the items of its `params:` list replaced by `reads`."""
    start = next((i for i, line in enumerate(block) if line.strip() == "params:"), None)
    if start is None:
        raise StageError(f"dvc.yaml stage {stage}: no `params:` list to write the keys its entry reads into")
    end = start + 1
    while end < len(block) and block[end].lstrip().startswith("- "):
        end += 1
    indent = " " * (len(block[start]) - len(block[start].lstrip()) + 2)
    return block[:start + 1] + [f"{indent}- {key}" for key in reads] + block[end:]


def with_code(block: list[str], stage: str) -> list[str]:
    """The stage block whose `deps:` start with its code listing, and no project `.py` line."""
    block = [line for line in block if not CODE_LINE.match(line)
             and line.strip() != f"- {listing_name(stage)}"]
    start = next((i for i, line in enumerate(block) if line.strip() == "deps:"), None)
    if start is None:
        raise StageError(f"dvc.yaml stage {stage}: no `deps:` list to write its code listing into")
    indent = " " * (len(block[start]) - len(block[start].lstrip()) + 2)
    return block[:start + 1] + [f"{indent}- {listing_name(stage)}"] + block[start + 1:]


def listing_name(stage: str) -> str:
    return str(listing_path(stage).relative_to(ROOT))


def generated(text: str) -> tuple[str, dict[str, str]]:
    """(dvc.yaml with each stage's `params:` set to its entry's READS and its code listing first among
    its deps; {listing path: text}) for every stage run by `python -m <project module>`."""
    lines = text.splitlines()
    out, listings = list(lines), {}
    for start, end in reversed(list(stage_blocks(lines))):
        block = lines[start:end]
        stage = block[0].strip().rstrip(":")
        cmd = next((line for line in block if line.strip().startswith("cmd:")), None)
        if cmd is None:
            continue  # not a stage (a top-level plots or metrics entry)
        command = re.search(r"cmd: python -m (\S+)", cmd)
        if command is None:
            raise StageError(f"dvc.yaml stage {stage}: its cmd is not `python -m <module>`, so make deps cannot "
                             "tell what code it runs")
        entry = command.group(1)
        reads = declared_reads(entry)
        if reads is not None:
            block = with_params(block, reads, stage)
        out[start:end] = with_code(block, stage)
        listings[listing_name(stage)] = code_listing(stage, entry)
    return "\n".join(out) + "\n", listings


def main(args) -> None:
    current = DVC_YAML.read_text()
    wanted, listings = generated(current)
    present = {str(p.relative_to(ROOT)): p.read_text() for p in LISTINGS.glob("*.txt")}
    if args.check:
        if wanted != current or listings != present:
            raise StageError("dvc.yaml's params or the code listings (code_deps/) are out of date; run `make deps`")
        return
    LISTINGS.mkdir(exist_ok=True)
    for name in set(present) - set(listings):
        (ROOT / name).unlink()
    for name, text in listings.items():
        if present.get(name) != text:
            (ROOT / name).write_text(text)
    DVC_YAML.write_text(wanted)
    changed = sorted(n for n in listings if present.get(n) != listings[n]) + sorted(set(present) - set(listings))
    print(f"make deps: dvc.yaml {'unchanged' if wanted == current else 'rewritten'}; code listings "
          f"{'unchanged' if not changed else 'rewritten: ' + ', '.join(changed)}")


if __name__ == "__main__":
    run(main, arguments=[("--check", {"action": "store_true",
                                      "help": "change nothing; exit 2 if dvc.yaml differs from what it would write"})])
