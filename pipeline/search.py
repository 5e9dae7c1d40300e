"""Query the trained model: `python -m pipeline.search QUERY [QUERY ...] [--by audio|visual]
[--top N] [--gallery test|all]`. A QUERY is a video or audio file, a folder of clips, or a clip
id of the index. A file goes through exactly the extraction of the extract stages (decoding,
backbone, PCA, frame mean), the trained model and the fusion; the other modality of the index
is ranked by cosine similarity. The model loads once for all queries. Prints which backbones,
data and settings the index was built with, then one block per query, and writes
results/search/<query>_<by>_<gallery>[_<path hash>].html per query. Defaults of the options are
the `search` section of params.yaml. Bad queries stop with one line before TensorFlow is loaded;
an unreadable clip inside a folder query is skipped with one line instead, the other clips are
answered, and the command then ends with exit status 2 and a line counting the skipped clips."""
from __future__ import annotations

import argparse
import functools
import hashlib
import re
import sys
from pathlib import Path

import numpy as np

from pipeline.settings import paths
from pipeline.settings.params import load_params
from pipeline.stage import StageError, run

ARGUMENTS = [
    (
        "queries",
        {"nargs": "+", "metavar": "QUERY", "help": "video or audio files, folders of clips, or clip ids of the index"},
    ),
    ("--by", {"choices": ("audio", "visual"), "help": "the query's modality (default: params.yaml search.by)"}),
    ("--top", {"type": int, "help": "matches to show (default: params.yaml search.top)"}),
    (
        "--gallery",
        {
            "choices": ("test", "all"),
            "help": "rank the test split or every clip of the index (default: params.yaml search.gallery)",
        },
    ),
]


def with_defaults(args: argparse.Namespace, params: dict) -> argparse.Namespace:
    """Options not given on the command line take params.yaml's `search` values."""
    for key in ("by", "top", "gallery"):
        if getattr(args, key) is None:
            setattr(args, key, params["search"][key])
    if args.top < 1:
        raise StageError(f"--top must be at least 1, got {args.top}")
    return args


CLIP_SUFFIXES = (".mp4", ".webm", ".mkv", ".avi", ".mov", ".wav", ".mp3", ".flac", ".ogg", ".m4a")


class Skipped(StageError):
    """A clip that cannot be used as a query; inside a folder query it is skipped and the others go on."""


def check_readable(path: Path, by: str) -> None:
    """Stop with one line unless `path` opens as a media file with a stream of the query's modality."""
    import av

    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio if by == "audio" else container.streams.video
            if not streams:
                raise Skipped(f"{path.resolve()}: has no {by} stream to query by; try --by "
                                 f"{'visual' if by == 'audio' else 'audio'} or another clip")
    except (av.error.FFmpegError, OSError) as err:
        raise Skipped(f"{path.resolve()}: not a readable video or audio file ({type(err).__name__}); "
                         "give a clip such as an .mp4") from None


def resolve_files(queries: list[str], by: str) -> list[tuple[str, Path | None, bool]]:
    """(name, file, from a folder) per query, folders expanded to their clips; a query that is no path
    stays (name, None, False), to be looked up as a clip id. Stops with one line on a missing path, an
    empty folder or an unreadable file given by name; an unreadable clip inside a folder is left to
    `answer_all`, which skips it. Needs neither the index nor TensorFlow."""
    found = []
    for query in queries:
        path = Path(query)
        if path.is_dir():
            clips = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CLIP_SUFFIXES)
            if not clips:
                raise StageError(f"{path.resolve()}: a folder with no clips in it ({', '.join(CLIP_SUFFIXES)}); "
                                 "give a clip, a folder of clips or a clip id")
            found += [(str(clip), clip, True) for clip in clips]
        elif path.is_file():
            found.append((query, path, False))
        elif path.suffix.lower() in CLIP_SUFFIXES:
            raise StageError(f"{path.absolute()}: no such file; give a clip, a folder of clips or a clip id")
        else:
            found.append((query, None, False))
    for _, path, in_folder in found:
        if path is not None and not in_folder:
            check_readable(path, by)
    return found


