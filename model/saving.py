"""Save a Keras model so that the same weights give the same file bytes.

Keras writes the save time into the `.keras` archive (`date_saved` in metadata.json and the
timestamp of the weights entry) and numbers objects shared between layers by their memory
address (`shared_object_id` in config.json), so retraining to bit-identical weights still
changed the file's hash, and DVC then re-ran everything downstream of it. Here the archive
is rewritten with a fixed timestamp, no save date and shared objects numbered 1, 2, ... in
order of appearance; Keras loads it as before.
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def renumber_shared_objects(config_text: str) -> str:
    """config.json with every `shared_object_id` (a memory address) replaced by its order of appearance."""
    numbers: dict[str, str] = {}

    def renumber(match):
        return f'{match.group(1)}{numbers.setdefault(match.group(2), str(len(numbers) + 1))}'

    return re.sub(r'("shared_object_id":\s*)(\d+)', renumber, config_text)


def save_model_reproducibly(model, path: str | Path) -> None:
    """model.save(path), then the archive's time stamps fixed (the path must end in .keras)."""
    path = Path(path)
    raw = path.with_name(path.stem + ".raw.keras")
    model.save(raw)
    try:
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w") as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "metadata.json":
                    metadata = json.loads(data)
                    metadata.pop("date_saved", None)
                    data = json.dumps(metadata, sort_keys=True).encode()
                elif info.filename == "config.json":
                    data = renumber_shared_objects(data.decode()).encode()
                entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
                entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
                dst.writestr(entry, data)
    finally:
        raw.unlink(missing_ok=True)
