"""Stage `community_file`: a fingerprint (path, size, MD5) of data.community_file, wherever it
lives, so that replacing the file's contents re-runs the import. DVC runs this stage on every
`dvc repro` (always_changed); when the fingerprint is unchanged, `features` stays cached.
With another data.source the fingerprint says so and the file is not read."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from extract.atomic_files import write_text
from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import run


def fingerprint(path: Path) -> dict:
    if not path.is_file():
        return {"path": str(path), "missing": True}  # the import itself stops with one line
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return {"path": str(path), "size": path.stat().st_size, "md5": digest.hexdigest()}


READS = (
    "data.source",
    "data.community_file",
)


def main() -> None:
    data = load_params(reads=READS)["data"]
    used = data["source"] == "community"
    record = fingerprint(Path(data["community_file"])) if used else {"unused": f"data.source: {data['source']}"}
    write_text(paths.COMMUNITY_FINGERPRINT, json.dumps(record, indent=2) + "\n")
    print(f"community_file: {record.get('md5', 'not used') if used else 'not used'}")


if __name__ == "__main__":
    run(main, reads=READS)
