"""Tuning of one method, the first half of its stage (`method@<name>`, `eics@<name>`): train the method once at
every point of its grid (params `tuning.grids`) on the train split, score each on the
validation split, keep the best point.

As a command, `python -m pipeline.tune --adopt eics` writes the point `eics@eics` chose
(results/tuning/eics.json) into params.yaml's `model`/`train`/`fusion` values and prints the
diff; `train` then fits it. Nothing adopts a tuned point otherwise.

Sees only the train and validation splits (the stage opens the test split only after the
choice is written). The summary (every point's validation MAP, the chosen point, the budget) goes to
results/tuning/<name>.json; the seconds each point took go to the method's timing file, so the
summary read by other stages changes only when a result does.
"""
from __future__ import annotations

import difflib
import json
import re
import time

from pipeline import paths
from pipeline.stage import StageError, run

FUSION_KNOBS = {"fusion_dim": "dim", "fusion_ridge": "ridge", "fusion_heads": "heads"}


def read_tuning(name: str) -> dict:
    """The tuning summary results/tuning/<name>.json that the method's stage wrote."""
    tuning_file = paths.TUNING / f"{name}.json"
    if not tuning_file.is_file():
        raise StageError(f"{tuning_file} not found; run `dvc repro method@{name}` first (it tunes {name})")
    return json.loads(tuning_file.read_text())


def tune(name: str, params: dict, train, val, n_classes: int) -> tuple[dict, list[float]]:
    """(the tuning summary of `name`, the seconds of each point); a method without a grid (Random)
    has budget 0 and no knobs."""
    from evaluate.metrics import bidirectional_map
    from model.methods import fit_method
    from pipeline.config import method_options
    from pipeline.method_knobs import grid_of, grid_points

    grid = grid_of(name, params)
    seed = params["report"]["seeds"][0]
    if grid is None:
        return {
            "method": name,
            "budget": 0,
            "seed": seed,
            "chosen": {},
            "chosen_val_map_average": None,
            "points": [],
        }, []
    tried, seconds_per_point = [], []
    for point in grid_points(grid):
        started = time.perf_counter()
        embedder = fit_method(name, train, val, n_classes, seed, **method_options(name, params, point))
        seconds = time.perf_counter() - started
        score = bidirectional_map(embedder.embed_audio(val.audio), embedder.embed_visual(val.visual), val.labels)
        tried.append({"point": point, "val_map_average": score["average"]})
        seconds_per_point.append(round(seconds, 3))
        print(f"tune {name} {point}: validation MAP {score['average']:.4f} ({seconds:.1f} s)", flush=True)
    best = max(tried, key=lambda t: t["val_map_average"])
    print(f"tune {name}: chose {best['point']} (validation MAP {best['val_map_average']:.4f})", flush=True)
    return {"method": name, "budget": len(tried), "seed": seed, "chosen": best["point"],
            "chosen_val_map_average": best["val_map_average"], "points": tried}, seconds_per_point


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
    from pipeline.params import load_params

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
                                "help": "write the point eics@eics chose on validation into params.yaml"})])
