"""Reading a method stage's tuning record (results/tuning/<name>.json; the tuning itself:
`pipeline.fitting.method_runs`, its rule: `pipeline.fitting.tuning_choice`).

As a command, `python -m pipeline.tune --adopt eics` writes the point the methods stage chose for EICS
(results/tuning/eics.json) into params.yaml's `model`/`train`/`fusion` values and prints the
diff; `train` then fits it. Nothing adopts a tuned point otherwise.
"""
from __future__ import annotations

import difflib
import json
import re

from pipeline.settings import paths
from pipeline.stage import StageError, run

FUSION_KNOBS = {"fusion_dim": "dim", "fusion_ridge": "ridge", "fusion_heads": "heads"}


def read_tuning(name: str) -> dict:
    """The tuning summary results/tuning/<name>.json that the method's stage wrote."""
    tuning_file = paths.TUNING / f"{name}.json"
    if not tuning_file.is_file():
        raise StageError(f"{tuning_file} not found; run `dvc repro methods` first (it tunes {name})")
    return json.loads(tuning_file.read_text())


def params_line_edits(text: str, point: dict) -> str:
    """params.yaml's text with every knob of an EICS tuning point set in its section (comments kept)."""
    lines = text.splitlines(keepends=True)
    for knob, value in point.items():
        section, key = ("fusion", FUSION_KNOBS[knob]) if knob in FUSION_KNOBS else (None, knob)
        sections = [section] if section else ["model", "train"]
        current, done = None, False
        for i, line in enumerate(lines):
            top = re.match(r"^([A-Za-z_]\w*):", line)
            if top:
                current = top.group(1)
                continue
            found = re.match(rf"^(  {re.escape(key)}:\s*)(\S.*?)(\s+#.*)?$", line.rstrip("\n"))
            if current in sections and found:
                old = found.group(2)
                new = (
                    json.dumps(value) if not isinstance(value, (int, float)) or isinstance(value, bool) else repr(value)
                )
                comment = found.group(3) or ""
                padding = max(1, len(old) + len(comment) - len(comment.lstrip()) - len(new)) if comment else 0
                lines[i] = found.group(1) + new + (" " * padding + comment.lstrip() if comment else "") + "\n"
                done = True
                break
        if not done:
            raise StageError(f"params.yaml has no {key} in section(s) {', '.join(sections)}")
    return "".join(lines)


def adopt(name: str) -> None:
    """Write `name`'s tuned point into params.yaml and print the diff."""
    point = read_tuning(name)["chosen"]
    before = paths.PARAMS.read_text()
    after = params_line_edits(before, point)
    if after == before:
        print(f"tune: params.yaml already holds {name}'s tuned point {point}; nothing changed")
        return
    from pipeline.settings.params import load_params

    tmp = paths.PARAMS.with_name(paths.PARAMS.name + ".tmp")
    tmp.write_text(after)
    load_params(tmp)  # the edited file must still validate
    tmp.replace(paths.PARAMS)
    print("".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                       "params.yaml", "params.yaml (adopted)")), end="")
    print(f"tune: params.yaml now holds {name}'s tuned point {point}; `dvc repro` retrains with it")


def main(args) -> None:
    adopt(args.adopt)


if __name__ == "__main__":
    run(main, reads=("results/tuning/eics.json (not params: it writes params.yaml)",),
        arguments=[("--adopt", {"required": True, "choices": ("eics",), "metavar": "eics",
                                "help": "write the point the methods stage chose for EICS into params.yaml"})])
