"""Stage `sample`: write the bundled sample clips (real mp4 files) to data/sample, when the
pipeline reads them (data.source: videos with data.videos: data/sample); otherwise the folder
holds only a README, so a run on another dataset does not pay for generating them."""
from __future__ import annotations

from extract.sample import CLASSES, write_sample
from pipeline.settings import paths
from pipeline.settings.params import load_params
from pipeline.stage import run

READS = (
    "data.source",
    "data.videos",
    "sample",
)


def main() -> None:
    params = load_params(reads=READS)
    data, s = params["data"], params["sample"]
    if data["source"] != "videos" or not paths.is_bundled_sample(data["videos"]):
        paths.SAMPLE.mkdir(parents=True, exist_ok=True)
        # the folder says why it holds no clips
        (paths.SAMPLE / "README.txt").write_text("The bundled sample's clips are written here only when "
                                                 "data.videos is data/sample.\n")
        print(f"sample: not used (data.source: {data['source']}, data.videos: {data['videos']})")
        return
    clips = write_sample(paths.SAMPLE, CLASSES[: s["classes"]], s["clips_per_class"], s["seed"])
    print(f"sample: {len(clips)} clips in {paths.SAMPLE}")


if __name__ == "__main__":
    run(main, reads=READS)