def resolve_ids(found: list[tuple[str, Path | None, bool]], index) -> list[tuple[str, int | None, Path | None, bool]]:
    """(name, index position or None, file or None, from a folder) per query; an unknown id stops with one line."""
    resolved = []
    for name, path, in_folder in found:
        position = None if path is not None else index.position(name)
        if path is None and position is None:
            raise StageError(f"{Path(name).absolute()}: no such file or folder, and {name!r} is no clip id of "
                             f"{paths.INDEX} (ids are the first column of data/manifest.csv)")
        resolved.append((name, position, path, in_folder))
    return resolved


def check_model_matches(index) -> None:
    from evaluate.retrieval_index import files_fingerprint

    for path in (paths.MODEL, paths.FUSION):
        if not path.exists():
            raise StageError(f"no trained model at {path}; run `dvc repro index` first")
    if files_fingerprint(paths.MODEL, paths.FUSION) != index.model_fingerprint:
        raise StageError(f"{paths.MODEL} is not the model {paths.INDEX} was built with (index of {index.dataset}); "
                         "the model was retrained, possibly on another dataset: run `dvc repro index`")


@functools.lru_cache(maxsize=2)
def _loaded(by: str, params_text: str):
    """(extractor, model, fusion, pca) for queries by `by`, loaded once per process."""
    import keras
    import yaml

    from model.linear_cca import LinearCCA
    from pipeline.settings.backbones import modality

    params = yaml.safe_load(params_text)
    pca = None
    if by == "visual":
        with np.load(paths.PCA) as f:
            pca = {k: f[k] for k in f.files}
    return (modality(by, params, require_both=False), keras.saving.load_model(paths.MODEL),
            LinearCCA.load(paths.FUSION), pca)


def embed_file(path: Path, by: str, params: dict, index) -> np.ndarray:
    """The fused embedding of a new clip's `by` modality, through the extract stages' own code."""
    import yaml

    from extract.decode import DecodeError
    from extract.shards import clip_rows
    from extract.video_features import clip_vector
    from model.eics.embedding import fused_one_modality

    if index.source != "videos":
        raise StageError(f"the index holds {index.source} features ({index.dataset}), with no videos or backbone to "
                         "extract a new clip; query by a clip id of the index instead")
    extractor, model, fusion, pca = _loaded(by, yaml.safe_dump(params))
    if extractor.backbone not in index.backbone:
        raise StageError(f"the query would be extracted with {extractor.backbone!r}, but the index was built from "
                         f"{index.backbone!r}; check extract.backbone in params.yaml")
    try:
        rows = clip_rows(extractor, path)
    except DecodeError as err:
        raise Skipped(f"cannot use {path.resolve()} as a query by {by}: {err}") from None
    features = clip_vector(rows, pca)[None, :]
    return fused_one_modality(model, fusion, params["fusion"]["heads"], by, features)[0]


def query_clip(path: Path, params: dict):
    """A new clip as the page shows it: its thumbnail as the index stage makes them (params `index`)
    and an excerpt of its sound (search.excerpt_seconds)."""
    from evaluate.retrieval_page import Clip
    from extract.decode import DecodeError
    from extract.thumbnails import audio_excerpt_wav, thumbnail_jpeg

    def attempt(make, *args):
        try:
            return make(path, *args)
        except DecodeError:
            return None

    thumbnail = attempt(thumbnail_jpeg, params["index"]["thumbnail_at"], params["index"]["thumbnail_width"])
    return Clip(path.name, "new clip", thumbnail, attempt(audio_excerpt_wav, params["search"]["excerpt_seconds"]))


def page_name(query: str, by: str, gallery: str, path: Path | None = None) -> str:
    """One page per (query, modality, gallery): variants of one query never overwrite each other. A file
    query's name ends in a hash of its absolute path, so same-named files of two folders keep two pages."""
    stem = Path(query).stem if Path(query).suffix else query
    where = "" if path is None else "_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) + f"_{by}_{gallery}{where}.html"


def provenance(index) -> str:
    """What the index was built with: data, backbones and the model's settings."""
    import json

    trained = ""
    if paths.TRAIN_SUMMARY.is_file():
        model = json.loads(paths.TRAIN_SUMMARY.read_text()).get("trained_with", {}).get("model", {})
        if model:
            trained = f"; EICS alpha {model['alpha']}, beta {model['beta']} ({model['loss_form']} losses)"
    if paths.METRICS.is_file():  # the evaluate stage's instance-level numbers of this model
        m = json.loads(paths.METRICS.read_text())
        if "pair_recall_at_1_average" in m:
            trained += (f"; on the test split its own pair ranks first for {m['pair_recall_at_1_average']:.0%} of "
                        f"queries, median rank {m['median_rank_average']:.1f}")
    return f"index of {index.dataset} ({index.source}); backbones: {index.backbone}{trained}"


