"""Answering a query against the index, shared by `pipeline.search` and the results page of
the `evaluate` stage: rank the other modality, and turn index rows into page entries."""
from __future__ import annotations

import numpy as np

from evaluate.retrieval_index import RetrievalIndex, top_matches
from evaluate.retrieval_page import Clip, Match, QueryResult


def other(by: str) -> str:
    return "visual" if by == "audio" else "audio"


def index_clip(index: RetrievalIndex, position: int, excerpt_seconds: float | None = None) -> Clip:
    """A page entry for one index clip; with `excerpt_seconds`, its sound cut from the source video."""
    from extract.decode import DecodeError
    from extract.thumbnails import audio_excerpt_wav

    sound = None
    if excerpt_seconds and index.paths[position]:
        try:
            sound = audio_excerpt_wav(index.paths[position], excerpt_seconds)
        except DecodeError:
            sound = None
    return Clip(str(index.ids[position]), index.class_names[int(index.labels[position])],
                index.thumbnails[position] or None, sound)


def answer(index: RetrievalIndex, query: Clip, query_label: int | None, vector: np.ndarray, by: str,
           gallery: np.ndarray, top: int) -> QueryResult:
    """The `top` clips of `gallery` (index positions) whose `other(by)` embedding is closest to `vector`."""
    rows = getattr(index, other(by))[gallery]
    picked, similarity = top_matches(vector, rows, top)
    matches = [Match(index_clip(index, int(gallery[p])), float(s),
                     query_label is not None and int(index.labels[gallery[p]]) == query_label)
               for p, s in zip(picked, similarity)]
    possible = None if query_label is None else min(len(matches), int(np.sum(index.labels[gallery] == query_label)))
    return QueryResult(query, by, matches, possible=possible)
