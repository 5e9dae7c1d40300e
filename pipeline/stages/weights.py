"""Stage `weights`: resolve the pretrained backbones once into models/pretrained/ (a DVC
output, so `dvc push` / `dvc pull` share them and later runs need no network)."""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.settings import paths
from pipeline.settings.backbones import BACKBONE_READS, use_standin
from pipeline.settings.params import load_params
from pipeline.stage import StageError, run

READS = BACKBONE_READS


def main() -> None:
    from extract.backbones import WeightsUnavailable, resolve_inception, resolve_vggish

    params = load_params(reads=READS)
    x = params["extract"]
    for key in ("vggish", "inception"):
        if paths.PRETRAINED.resolve() in (Path(x[key]).resolve(), *Path(x[key]).resolve().parents):
            raise StageError(f"extract.{key} points inside {paths.PRETRAINED}, which this stage rewrites; "
                             "keep downloaded weights elsewhere, e.g. models/downloads/")
    shutil.rmtree(paths.PRETRAINED, ignore_errors=True)
    paths.PRETRAINED.mkdir(parents=True)
    if params["data"]["source"] != "videos" or use_standin(params):
        (paths.PRETRAINED / "README.txt").write_text(
            "No pretrained weights needed: stand-in backbones or no extraction.\n"
        )
        print("weights: not needed (stand-in backbones or no extraction)")
        return
    try:
        resolve_vggish(x["vggish"], paths.PRETRAINED_VGGISH)
        resolve_inception(x["inception"], paths.PRETRAINED_INCEPTION)
    except WeightsUnavailable as err:
        raise StageError(str(err)) from None
    print(f"weights: VGGish and InceptionV3 stored in {paths.PRETRAINED}")


if __name__ == "__main__":
    run(main, reads=READS)
