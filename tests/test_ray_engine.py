"""The Ray engine writes the local engine's shards: same bytes, same skip list, same resume."""
from functools import partial
from pathlib import Path

import h5py
import numpy as np
import pytest

from extract.manifest import build_manifest
from extract.ray_engine import RaySettings, extract_with_ray
from extract.sample import write_sample
from extract.shards import Modality, extract

pytestmark = pytest.mark.ray


def standin_modality(name: str, load_backbone: bool = True) -> Modality:
    """The sample's stand-in backbones, built the way the extract stages build them (module
    level, so Ray can send it to its workers by reference)."""
    from extract.audio_frontend import examples
    from extract.backbones import standin_audio, standin_visual
    from extract.constants import IMAGE_SIZE
    from extract.decode import decode_audio, decode_frames_1fps

    if name == "audio":
        backbone = standin_audio("vggish") if load_backbone else None
        return Modality("audio", "standin-audio", lambda path: examples(decode_audio(path), preset="vggish"),
                        backbone.infer if backbone else None, 16)
    backbone = standin_visual() if load_backbone else None
    return Modality("visual", "standin-visual", lambda path: decode_frames_1fps(path, size=IMAGE_SIZE),
                    backbone.embed if backbone else None, 16)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    write_sample(root, ("siren", "drum"), 3, seed=3)
    (root / "drum" / "broken.mp4").write_bytes(b"not a video at all")
    return [c for c in build_manifest(root, (0.7, 0.1, 0.2), seed=0) if not c.skip_reason]


def shard_contents(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("shard_*.h5")):
        with h5py.File(path, "r") as f:
            out.append({key: f[key][()] for key in f} | {"fingerprint": f.attrs["fingerprint"], "name": path.name})
    return out


def assert_same_shards(a: Path, b: Path) -> None:
    left, right = shard_contents(a), shard_contents(b)
    assert len(left) == len(right) > 0
    for x, y in zip(left, right):
        assert x.keys() == y.keys()
        for key in x:
            assert np.array_equal(x[key], y[key]), (x["name"], key)


def ray_extract(clips, name, out, settings=RaySettings("", 1, 0, 1)):
    extract_with_ray(
        clips,
        standin_modality(name),
        partial(standin_modality, name),
        partial(standin_modality, name, False),
        out,
        2,
        settings,
        log=lambda message: None,
    )


def test_ray_writes_the_local_shards_byte_for_byte_through_a_dying_actor(ray_runtime, clips, tmp_path):
    ray_runtime.write_text("die once")
    ray_extract(clips, "visual", tmp_path / "ray")
    assert not ray_runtime.exists()  # one actor removed the marker and killed its own process; Ray retried
    extract(clips, standin_modality("visual"), tmp_path / "local", shard_size=2, log=lambda message: None)
    assert_same_shards(tmp_path / "local", tmp_path / "ray")
    skipped = [s["skipped_ids"] for s in shard_contents(tmp_path / "ray")]
    assert sum(len(s) for s in skipped) == 1 and b"drum/broken" in np.concatenate(skipped)  # recorded, not fatal


def test_ray_resumes_from_the_completed_shards_and_matches_local_audio(ray_runtime, clips, tmp_path):
    out = tmp_path / "shards"
    extract(clips, standin_modality("audio"), out, shard_size=2, log=lambda message: None)
    reference = shard_contents(out)
    (out / "shard_00001.h5").unlink()  # as if the run was killed before this shard was written
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("shard_*.h5")}
    messages = []
    extract_with_ray(clips, standin_modality("audio"), partial(standin_modality, "audio"),
                     partial(standin_modality, "audio", False), out, 2, RaySettings("", 1, 0, 1), log=messages.append)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("shard_*.h5") if p.name in kept} == kept
    assert "already done, resuming" in messages[0] and len(messages) == 2  # the resume line, then the one shard
    again = shard_contents(out)
    assert all(np.array_equal(x[k], y[k]) for x, y in zip(reference, again) for k in x)
