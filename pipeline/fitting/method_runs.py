"""The `methods` stage's fits, for every method at once, fanned out on Ray (`pipeline.fitting.fanout`):

1. tuning: every grid point (params `tuning.grids`) x the first `tuning.seeds` of report.seeds;
   the point is chosen on mean validation MAP by the rule of `pipeline.fitting.tuning_choice`;
2. as soon as a method's tuning fits are in, the seeds of report.seeds not yet fitted at its
   chosen point (a tuning fit at the chosen point and a report seed is that seed's run: no fit
   twice).

Random and other methods without a grid go straight to 2. Every fit is saved as it finishes
(`pipeline.fitting.fit_records`): a re-run or a resumed run fits only what is missing. Per method it
writes results/tuning/<name>.json (every point's validation MAP per seed, its spread, the
choice and the rule), results/methods/<name>.json (per seed: test numbers and per-query APs)
and results/timings/<name>.json (seconds, apart: they differ between runs)."""
from __future__ import annotations

import json

import numpy as np

from pipeline.settings import paths
from pipeline.stage import StageError

# heaviest first, so the quick closed-form fits fill the last gaps
ORDER = ("neural", "closed_form")


class MethodRun:
    """One method's progress: its tuning jobs, then its seeds at the chosen point."""

    def __init__(self, name: str, params: dict, records):
        from pipeline.settings.methods import grid_of, grid_points, method_options

        self.name, self.params, self.records = name, params, records
        grid = grid_of(name, params)
        self.points = grid_points(grid) if grid is not None else []
        self.seeds = params["report"]["seeds"]
        self.tuning_seeds = self.seeds[:params["tuning"]["seeds"]] if self.points else []
        self.options = lambda point: method_options(name, params, point)
        self.fits, self.waiting, self.chosen, self.tuning = {}, set(), None, None

    def key(self, point: dict, seed: int) -> str:
        return self.records.key(self.options(point), seed)

    def start(self) -> list:
        """The jobs of round 1 (round 2 for a method without a grid) that have no record yet."""
        if not self.points:
            self.choose()
            return self.missing([({}, s) for s in self.seeds])
        return self.missing([(p, s) for p in self.points for s in self.tuning_seeds])

    def missing(self, fits: list) -> list:
        from pipeline.fitting.fit_task import FitJob

        jobs = []
        for point, seed in fits:
            k = self.key(point, seed)
            kept = self.records.get(k)
            if kept is not None:
                self.fits[k] = kept
            elif k not in self.fits and k not in self.waiting:
                self.waiting.add(k)
                jobs.append(FitJob(self.name, point, seed))
        return jobs if jobs else self.advance()

    def finished(self, job, record: dict) -> list:
        if "diverged" in record:
            raise StageError(f"{self.name} at {job.point or 'its params.yaml values'}, seed {job.seed}: "
                             f"{record['diverged']} (the method's learning rate in params.yaml)")
        record = json.loads(json.dumps(record))  # the same values whether fitted now or read back
        k = self.key(job.point, job.seed)
        self.records.put(k, record)
        self.fits[k] = record
        self.waiting.discard(k)
        what = f"{self.name} {job.point}" if job.point else self.name
        print(f"{what} seed {job.seed}: validation MAP {record['val_map_average']:.4f} ({record['seconds']:.1f} s)",
              flush=True)
        return [] if self.waiting else self.advance()

    def advance(self) -> list:
        """Round 1 done: choose and start round 2; round 2 done: write the files."""
        if self.chosen is None:
            self.choose()
            return self.missing([(self.chosen, s) for s in self.seeds])
        self.write()
        return []

    def choose(self) -> None:
        from extract.atomic_files import write_text
        from pipeline.fitting.tuning_choice import choose, edges
        from pipeline.settings.methods import default_values
        from pipeline.settings.schema import AUTHORS

        if not self.points:
            self.chosen = {}
            self.tuning = {"method": self.name, "budget": 0, "seeds": [], "chosen": {}, "chosen_val_map_average": None,
                           "rule": None, "tied": [], "edges": [], "points": []}
        else:
            scores = [[self.fits[self.key(p, s)]["val_map_average"] for s in self.tuning_seeds] for p in self.points]
            choice = choose(self.points, scores, default_values(self.name, self.params), AUTHORS.get(self.name))
            self.chosen = self.points[choice["index"]]
            self.tuning = {
                "method": self.name, "budget": len(self.points), "seeds": self.tuning_seeds, "chosen": self.chosen,
                "chosen_val_map_average": float(np.mean(scores[choice["index"]])), "rule": choice["rule"],
                "chosen_has_best_mean": choice["best_mean"],
                "tied": [self.points[i] for i in choice["tied"]], "edges": edges(self.points, self.chosen),
                "points": [{"point": p, "val_map_average": float(np.mean(s)), "val_map_by_seed": s,
                            "val_map_std": float(np.std(s, ddof=1)) if len(s) > 1 else 0.0,
                            "standard_error_of_gap_to_best": choice["standard_errors"][i]}
                           for i, (p, s) in enumerate(zip(self.points, scores))]}
            print(f"{self.name}: chose {self.chosen} ({choice['rule']})", flush=True)
        write_text(paths.TUNING / f"{self.name}.json", json.dumps(self.tuning, indent=2) + "\n")

    def write(self) -> None:
        from pipeline.settings.methods import tuned_as

        runs = [self.fits[self.key(self.chosen, s)] for s in self.seeds]
        write_summary(self.name, tuned_as(self.name, self.params), self.chosen, self.tuning, runs)
        tuning_seconds = [[self.fits[self.key(p, s)]["seconds"] for s in self.tuning_seeds] for p in self.points]
        write_timing(self.name, self.tuning, tuning_seconds, [r["seconds"] for r in runs])
        self.records.keep_only_used()
        print(f"{self.name}: average MAP {np.mean([r['run']['average'] for r in runs]):.4f} over "
              f"{len(runs)} seeds", flush=True)


