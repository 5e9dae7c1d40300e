"""Query the trained model: `python -m pipeline.search QUERY [--by audio|visual] [--top N]
[--gallery test|all]`. QUERY is a video or audio file, or a clip id of the index. A file goes
through exactly the extraction of the extract stages (decoding, backbone, PCA, frame mean),
the trained model and the fusion; the other modality of the index is ranked by cosine
similarity. Prints the matches and writes results/search/<query>.html. Defaults of the
options are the `search` section of params.yaml."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import StageError, run


ARGUMENTS = [
    ("query", {"help": "a video or audio file, or a clip id of the index"}),
    ("--by", {"choices": ("audio", "visual"), "help": "the query's modality (default: params.yaml search.by)"}),
    ("--top", {"type": int, "help": "matches to show (default: params.yaml search.top)"}),
    ("--gallery", {"choices": ("test", "all"), "help": "rank the test split or every clip of the index "
                                                       "(default: params.yaml search.gallery)"}),
]


def with_defaults(args: argparse.Namespace, params: dict) -> argparse.Namespace:
    """Options not given on the command line take params.yaml's `search` values."""
    for key in ("by", "top", "gallery"):
        if getattr(args, key) is None:
            setattr(args, key, params["search"][key])
    if args.top < 1:
        raise StageError(f"--top must be at least 1, got {args.top}")
    return args


def check_model_matches(index) -> None:
    from evaluate.retrieval_index import files_fingerprint

    for path in (paths.MODEL, paths.FUSION):
        if not path.exists():
            raise StageError(f"no trained model at {path}; run `dvc repro index` first")
    if files_fingerprint(paths.MODEL, paths.FUSION) != index.model_fingerprint:
        raise StageError(f"{paths.MODEL} is not the model {paths.INDEX} was built with (index of {index.dataset}); "
                         "the model was retrained, possibly on another dataset: run `dvc repro index`")


def embed_file(path: Path, by: str, params: dict, index) -> np.ndarray:
    """The fused embedding of a new clip's `by` modality, through the extract stages' own code."""
    import keras

    from extract.decode import DecodeError
    from extract.shards import clip_rows
    from extract.video_features import clip_vector
    from model.cca import LinearCCA
    from model.training import fused_one_modality
    from pipeline.extract_modality import modality

    if index.source != "videos":
        raise StageError(f"the index holds {index.source} features ({index.dataset}), with no videos or backbone to extract a new clip; "
                         "query by a clip id of the index instead")
    extractor = modality(by, params, require_both=False)
    if extractor.backbone not in index.backbone:
        raise StageError(f"the query would be extracted with {extractor.backbone!r}, but the index was built from "
                         f"{index.backbone!r}; check extract.backbone in params.yaml")
    try:
        rows = clip_rows(extractor, path)
    except DecodeError as err:
        raise StageError(f"cannot use {path} as a query by {by}: {err}") from None
    pca = None
    if by == "visual":
        with np.load(paths.PCA) as f:
            pca = {k: f[k] for k in f.files}
    features = clip_vector(rows, pca)[None, :]
    model = keras.saving.load_model(paths.MODEL)
    fusion = LinearCCA.load(paths.FUSION)
    return fused_one_modality(model, fusion, params["fusion"]["heads"], by, features)[0]


def query_clip(path: Path, by: str, excerpt_seconds: float):
    from evaluate.retrieval_page import Clip
    from extract.decode import DecodeError
    from extract.thumbnails import audio_excerpt_wav, thumbnail_jpeg

    def attempt(make, *args):
        try:
            return make(path, *args)
        except DecodeError:
            return None

    return Clip(path.name, "new clip", attempt(thumbnail_jpeg), attempt(audio_excerpt_wav, excerpt_seconds))


def page_name(query: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(query).stem if Path(query).suffix else query) + ".html"


def main(args: argparse.Namespace) -> None:
    params = load_params()
    args = with_defaults(args, params)
    from evaluate.retrieval_index import RetrievalIndexError, read_index
    from evaluate.retrieval_page import write_page
    from pipeline.retrieval import answer, index_clip

    try:
        index = read_index(paths.INDEX)
    except RetrievalIndexError as err:
        raise StageError(str(err)) from None
    check_model_matches(index)
    excerpt = params["search"]["excerpt_seconds"]
    position = index.position(args.query)
    if position is not None:
        vector, label = getattr(index, args.by)[position], int(index.labels[position])
        query = index_clip(index, position, excerpt)
    else:
        path = Path(args.query)
        if not path.is_file():
            raise StageError(f"{args.query}: no such file, and no clip with that id in {paths.INDEX}")
        resolved = path.resolve()
        known = [i for i, p in enumerate(index.paths) if p and Path(p).resolve() == resolved]
        label = int(index.labels[known[0]]) if known else None  # a file of the dataset keeps its class for the ✓ marks
        vector = embed_file(path, args.by, params, index)
        query = query_clip(path, args.by, excerpt)
        if known:
            query.class_name = index.class_names[label]
    gallery = index.gallery("all" if args.gallery == "all" else ["test"])
    result = answer(index, query, label, vector, args.by, gallery, args.top)
    print(f"query {args.query} by {args.by} ({query.class_name}); top {len(result.matches)} of {len(gallery)} "
          f"{'visual' if args.by == 'audio' else 'audio'} clips ({args.gallery}):")
    width = max([len(m.clip.clip_id) for m in result.matches] + [2])
    print(f"{'rank':>4}  {'id':<{width}}  {'class':<12}  similarity" + ("  same class" if label is not None else ""))
    for rank, m in enumerate(result.matches, 1):
        mark = ("  ✓" if m.same_class else "  ✗") if label is not None else ""
        print(f"{rank:>4}  {m.clip.clip_id:<{width}}  {m.clip.class_name:<12}  {m.similarity:10.4f}{mark}")
    out = write_page(paths.SEARCH_PAGES / page_name(args.query), f"Search: {args.query}",
                     f"Query by {args.by} against the {args.gallery} gallery of {index.dataset}; cosine similarity "
                     "in the fused space of the trained EICS model.", [result])
    print(f"page: {out}")


if __name__ == "__main__":
    run(main, reads=("search", "fusion.heads", "extract (to extract a new clip as the extract stages do)"), arguments=ARGUMENTS)