STANDIN_WARNING = ("warning: the index was built with stand-in backbones (random CNNs, not VGGish/InceptionV3), "
                   "a smoke test; for a clip from outside the bundled sample the similarities carry no meaning")


def answer_query(name, position, path, args, params, index, gallery, header, file_positions) -> None:
    """Rank the gallery for one query, print its block and write its page."""
    from evaluate.retrieval_page import write_page
    from pipeline.reporting.retrieval import answer, index_clip

    standin = "standin" in index.backbone
    outside = not paths.is_bundled_sample(params["data"]["videos"])  # stand-in features of a user's own clips
    if position is not None:
        vector, label = getattr(index, args.by)[position], int(index.labels[position])
        query = index_clip(index, position, params["search"]["excerpt_seconds"])
    else:
        check_readable(path, args.by)
        known = file_positions.get(path.resolve())
        label = None if known is None else int(index.labels[known])  # a file of the dataset keeps its class
        outside = outside or known is None
        vector = embed_file(path, args.by, params, index)
        query = query_clip(path, params)
        if known is not None:
            query.class_name = index.class_names[label]
    result = answer(index, query, label, vector, args.by, gallery, args.top)
    print(f"query {name} by {args.by} ({query.class_name}); top {len(result.matches)} of {len(gallery)} "
          f"{'visual' if args.by == 'audio' else 'audio'} clips ({args.gallery}):")
    if standin and outside:
        print(STANDIN_WARNING)
    width = max([len(m.clip.clip_id) for m in result.matches] + [2])
    print(f"{'rank':>4}  {'id':<{width}}  {'class':<12}  similarity" + ("  same class" if label is not None else ""))
    for rank, m in enumerate(result.matches, 1):
        mark = ("  ✓" if m.same_class else "  ✗") if label is not None else ""
        print(f"{rank:>4}  {m.clip.clip_id:<{width}}  {m.clip.class_name:<12}  {m.similarity:10.4f}{mark}")
    warning = STANDIN_WARNING[len("warning: "):]
    note = f" {warning[0].upper() + warning[1:]}." if standin and outside else ""
    out = write_page(
        paths.SEARCH_PAGES / page_name(name, args.by, args.gallery, path),
        f"Search: {name}",
        f"Query by {args.by} against {'every clip' if args.gallery == 'all' else 'the test split'} of the index; "
        "cosine similarity in the fused space "
        f"of the trained EICS model. {header[0].upper() + header[1:]}.{note}",
        [result],
    )
    print(f"page: {out}")


def main(args: argparse.Namespace) -> None:
    params = load_params()
    args = with_defaults(args, params)
    from evaluate.retrieval_index import RetrievalIndexError, read_index

    found = resolve_files(args.queries, args.by)
    try:
        index = read_index(paths.INDEX)
    except RetrievalIndexError as err:
        raise StageError(str(err)) from None
    queries = resolve_ids(found, index)
    check_model_matches(index)
    gallery = index.gallery("all" if args.gallery == "all" else ["test"])
    header = provenance(index)
    file_positions = {}  # index position of each clip file, resolved once for all file queries
    if any(path is not None for _, _, path, _ in queries):
        for i, p in enumerate(index.paths):
            if p:
                file_positions.setdefault(Path(p).resolve(), i)
    print(header)
    skipped = 0
    for name, position, path, in_folder in queries:
        try:
            answer_query(name, position, path, args, params, index, gallery, header, file_positions)
        except Skipped as err:
            if not in_folder:
                raise
            print(f"skipped: {err}", file=sys.stderr)
            skipped += 1
    if skipped:
        raise StageError(f"{skipped} of {len(queries)} clips skipped (the lines above say why); "
                         "the others were answered")


if __name__ == "__main__":
    run(
        main,
        reads=("search", "fusion.heads", "extract (to extract a new clip as the extract stages do)",
               "index.thumbnail_at", "index.thumbnail_width"),
        arguments=ARGUMENTS,
    )
