"""Stage `methods`: every method of model/registry.py tuned on validation, fitted for every
seed in report.seeds at its chosen point, and scored on the test split with the same metric
as EICS; wall-clock seconds recorded apart. `python -m pipeline.stages.method NAME...` runs
some of them.

The fits fan out on Ray (`pipeline.fitting.fanout`, params `fits`) from one queue: every method's
tuning fits (grid point x the first `tuning.seeds` seeds), then, as soon as a method's are in,
the report seeds not yet fitted at its chosen point (`pipeline.fitting.method_runs`). Tuning compares
validation MAPs only (`pipeline.fitting.tuning_choice`); each fit is scored on test too, so a tuning
fit at the chosen point is that seed's run. Every fit is saved as it finishes under a key of
all its result depends on (`pipeline.fitting.fit_records`), so a re-run after a params or code change
fits only what changed, and a killed run resumes. This process loads no TensorFlow.
"""
from __future__ import annotations

from model.methods import METHODS, method_modules
from model.registry import ABLATIONS, BASELINES, EICS_FAMILY, RANDOM
from pipeline.settings import paths
from pipeline.settings.params import feature_dims, load_params, only
from pipeline.settings.schema import section_keys
from pipeline.stage import StageError, run

# the params.yaml keys each group's stage reads (${key}: the method's name): all it is given, and
# its `params:` in dvc.yaml (`make deps`); tuning.grids and baselines.knobs are checked whole first
SCORING = ("data.audio_dim", "data.visual_dim", "report.seeds", "evaluate.scopes", "evaluate.recall_ks",
           "fits.precision_report", "fits.threads", "fits.workers", "fits.address", "fits.gpus_per_fit")
EICS_READS = ("model", "train", "fusion")
READS_BY_GROUP = {
    "RANDOM": SCORING + ("fusion.dim",),
    "BASELINES": SCORING + ("tuning.seeds", "tuning.grids.${key}", "fusion.dim", "baselines.knobs.${key}")
    + tuple(f"baselines.{k}" for k in section_keys("baselines") if k != "knobs"),
    "EICS_FAMILY": SCORING + ("tuning.seeds", "tuning.grids.${key}") + EICS_READS,
    # the ablations are tuned over EICS's grid, with its budget
    "ABLATIONS": SCORING + ("tuning.seeds", "tuning.grids.eics") + EICS_READS,
}
GROUPS = {"RANDOM": RANDOM, "BASELINES": BASELINES, "EICS_FAMILY": EICS_FAMILY, "ABLATIONS": ABLATIONS}


def reads_for(names) -> tuple[str, ...]:
    """The keys the stage reads for these methods."""
    keys = {}
    for name in names:
        group = next(g for g, members in GROUPS.items() if name in members)
        keys.update(dict.fromkeys(k.replace("${key}", name) for k in READS_BY_GROUP[group]))
    return tuple(keys)


def whole_sections(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys with every `tuning.*` and `baselines.*` key folded into its whole section (all methods read them)."""
    folded = [k if not k.startswith(("tuning.", "baselines.")) else k.split(".")[0] for k in keys]
    return tuple(dict.fromkeys(folded))


READS = whole_sections(reads_for(METHODS))
CODE_BY_NAME = tuple(m for name in METHODS for m in method_modules(name))  # fit_method imports them by name


def main(args) -> None:
    from extract.atomic_files import file_digest
    from extract.feature_store import read_features
    from pipeline.fitting.fanout import FanOut, session
    from pipeline.fitting.fit_records import FitRecords
    from pipeline.fitting.method_runs import run_methods
    from pipeline.settings.methods import check_methods

    unknown = [n for n in args.names if n not in METHODS]
    if unknown:
        raise StageError(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    names = args.names or list(METHODS)
    everything = load_params()
    check_methods(everything)
    params = only(everything, READS if set(names) == set(METHODS) else reads_for(names))
    features = read_features(paths.FEATURES, *feature_dims(params))
    shared = {"params": params, "splits": tuple(features.splits[s] for s in ("train", "val", "test")),
              "n_classes": features.n_classes, "precision": params["fits"]["precision_report"]}
    # what every fit's result depends on besides its method, options and seed (not where or how many run at once)
    settings = {"features": file_digest(paths.FEATURES), "scoring": params["evaluate"],
                **{k: params["fits"][k] for k in ("precision_report", "threads", "gpus_per_fit")}}
    fanout = FanOut.from_params(params["fits"])
    with session(fanout) as ready:
        run_methods(names, params, shared, fanout, lambda name: FitRecords(name, settings), ready, args.dry_run)


if __name__ == "__main__":
    run(main, reads=READS,
        arguments=[("names", {"nargs": "*", "metavar": "NAME",
                              "help": f"methods to tune and run (default: all), from: {', '.join(METHODS)}"}),
                   ("--dry-run", {"action": "store_true",
                                  "help": "say how many fits are not in the fit cache (models/fits/) and stop"})])
