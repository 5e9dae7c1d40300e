"""Exact duplicate feature rows are counted within and across splits, by hand."""
import numpy as np

from extract.duplicates import duplicate_rows, summary_line
from extract.feature_store import Split


def split(rows, ids):
    audio = np.asarray(rows, np.float32)
    return Split(audio, audio[:, ::-1].copy(), np.zeros(len(rows), int), np.asarray(ids, object))


def test_duplicates_within_and_across_splits_by_hand():
    splits = {"train": split([[1, 2], [3, 4], [1, 2]], ["a", "b", "c"]),  # one repeat within train
              "val": split([[5, 6]], ["d"]),
              "test": split([[3, 4], [7, 8], [5, 6], [0, 0], [0, 0]], ["e", "f", "g", "h", "i"])}
    found = duplicate_rows(splits)
    assert found["audio"]["within"] == {"train": 1, "val": 0, "test": 1}
    assert found["audio"]["across"] == {"val~train": [], "test~train": ["e"], "test~val": ["g"]}
    assert found["visual"] == found["audio"]  # the visual rows repeat where the audio ones do here
    line = summary_line(found)
    assert "1 test rows equal to train rows (e)" in line and "1 in train, 1 in test" in line


def test_no_duplicates_reads_none():
    splits = {"train": split([[1, 2]], ["a"]), "test": split([[3, 4]], ["b"])}
    assert summary_line(duplicate_rows(splits)).endswith("audio: none; visual: none.")
