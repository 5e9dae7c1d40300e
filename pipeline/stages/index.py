"""Stage `index`: the fused embeddings of every clip of every split, both modalities, with ids,
labels, split, source path and a thumbnail per clip (data/index.h5), for `pipeline.search`
and the results page. Community feature files have no videos: embeddings, ids and labels only."""
from __future__ import annotations

import numpy as np

from pipeline.settings import paths
from pipeline.settings.params import feature_dims, load_params
from pipeline.stage import run


def clip_paths(source: str) -> dict[str, str]:
    """{clip_id: video path} from the manifest when the features come from videos."""
    if source != "videos":
        return {}
    from extract.manifest import read_manifest

    return {c.clip_id: c.path for c in read_manifest(paths.MANIFEST)}


def thumbnails(ids, videos: dict[str, str], at_seconds: float, width: int) -> tuple[list[bytes], int]:
    """JPEG bytes per clip (empty without a video or when it cannot be read), and how many are missing."""
    from extract.decode import DecodeError
    from extract.thumbnails import thumbnail_jpeg

    out, missing = [], 0
    for clip_id in ids:
        jpeg = b""
        if clip_id in videos:
            try:
                jpeg = thumbnail_jpeg(videos[clip_id], at_seconds, width)
            except DecodeError:
                pass
        missing += clip_id in videos and not jpeg
        out.append(jpeg)
    return out, missing


def dataset_name(params: dict) -> str:
    data = params["data"]
    return {"videos": data["videos"], "community": data["community_file"]}.get(data["source"], "synthetic data")


READS = (
    "data.source",
    "data.videos",  # the dataset's name, recorded in the index
    "data.community_file",
    "data.audio_dim",
    "data.visual_dim",
    "fusion.heads",
    "index",
)


def main() -> None:
    params = load_params(reads=READS)
    import keras

    from evaluate.retrieval_index import RetrievalIndex, files_fingerprint, write_index
    from extract.feature_store import read_features
    from model.eics.embedding import fused_embeddings
    from model.linear_cca import LinearCCA

    features = read_features(paths.FEATURES, *feature_dims(params))
    model = keras.saving.load_model(paths.MODEL)
    fusion = LinearCCA.load(paths.FUSION)
    parts = {"audio": [], "visual": [], "ids": [], "labels": [], "split": []}
    for name, split in features.splits.items():
        audio, visual = fused_embeddings(model, fusion, split.audio, split.visual, params["fusion"]["heads"])
        parts["audio"].append(audio)
        parts["visual"].append(visual)
        parts["ids"].append(split.ids)
        parts["labels"].append(split.labels)
        parts["split"].append(np.full(len(split), name, dtype=object))
    joined = {k: np.concatenate(v) for k, v in parts.items()}
    videos = clip_paths(params["data"]["source"])
    x = params["index"]
    thumbs, missing = thumbnails(joined["ids"], videos, x["thumbnail_at"], x["thumbnail_width"])
    index = RetrievalIndex(
        audio=joined["audio"],
        visual=joined["visual"],
        ids=joined["ids"],
        labels=joined["labels"],
        split=joined["split"],
        paths=np.array([videos.get(i, "") for i in joined["ids"]], dtype=object),
        thumbnails=thumbs,
        class_names=features.class_names,
        source=params["data"]["source"],
        backbone=features.backbone,
        model_fingerprint=files_fingerprint(paths.MODEL, paths.FUSION),
        dataset=f"{dataset_name(params)} ({features.n_classes} classes, {len(joined['ids'])} clips)",
    )
    write_index(index, paths.INDEX)
    note = f", {missing} without thumbnail" if missing else ""
    print(
        f"index: {paths.INDEX} ({len(index)} clips, {index.audio.shape[1]}-D, "
        f"{sum(bool(t) for t in thumbs)} thumbnails{note})"
    )


if __name__ == "__main__":
    run(main, reads=READS)
