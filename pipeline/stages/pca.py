"""Stage `pca`: fit the visual PCA on the frames of training clips only."""
from __future__ import annotations

import numpy as np

from pipeline.settings import paths
from pipeline.settings.params import load_params
from pipeline.stage import StageError, run

READS = (
    "data.source",
    "extract.pca_dim",
    "extract.pca_whiten",
)


def main() -> None:
    from extract.atomic_files import write_npz
    from extract.constants import VISUAL_DIM
    from extract.manifest import read_manifest
    from extract.pca import PCAError, fit_pca, resolve_dim, save_pca
    from extract.shards import read_shards

    params = load_params(reads=READS)
    if params["extract"]["pca_dim"] != "auto" and params["extract"]["pca_dim"] > VISUAL_DIM:
        raise StageError(f"params.yaml: extract.pca_dim must be <= {VISUAL_DIM} (the visual backbone's size), "
                         f"got {params['extract']['pca_dim']}")
    paths.PCA.parent.mkdir(parents=True, exist_ok=True)
    if params["data"]["source"] != "videos":
        write_npz(paths.PCA, {"unused": np.array(params["data"]["source"])})
        print(f"pca: not used (data.source: {params['data']['source']})")
        return
    visual, _, _ = read_shards(paths.EXTRACT / "visual")
    audio, _, _ = read_shards(paths.EXTRACT / "audio")
    train_ids = [
        c.clip_id
        for c in read_manifest(paths.MANIFEST)
        if c.split == "train" and not c.skip_reason and c.clip_id in visual and c.clip_id in audio
    ]
    x = params["extract"]
    dim = resolve_dim(x["pca_dim"], sum(len(visual[i]) for i in train_ids), VISUAL_DIM)
    try:
        pca = fit_pca((visual[i] for i in train_ids), dim, x["pca_whiten"])
    except PCAError as err:
        raise StageError(str(err)) from None
    save_pca(pca, paths.PCA)
    kept = float(pca.explained_variance_ratio_.sum())
    chosen = f" (extract.pca_dim auto: {dim})" if x["pca_dim"] == "auto" else ""
    print(f"pca: {VISUAL_DIM} -> {dim} on {len(train_ids)} training clips{chosen}, {kept:.1%} of the variance kept")


if __name__ == "__main__":
    run(main, reads=READS)
