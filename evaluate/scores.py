"""Every number of one retrieval test, both directions: per-query MAP (the headline),
class-averaged MAP, class R@k (a same-class item in the top k), pair R@k and the median rank
of each clip's own pair (instance-level), precision at scopes, plus the per-query APs that
the significance tests pair across methods. Used by the `evaluate` stage and the method stages."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluate.metrics import RetrievalScores, retrieval_scores
from evaluate.pair_retrieval import median_rank, pair_ranks, pair_recall
from evaluate.recall import recall_at

DIRECTIONS = ("audio_to_visual", "visual_to_audio")


@dataclass(frozen=True)
class TestScores:
    directions: dict[str, RetrievalScores]
    recall: dict[str, dict[int, float]]  # class R@k
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]  # per query: (items closer than its pair, items tied with it)

    def numbers(self) -> dict:
        """Flat numbers for each direction and their average: map_*, class_averaged_map_*,
        class_recall_at_<k>_*, pair_recall_at_<k>_*, median_rank_*."""
        out = {}
        for d in DIRECTIONS:
            out[f"map_{d}"] = self.directions[d].mean_average_precision
            out[f"class_averaged_map_{d}"] = self.directions[d].class_averaged_map
            for k, r in self.recall[d].items():
                out[f"class_recall_at_{k}_{d}"] = r
            for k, r in pair_recall(*self.pairs[d], self.recall[d]).items():
                out[f"pair_recall_at_{k}_{d}"] = r
            out[f"median_rank_{d}"] = median_rank(*self.pairs[d])
        for key in [k.removesuffix("_audio_to_visual") for k in out if k.endswith("_audio_to_visual")]:
            out[f"{key}_average"] = (out[f"{key}_audio_to_visual"] + out[f"{key}_visual_to_audio"]) / 2
        return out


def score_test(audio, visual, labels, scopes, recall_ks) -> TestScores:
    """Audio queries against the visual gallery and the other way round, on one split."""
    directions = {"audio_to_visual": retrieval_scores(audio, visual, labels, labels, scopes),
                  "visual_to_audio": retrieval_scores(visual, audio, labels, labels, scopes)}
    recall = {"audio_to_visual": recall_at(audio, visual, labels, labels, recall_ks),
              "visual_to_audio": recall_at(visual, audio, labels, labels, recall_ks)}
    pairs = {"audio_to_visual": pair_ranks(audio, visual), "visual_to_audio": pair_ranks(visual, audio)}
    return TestScores(directions, recall, pairs)


def rounded(values: np.ndarray, digits: int = 6) -> list:
    """A float array as a JSON list (NaN -> None)."""
    return [None if np.isnan(v) else round(float(v), digits) for v in values]
