"""Every fit of the `methods` stage, saved as it finishes under a key of everything its result
depends on, so that a re-run refits only what changed and a run that is killed (or loses a
worker or a node) resumes where it stopped, writing the same bytes as an uninterrupted run.

A fit's key hashes: the method, its options at the grid point (as the model code receives
them), the seed, the scoring settings, the precision and thread partition, the feature file's
bytes, and the source of every project module the fit runs (the fit task's import closure and
the method's own modules, but those that only read params.yaml into options). Records live in
models/fits/<method>/<key>.json (neither git nor DVC tracks them); after a method's run only the
records it used are kept. `rm -r models/fits` makes the next run fit everything again.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

ROOT = Path("models/fits")
# modules that only turn params.yaml into a method's options: the options themselves are in the key
SETTINGS_CODE = ("pipeline/settings/__init__.py", "pipeline/settings/schema.py", "pipeline/settings/params.py",
                 "pipeline/settings/paths.py", "pipeline/settings/methods.py", "pipeline/settings/eics.py")


@lru_cache(maxsize=None)
def code_digest(name: str) -> str:
    """The code of every project module a fit of `name` runs (docstrings and comments left out:
    rewording them refits nothing)."""
    from model.methods import method_modules
    from pipeline.code_listing import closure_digest

    return closure_digest(["pipeline.fitting.fit_task", *method_modules(name)], leave_out=SETTINGS_CODE)


class FitRecords:
    """The saved fits of one method; `settings` is what every one of its fits shares (scoring,
    precision, threads, the feature file's digest)."""

    def __init__(self, name: str, settings: dict, root: Path = ROOT):
        self.name, self.folder, self.used = name, root / name, set()
        self.shared = json.dumps({"settings": settings, "code": code_digest(name)}, sort_keys=True)

    def key(self, options: dict, seed: int) -> str:
        """`options`: the method's keyword arguments at its grid point (`pipeline.settings.methods.method_options`)."""
        text = json.dumps([self.name, repr(sorted(options.items())), seed], sort_keys=True) + self.shared
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def get(self, key: str) -> dict | None:
        self.used.add(key)
        path = self.folder / f"{key}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def put(self, key: str, record: dict) -> None:
        from extract.atomic_files import write_text

        self.used.add(key)
        write_text(self.folder / f"{key}.json", json.dumps(record) + "\n")

    def keep_only_used(self) -> None:
        for path in self.folder.glob("*.json"):
            if path.stem not in self.used:
                path.unlink()
