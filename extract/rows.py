"""The one-row-per-start contract between a backbone and the extract stages."""
from __future__ import annotations

import numpy as np


class BackboneOutputError(RuntimeError):
    """A backbone returned another number of rows than the clip has example starts."""


def checked_rows(rows, expected: int, name: str) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim != 2 or len(rows) != expected:
        raise BackboneOutputError(
            f"{name} returned {len(rows)} row(s) for {expected} example start(s): its framing "
            "differs from the published model's (400-sample window, 160-sample hop, no end padding)"
        )
    return rows
