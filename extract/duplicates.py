"""Exact duplicate feature rows within and across the splits of a feature file.

Community feature files are assembled from clips found online; the same clip (or the same
silence) can appear twice, and a test clip whose features equal a training clip's is scored
on something the model has seen. Nothing is dropped: the counts and ids are printed by the
`features` stage and stated in the report's header.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict

SPLITS = ("train", "val", "test")


def _row_key(row) -> bytes:
    return hashlib.blake2b(row.tobytes(), digest_size=16).digest()


def duplicate_rows(splits: dict) -> dict:
    """{modality: {"within": {split: n}, "across": {"test~train": [test ids], ...}}}: per modality,
    rows that repeat another row of the same split (counted beyond the first), and the ids of
    rows of a later split equal to some row of an earlier one (val~train, test~train, test~val)."""
    out = {}
    for modality in ("audio", "visual"):
        seen = {}
        within = {}
        for name in SPLITS:
            if name not in splits:
                continue
            keys = defaultdict(list)
            for clip_id, row in zip(splits[name].ids, getattr(splits[name], modality)):
                keys[_row_key(row)].append(str(clip_id))
            within[name] = sum(len(ids) - 1 for ids in keys.values())
            seen[name] = keys
        across = {}
        for later, earlier in (("val", "train"), ("test", "train"), ("test", "val")):
            if later in seen and earlier in seen:
                ids = sorted(i for k, group in seen[later].items() if k in seen[earlier] for i in group)
                across[f"{later}~{earlier}"] = ids
        out[modality] = {"within": within, "across": across}
    return out


def summary_line(found: dict, shown: int = 5) -> str:
    """One sentence for the report header and the features stage's log."""
    parts = []
    for modality, d in found.items():
        within = ", ".join(f"{n} in {s}" for s, n in d["within"].items() if n)
        across = "; ".join(f"{len(ids)} {pair.replace('~', ' rows equal to ')} rows "
                           f"({', '.join(ids[:shown])}{', …' if len(ids) > shown else ''})"
                           for pair, ids in d["across"].items() if ids)
        text = "; ".join(x for x in (f"repeated within a split: {within}" if within else "", across) if x)
        parts.append(f"{modality}: {text or 'none'}")
    return "Exact duplicate feature rows (nothing dropped): " + "; ".join(parts) + "."