def run_methods(names, params: dict, shared: dict, fanout, records_for, ready, dry_run: bool = False) -> None:
    """Tune and run every method of `names` (`records_for(name)`: its `FitRecords`), on one queue. With
    `dry_run`, only say how many fits the first round needs (what is not in the fit cache) and stop."""
    from model.methods import REGISTRY
    from pipeline.fitting.fanout import run_tasks
    from pipeline.fitting.fit_task import fit_and_score

    ordered = sorted(names, key=lambda n: ORDER.index(REGISTRY[n]["kind"]))
    runs = {name: MethodRun(name, params, records_for(name)) for name in ordered}
    jobs = [job for run in runs.values() for job in run.start()]
    print(f"methods: {len(jobs)} fits to run now ({', '.join(ordered)})", flush=True)
    if dry_run:
        print("methods: dry run, nothing fitted (the chosen points' other seeds follow the tuning round)")
        return
    run_tasks(fit_and_score, jobs, shared, fanout, lambda job, record: runs[job.name].finished(job, record), ready)


def write_summary(name: str, tuned: str | None, point: dict, tuning: dict, records: list[dict]) -> None:
    """results/methods/<name>.json: per seed its test numbers, their mean and std, the mean precision
    at scope, and per seed and test clip (in the feature file's order) its AP as a query in each
    direction: what the report's significance tests compare."""
    from evaluate.scores import DIRECTIONS
    from extract.atomic_files import write_text

    runs = [r["run"] for r in records]
    summary = {"method": name, "tuned_as": tuned, "point": point, "tuning_budget": tuning["budget"],
               "tuning_seeds": tuning["seeds"], "tuning_rule": tuning["rule"],
               "tuning_rule_changed_the_choice": tuning.get("chosen_has_best_mean") is False,
               "tuning_edges": tuning["edges"], "runs": runs,
               "precision_at": {d: {k: float(np.mean([r["precision_at"][d][k] for r in records]))
                                    for k in records[0]["precision_at"][d]} for d in DIRECTIONS}}
    numeric = [k for k in runs[0] if k not in ("seed", "queries_left_out")]
    for k in numeric:
        values = np.array([r[k] for r in runs])
        summary[f"{k}_mean"] = float(values.mean())
        summary[f"{k}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    summary["per_query_ap_by_seed"] = {d: [r["per_query_ap"][d] for r in records] for d in DIRECTIONS}
    write_text(paths.METHOD_RESULTS / f"{name}.json", json.dumps(summary, indent=2) + "\n")


def write_timing(name: str, tuning: dict, tuning_seconds: list[list[float]], fit_seconds: list[float]) -> None:
    """results/timings/<name>.json: wall-clock seconds of every tuning fit and every seed's run (as
    recorded when each was fitted). Kept apart from the results, so a re-run that only takes
    another time changes no result file."""
    from extract.atomic_files import write_text

    timing = {"method": name,
              "tuning_seconds": [{"point": t["point"], "seconds": s} for t, s in zip(tuning["points"], tuning_seconds)],
              "fit_seconds": fit_seconds, "fit_seconds_mean": float(np.mean(fit_seconds)),
              "fit_seconds_std": float(np.std(fit_seconds, ddof=1)) if len(fit_seconds) > 1 else 0.0}
    write_text(paths.TIMINGS / f"{name}.json", json.dumps(timing, indent=2) + "\n")
