"""Files written whole or not at all (a temporary file beside the target, then one rename),
with the same bytes for the same content: no time stamps, fixed order; and a file's content
hash. The lowest layer, so extract/, model/, evaluate/ and pipeline/ all write through it."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes, read in blocks (feature files and clips can be large)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_from_temporary(path: str | Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    _replace_from_temporary(path, lambda tmp: tmp.write_text(text))


def write_csv(path: str | Path, header: list[str], rows) -> None:
    def write(tmp):
        with open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    _replace_from_temporary(path, write)


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez writes (np.load reads it), but every entry stamped FIXED_ZIP_TIME, where
    np.savez stamps the current time, so the same arrays give the same file hash."""
    def write(tmp):
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for name, value in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asanyarray(value), allow_pickle=False)
                archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME), buffer.getvalue())

    _replace_from_temporary(path, write)
