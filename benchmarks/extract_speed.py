"""Visual extraction throughput on sample clips with the real InceptionV3 architecture
(random weights, weights=None: the same compute as the pretrained network).

Prints, from one run: end-to-end extraction (decoding in a background thread, frames
batched across clips, shards written) against backbone-only inference on the same
already-decoded frames, against a one-frame-at-a-time loop, and the peak memory of the
extraction for 1x and 4x as many clips (each in a fresh process).
Run: python -m benchmarks.extract_speed
"""
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CLASSES = ("siren", "drum", "bird", "engine", "bell", "gong")


def inception_backbone():
    import keras

    from extract.backbones import VisualBackbone, prepare_images

    net = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None)
    return VisualBackbone("inceptionv3 (random weights)", lambda frames: net(prepare_images(frames), training=False).numpy())


def clips_in(root, per_class):
    from extract.manifest import build_manifest
    from extract.sample import write_sample

    write_sample(root, CLASSES, per_class, seed=0)
    return [c for c in build_manifest(root) if int(Path(c.path).stem.rsplit("_", 1)[1]) < per_class]


def extraction(root, per_class, out):
    from extract.decode import decode_frames_1fps
    from extract.shards import Modality, extract

    import numpy as np

    clips = clips_in(root, per_class)
    backbone = inception_backbone()
    backbone.embed(np.zeros((32, 96, 128, 3), np.uint8))  # warm-up, as the backbone-only timing gets
    modality = Modality("visual", backbone.name, decode_frames_1fps, backbone.embed, batch_size=32)
    started = time.perf_counter()
    extract(clips, modality, out, shard_size=8, log=lambda m: None)
    return clips, backbone, time.perf_counter() - started


def memory_probe(root, per_class):
    with tempfile.TemporaryDirectory() as out:
        extraction(root, per_class, out)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main():
    import numpy as np

    from extract.decode import decode_frames_1fps

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "clips"
        clips, backbone, end_to_end = extraction(root, 4, Path(tmp) / "shards")
        frames = [decode_frames_1fps(c.path)[1] for c in clips]
        n_frames = sum(len(f) for f in frames)
        stacked = np.concatenate(frames)
        started = time.perf_counter()
        for i in range(0, len(stacked), 32):
            backbone.embed(stacked[i:i + 32])
        backbone_only = time.perf_counter() - started
        started = time.perf_counter()
        for c in clips:
            for frame in decode_frames_1fps(c.path)[1]:
                backbone.embed(frame[None])
        one_at_a_time = time.perf_counter() - started
        peaks = []
        for per_class in (2, 8):
            out = subprocess.run([sys.executable, "-m", "benchmarks.extract_speed", "--memory", str(root), str(per_class)],
                                 capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=os.getcwd()))
            peaks.append(int(out.stdout.split()[-1]) / 1024)
    print(f"{len(clips)} clips, {n_frames} frames at 1 fps")
    print(f"end-to-end extraction:  {n_frames / end_to_end:6.1f} frames/s")
    print(f"backbone only:          {n_frames / backbone_only:6.1f} frames/s  -> end-to-end reaches {backbone_only / end_to_end:.0%} of it")
    print(f"one frame at a time:    {n_frames / one_at_a_time:6.1f} frames/s  -> batched pipeline is {one_at_a_time / end_to_end:.1f}x faster")
    print(f"peak memory, {2 * len(CLASSES)} clips: {peaks[0]:.0f} MiB; {8 * len(CLASSES)} clips (4x): {peaks[1]:.0f} MiB "
          f"(ratio {peaks[1] / peaks[0]:.2f})")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory":
        memory_probe(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
