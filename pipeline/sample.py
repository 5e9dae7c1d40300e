"""Stage `sample`: write the bundled sample clips (real mp4 files) to data/sample."""
from __future__ import annotations

from extract.sample import CLASSES, write_sample
from pipeline import paths
from pipeline.params import load_params
from pipeline.stage import run


def main() -> None:
    s = load_params()["sample"]
    clips = write_sample(paths.SAMPLE, CLASSES[: s["classes"]], s["clips_per_class"], s["seed"])
    print(f"sample: {len(clips)} clips in {paths.SAMPLE}")


if __name__ == "__main__":
    run(main)
