"""The method stages (`random`, `method@<name>`, `eics@<name>`, `ablation@<name>`; one per
method of model/registry.py): tune a compared method on validation, then fit it for every seed
in report.seeds at the chosen point, score it on the test split with the same metric as EICS,
and record wall-clock fitting seconds. Several names run one after the other in one process.

Phase 1 opens only the train and validation splits: a method with a grid (params
`tuning.grids`) is tuned there (`pipeline.tune`) and the choice is written to
results/tuning/<name>.json; an EICS ablation is tuned the same way over EICS's grid (the
same knobs and budget); Random has no knobs. Phase 2 opens the
test split. Wall-clock seconds go to results/timings/<name>.json only. One process per stage:
the TensorFlow import is paid once.
"""
from __future__ import annotations

from model.registry import ABLATIONS, BASELINES, EICS_FAMILY, RANDOM
from pipeline import paths
from pipeline.method_runs import chosen_point, run_seeds, write_timing
from pipeline.params import feature_dims, load_params, only
from pipeline.schema import section_keys
from pipeline.stage import StageError, run

# the params.yaml keys each group's stage reads (${key}: the method's name): all it is given, and
# its `params:` in dvc.yaml (`make deps`); tuning.grids and baselines.knobs are checked whole first
SCORING = ("data.audio_dim", "data.visual_dim", "report.seeds", "evaluate.scopes", "evaluate.recall_ks")
EICS_READS = ("model", "train", "fusion")
READS_BY_GROUP = {
    "RANDOM": SCORING + ("fusion.dim",),
    "BASELINES": SCORING + ("tuning.grids.${key}", "fusion.dim", "baselines.knobs.${key}")
    + tuple(f"baselines.{k}" for k in section_keys("baselines") if k != "knobs"),
    "EICS_FAMILY": SCORING + ("tuning.grids.${key}",) + EICS_READS,
    "ABLATIONS": SCORING + ("tuning.grids.eics",) + EICS_READS,  # tuned over EICS's grid, with its budget
}
GROUPS = {"RANDOM": RANDOM, "BASELINES": BASELINES, "EICS_FAMILY": EICS_FAMILY, "ABLATIONS": ABLATIONS}


def reads_for(names) -> tuple[str, ...]:
    """The keys the stage reads for these methods."""
    keys = {}
    for name in names:
        group = next(g for g, members in GROUPS.items() if name in members)
        keys.update(dict.fromkeys(k.replace("${key}", name) for k in READS_BY_GROUP[group]))
    return tuple(keys)


def main(args) -> None:
    from extract.feature_store import read_features
    from model.training import TrainingDiverged
    from pipeline.config import check_methods

    names = args.names
    everything = load_params()
    check_methods(everything)
    params = only(everything, reads_for(names))
    dims = feature_dims(params)
    seen = read_features(paths.FEATURES, *dims, splits=("train", "val"))
    try:
        chosen = [(name, *chosen_point(name, params, seen.splits["train"], seen.splits["val"], seen.n_classes))
                  for name in names]
        test = read_features(paths.FEATURES, *dims, splits=("test",)).splits["test"]
        for name, tuned, tuning, tuning_seconds in chosen:
            fit_seconds = run_seeds(name, tuned, tuning, params, seen, test)
            write_timing(name, tuning, tuning_seconds, fit_seconds)
    except TrainingDiverged as err:
        raise StageError(f"{' '.join(names)}: {err} (the method's learning rate in params.yaml)") from None


if __name__ == "__main__":
    from model.methods import METHODS

    every_group = dict.fromkeys(k.replace("${key}", "<name>") for g in READS_BY_GROUP.values() for k in g)
    run(main, reads=tuple(every_group),
        arguments=[("names", {"nargs": "+", "choices": METHODS, "metavar": "NAME",
                              "help": f"methods to tune and run, from: {', '.join(METHODS)}"})])
