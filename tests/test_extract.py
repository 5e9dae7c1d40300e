"""Extraction from raw videos: decoding, front end, backbones, weights, PCA, shards, bad input."""
import hashlib
import shutil
from fractions import Fraction

import numpy as np
import pytest
import tensorflow as tf

from extract import audio_frontend
from extract.backbones import (
    WeightsUnavailable,
    load_inception,
    load_vggish,
    resolve_inception,
    resolve_vggish,
    standin_audio,
    standin_visual,
)
from extract.constants import MEL_MAX_HZ, MEL_MIN_HZ, N_MELS
from extract.decode import decode_audio, decode_frames_1fps
from extract.manifest import build_manifest, read_manifest, write_manifest
from extract.pca import PCAError, fit_pca
from extract.sample import HEIGHT, WIDTH, write_mp4, write_sample
from extract.shards import Modality, extract, read_shards


def frames_for(seconds, fps):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(int(seconds * fps))]


def tone(seconds, freq=1000.0, rate=22050):
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("fps", [Fraction(15), Fraction(25, 2), Fraction(30000, 1001)])
def test_decode_round_trip(tmp_path, fps):
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames_for(5.0, fps), fps, tone(5.0), 22050)
    waveform = decode_audio(path)
    assert waveform.dtype == np.float32 and abs(len(waveform) / 16000 - 5.0) < 0.1
    seconds, frames = decode_frames_1fps(path)
    assert list(seconds) == [0, 1, 2, 3, 4, 5] or list(seconds) == [0, 1, 2, 3, 4]
    assert frames.shape[1:] == (HEIGHT, WIDTH, 3) and frames.dtype == np.uint8


def test_pure_tone_lands_in_the_expected_mel_band():
    rate = 16000
    t = np.arange(3 * rate) / rate
    for freq in (500.0, 2000.0):
        mel = audio_frontend.log_mel(np.sin(2 * np.pi * freq * t).astype(np.float32), rate, "vggish")
        import librosa

        centres = librosa.mel_frequencies(
            N_MELS + 2, fmin=MEL_MIN_HZ, fmax=MEL_MAX_HZ, htk=True
        )[1:-1]
        assert abs(int(mel.mean(axis=0).argmax()) - int(np.abs(centres - freq).argmin())) <= 1


def test_example_count_for_a_duration():
    for seconds, expected in ((1.0, 1), (2.0, 2), (5.0, 5), (0.5, 0)):
        starts, ex = audio_frontend.examples(np.zeros(int(seconds * 16000), np.float32), preset="vggish")
        assert ex.shape == (expected, 96, 64) and np.allclose(starts, np.arange(expected) * 0.96)
    _, paper = audio_frontend.examples(np.zeros(10 * 16000, np.float32), preset="paper")
    assert len(paper) == (1 + (10 * 16000 - 2048) // 512) // 96


def test_standin_shapes_and_determinism():
    a1, a2 = standin_audio("vggish"), standin_audio("vggish")
    w = np.random.default_rng(0).standard_normal(3 * 16000).astype(np.float32)
    starts, rows = a1.embed(w)
    assert rows.shape == (3, 128) and len(starts) == 3
    np.testing.assert_array_equal(rows, a2.embed(w)[1])
    frames = np.random.default_rng(1).integers(0, 255, (4, HEIGHT, WIDTH, 3), dtype=np.uint8)
    out = standin_visual().embed(frames)
    assert out.shape == (4, 2048) and out.min() >= 0  # ReLU'd like InceptionV3's pooled features


def test_compiled_embedding_gives_the_eager_rows_for_any_batch_size():
    import keras

    from extract.backbones import compiled_embedding, prepare_images

    net = keras.Sequential([keras.Input((299, 299, 3)), keras.layers.Conv2D(8, 3, strides=4, activation="relu"),
                            keras.layers.BatchNormalization(), keras.layers.GlobalAveragePooling2D()])
    embed = compiled_embedding(net)
    for n in (1, 3, 5):  # one graph for every batch size (the last batch of a shard is shorter)
        frames = np.random.default_rng(n).integers(0, 255, (n, HEIGHT, WIDTH, 3), dtype=np.uint8)
        eager = net(prepare_images(frames), training=False).numpy()
        rows = embed(frames)
        assert rows.shape == (n, 8)
        np.testing.assert_allclose(rows, eager, rtol=1e-6, atol=1e-7)


class TinyVGGish(tf.Module):
    """A VGGish double that frames exactly as the published model (tensorflow/models
    research/audioset/vggish: mel_features.py / vggish_input.py): 16 kHz waveform, STFT with
    a 400-sample window and 160-sample hop and no end padding, 64 mel bands 125-7500 Hz,
    log(mel + 0.01), non-overlapping 96-frame examples; then a fixed random projection to 128-D."""

    def __init__(self):
        super().__init__()
        self.mel = tf.constant(tf.signal.linear_to_mel_weight_matrix(64, 257, 16000, 125.0, 7500.0))
        self.w = tf.Variable(tf.random.stateless_normal((64, 128), seed=(1, 2)))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, waveform):
        spectrum = tf.abs(tf.signal.stft(waveform, 400, 160, 512, window_fn=tf.signal.hann_window, pad_end=False))
        log_mel = tf.math.log(tf.matmul(spectrum, self.mel) + 0.01)
        examples = tf.signal.frame(log_mel, 96, 96, axis=0)  # no padding: a partial example is dropped
        return tf.matmul(tf.reduce_mean(examples, axis=1), self.w)


@pytest.fixture(scope="module")
def vggish_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "vggish"
    tf.saved_model.save(TinyVGGish(), str(path))
    return path


def test_the_double_frames_as_vggish_does(vggish_dir):
    model = tf.saved_model.load(str(vggish_dir))
    for n in (1, 2, 5):  # exactly n x 0.96 s: 96n - 2 STFT frames, so n - 1 examples
        assert model(tf.zeros(n * 15360)).shape[0] == n - 1
        assert model(tf.zeros(n * 15360 + 240)).shape[0] == n  # with the 15 ms of context


def test_vggish_saved_model_loads_and_resolves_through_the_real_path(vggish_dir, tmp_path):
    backbone = load_vggish(str(vggish_dir))
    waveform = np.random.default_rng(0).standard_normal(int(2.5 * 16000)).astype(np.float32)
    starts, rows = backbone.embed(waveform)
    assert rows.shape == (2, 128) and np.allclose(starts, [0, 0.96])
    resolve_vggish(str(vggish_dir), tmp_path / "pretrained" / "vggish")
    np.testing.assert_allclose(load_vggish(str(tmp_path / "pretrained" / "vggish")).embed(waveform)[1], rows, rtol=1e-6)


@pytest.mark.parametrize("seconds", [0.96, 1.92, 2.0, 2.5, 4.8, 4.81])
def test_one_audio_row_per_start_at_any_length(vggish_dir, seconds):
    backbone = load_vggish(str(vggish_dir))
    waveform = np.random.default_rng(1).standard_normal(int(round(seconds * 16000))).astype(np.float32)
    starts, rows = backbone.embed(waveform)
    assert len(starts) == len(rows) == int(round(seconds * 16000)) // 15360


def test_hub_imports_and_loads_a_local_saved_model_through_the_same_path(vggish_dir, monkeypatch):
    import tensorflow_hub as hub

    from extract import backbones

    direct = backbones.vggish_model(str(vggish_dir))  # a directory: tf.saved_model.load
    monkeypatch.setattr(backbones.Path, "is_dir", lambda self: False)  # treat it as a handle: hub.load
    via_hub = backbones.vggish_model(str(vggish_dir))
    waveform = tf.random.stateless_normal((3 * 15360 + 240,), seed=(3, 4))
    np.testing.assert_allclose(via_hub(waveform).numpy(), direct(waveform).numpy(), rtol=1e-6)
    assert hasattr(hub, "load")


def test_a_backbone_that_frames_differently_stops_with_a_clear_error(vggish_dir):
    from extract.rows import BackboneOutputError

    backbone = load_vggish(str(vggish_dir))
    backbone.prepare = lambda w: (np.arange(len(w) // 15360) * 0.96, w[: (len(w) // 15360) * 15360])  # no context
    with pytest.raises(BackboneOutputError, match="returned 2 row\\(s\\) for 3 example start"):
        backbone.embed(np.zeros(3 * 15360, np.float32))


def test_inception_h5_loads_and_resolves_through_the_real_path(tmp_path):
    import keras

    net = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None)
    net.save_weights(tmp_path / "inception.weights.h5")
    backbone = load_inception(str(tmp_path / "inception.weights.h5"))
    frames = np.random.default_rng(0).integers(0, 255, (2, HEIGHT, WIDTH, 3), dtype=np.uint8)
    expected = net(keras.applications.inception_v3.preprocess_input(
        tf.image.resize(tf.convert_to_tensor(frames, tf.float32), (299, 299))), training=False).numpy()
    np.testing.assert_allclose(backbone.embed(frames), expected, rtol=1e-4, atol=1e-5)
    resolve_inception(str(tmp_path / "inception.weights.h5"), tmp_path / "resolved.weights.h5")
    np.testing.assert_allclose(
        load_inception(str(tmp_path / "resolved.weights.h5")).embed(frames), expected, rtol=1e-4, atol=1e-5
    )


def test_standin_by_default_only_for_the_bundled_sample_and_elsewhere_when_chosen():
    from pipeline.settings.backbones import use_standin

    def params(backbone, videos):
        return {"extract": {"backbone": backbone}, "data": {"videos": videos}}

    assert use_standin(params("auto", "data/sample")) and not use_standin(params("auto", "data/vegas"))
    assert not use_standin(params("pretrained", "data/sample"))
    assert use_standin(params("standin", "data/vegas"))  # a smoke test of a user's folder, labelled stand-in


def test_missing_weights_name_the_param(tmp_path):
    with pytest.raises(WeightsUnavailable, match="extract.inception"):
        load_inception(str(tmp_path / "missing.h5"))
    with pytest.raises(WeightsUnavailable, match="extract.vggish"):
        load_vggish(str(tmp_path / "no_such_handle"))


def test_pca_needs_enough_training_frames_and_sees_only_what_it_is_given():
    rng = np.random.default_rng(0)
    with pytest.raises(PCAError, match="needs at least 8 training frames"):
        fit_pca([rng.standard_normal((3, 16))], 8)
    train = [rng.standard_normal((5, 16)) + 10 for _ in range(20)]
    pca = fit_pca(iter(train), 4, chunk=8)
    np.testing.assert_allclose(pca.mean_, np.concatenate(train).mean(axis=0), atol=1e-9)


def test_pca_dim_auto_takes_the_papers_size_or_what_the_training_frames_allow():
    from extract.pca import resolve_dim
    from pipeline.settings.params import validate

    assert resolve_dim("auto", 373, 2048) == 373  # a small collection: every training frame's worth
    assert resolve_dim("auto", 200_000, 2048) == 1024  # VEGAS-sized: the paper's 1024
    assert resolve_dim(64, 10, 2048) == 64  # a number is taken as given (fit_pca refuses too few frames)
    chosen = validate({"extract": {"pca_dim": "auto"}, "data": {"visual_dim": 1024}})
    assert chosen["extract"]["pca_dim"] == "auto"  # a visual_dim assertion is checked against the file later


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    """A folder of good and bad clips, the way users' folders go wrong."""
    root = tmp_path_factory.mktemp("videos")
    (root / "good").mkdir()
    (root / "bad").mkdir()
    for i in range(3):
        write_mp4(root / "good" / f"g{i}.mp4", frames_for(3, 15), Fraction(15), tone(3), 22050)
    write_mp4(root / "good" / "odd_rate.mp4", frames_for(3, Fraction(25, 2)), Fraction(25, 2), tone(3), 16000)
    write_mp4(root / "good" / "silent.mp4", frames_for(3, 15), Fraction(15), np.zeros(3 * 22050, np.float32), 22050)
    write_mp4(root / "bad" / "no_audio.mp4", frames_for(3, 15), Fraction(15), None, 22050)
    write_mp4(root / "bad" / "no_video.mp4", None, Fraction(15), tone(3), 22050)
    write_mp4(root / "bad" / "short.mp4", frames_for(0.5, 15), Fraction(15), tone(0.5), 22050)
    good = (root / "good" / "g0.mp4").read_bytes()
    (root / "bad" / "truncated.mp4").write_bytes(good[: len(good) // 3])
    (root / "bad" / "corrupt.mp4").write_bytes(good[:48] + bytes(range(256)) * 20)
    (root / "bad" / "empty.mp4").write_bytes(b"")
    (root / "bad" / "text.mp4").write_text("this is not a video\n")
    write_mp4(root / "good" / "g0.mkv", frames_for(3, 15), Fraction(15), tone(3), 22050)  # same id as g0.mp4
    return root


def test_bad_input_battery_is_recorded_and_never_nan(battery, tmp_path):
    clips = build_manifest(battery, (0.7, 0.1, 0.2), seed=0)
    duplicate = [c for c in clips if c.skip_reason]
    assert [c.clip_id for c in duplicate] == ["good/g0"] and "duplicate" in duplicate[0].skip_reason
    clips = [c for c in clips if not c.skip_reason] + [
        type(clips[0])("bad/missing", str(battery / "bad" / "missing.mp4"), "bad", "train")
    ]
    audio = standin_audio("vggish")
    modality = Modality(
        "audio", audio.name, lambda p: (decode_frames_1fps(p), audio.prepare(decode_audio(p)))[1], audio.infer
    )
    extract(clips, modality, tmp_path / "audio", shard_size=4, log=lambda m: None)
    rows, skips, _ = read_shards(tmp_path / "audio")
    assert set(rows) == {"good/g0", "good/g1", "good/g2", "good/odd_rate", "good/silent"}
    assert set(skips) == {"bad/no_audio", "bad/no_video", "bad/short", "bad/truncated", "bad/corrupt", "bad/empty",
                          "bad/text", "bad/missing"}
    assert "no audio track" in skips["bad/no_audio"] and "video" in skips["bad/no_video"]
    assert "shorter than 1 s" in skips["bad/short"]
    assert all(np.isfinite(r).all() and len(r) for r in rows.values())


def test_resume_after_a_kill_gives_identical_shards(battery, tmp_path):
    clips = [c for c in build_manifest(battery, (0.7, 0.1, 0.2), seed=0) if not c.skip_reason and c.label == "good"]
    visual = standin_visual()
    modality = Modality("visual", visual.name, decode_frames_1fps, visual.embed, batch_size=8)
    extract(clips, modality, tmp_path / "full", shard_size=2, log=lambda m: None)
    extract(clips, modality, tmp_path / "resumed", shard_size=2, log=lambda m: None)
    # simulate a kill -9 during shard 2: its file never got renamed into place, a temp file is left
    (tmp_path / "resumed" / "shard_00001.h5").rename(tmp_path / "resumed" / "shard_00001.h5.tmp")
    messages = []
    extract(clips, modality, tmp_path / "resumed", shard_size=2, log=messages.append)
    assert "already done, resuming" in messages[0]
    full, _, _ = read_shards(tmp_path / "full")
    resumed, _, _ = read_shards(tmp_path / "resumed")
    assert full.keys() == resumed.keys()
    for k in full:
        np.testing.assert_array_equal(full[k], resumed[k])


def test_manifest_split_is_a_seeded_hash_of_the_id_and_respects_a_csv_split(tmp_path):
    ids = [f"class{i % 4}/clip_{i:05d}" for i in range(20000)]
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("path,label\n" + "".join(f"{i}.mp4,{i.split('/')[0]}\n" for i in ids))
    clips = build_manifest(csv_path, (0.7, 0.1, 0.2), seed=3)
    for k, clip in enumerate(clips[:50]):  # the rule, recomputed here: u from the first 8 bytes of sha256("3\0id")
        u = int(hashlib.sha256(f"3\0{ids[k]}".encode()).hexdigest()[:16], 16) / 2**64
        assert clip.split == ("train" if u < 0.7 else "val" if u < 0.8 else "test")
    for label in ("class0", "class3"):  # per class, Binomial shares: within 4 standard deviations of the fractions
        splits = [c.split for c in clips if c.label == label]
        n = len(splits)
        for split, f in (("train", 0.7), ("val", 0.1), ("test", 0.2)):
            assert abs(splits.count(split) - n * f) < 4 * (n * f * (1 - f)) ** 0.5
    other_seed = build_manifest(csv_path, (0.7, 0.1, 0.2), seed=4)
    assert 0.4 < np.mean([a.split != b.split for a, b in zip(clips, other_seed)]) < 0.55  # 1 - (.49 + .01 + .04)
    write_manifest(clips[:30], tmp_path / "m.csv")
    assert read_manifest(tmp_path / "m.csv") == clips[:30]
    csv_path.write_text("path,label,split\n" + "".join(f"{i}.mp4,x,test\n" for i in ids[:5]))
    assert {c.split for c in build_manifest(csv_path, (0.7, 0.1, 0.2), seed=0)} == {"test"}


def test_a_class_without_a_usable_clip_in_a_split_stops_the_manifest():
    from extract.manifest import Clip, ManifestError, check_split_counts

    clips = [Clip(f"a/{s}", "p", "a", s) for s in ("train", "val", "test")]
    clips += [Clip("b/0", "p", "b", "train"), Clip("b/1", "p", "b", "val"), Clip("b/2", "p", "b", "test", "empty file")]
    with pytest.raises(ManifestError, match="class 'b' has no usable clip in the test split"):
        check_split_counts(clips)
    assert check_split_counts(clips[:3]) == {"a": {"train": 1, "val": 1, "test": 1}}


def test_bad_and_new_clips_move_no_existing_clip_and_get_distinct_reasons(battery, tmp_path):
    from pipeline.stages.manifest import probed

    root = tmp_path / "videos"
    write_sample(root, classes=("siren", "drum"), clips_per_class=6, seed=0)
    before = {c.clip_id: c.split for c in probed(build_manifest(root, (0.7, 0.1, 0.2), seed=1))}
    for name in ("truncated", "text", "empty"):
        shutil.copy(battery / "bad" / f"{name}.mp4", root / "drum" / f"{name}.mp4")
    for k in range(2):
        shutil.copy(root / "siren" / "siren_00.mp4", root / "siren" / f"new_{k}.mp4")
    after = {c.clip_id: c for c in probed(build_manifest(root, (0.7, 0.1, 0.2), seed=1))}
    assert {i: after[i].split for i in before} == before
    assert not after["siren/new_0"].skip_reason and not after["siren/new_1"].skip_reason
    reasons = {name: after[f"drum/{name}"].skip_reason for name in ("truncated", "text", "empty")}
    assert reasons["truncated"].startswith("truncated or corrupt mp4/mov container")
    assert reasons["text"].startswith("not a media file") and reasons["empty"] == "empty file"


def test_probe_names_what_is_wrong(battery, tmp_path):
    from extract.probe import probe

    broken = "truncated or corrupt mp4/mov container"
    expected = {"no_audio": "no audio stream", "no_video": "no video stream", "short": "too short",
                "truncated": broken, "corrupt": broken, "empty": "empty file", "text": "not a media file",
                "missing": "missing file"}
    for name, reason in expected.items():
        assert probe(battery / "bad" / f"{name}.mp4").reason.startswith(reason), name
    assert probe(battery / "good" / "g0.mp4") is None and probe(battery / "good" / "odd_rate.mp4") is None


def test_audio_rows_do_not_depend_on_batch_or_shard(vggish_dir, tmp_path):
    from types import SimpleNamespace

    from extract.shards import Modality, extract, read_shards

    backbone = load_vggish(str(vggish_dir))
    rng = np.random.default_rng(7)
    lengths = [1.0, 2.3, 0.97, 3.84, 5.1, 1.5, 2.88]  # several clips end within 15 ms of an example boundary
    waves = {f"clip{i}.wav": rng.standard_normal(int(s * 16000)).astype(np.float32) for i, s in enumerate(lengths)}
    clips = [SimpleNamespace(clip_id=f"c{i}", path=p) for i, p in enumerate(waves)]
    modality = Modality("audio", backbone.name, lambda p: backbone.prepare(waves[p]), backbone.infer,
                        batch_size=3, per_clip=True)
    alone = {c.clip_id: backbone.embed(waves[c.path])[1] for c in clips}
    for shard_size in (1, 3, 7):
        out = tmp_path / f"shards{shard_size}"
        extract(clips, modality, out, shard_size=shard_size, log=lambda m: None)
        rows, skipped, _ = read_shards(out)
        assert not skipped
        for c, seconds in zip(clips, lengths):
            assert len(rows[c.clip_id]) == int(seconds * 16000) // 15360  # one row per 0.96 s start
            np.testing.assert_array_equal(rows[c.clip_id], alone[c.clip_id])


def test_visual_stage_takes_clips_of_mixed_resolutions_and_orientations(tmp_path):
    from types import SimpleNamespace

    from extract.sample import write_mp4
    from extract.shards import extract, read_shards
    from pipeline.settings.backbones import modality

    sizes = [(96, 128), (240, 320), (360, 640), (320, 180)]  # (height, width); the last one is portrait
    rng = np.random.default_rng(0)
    clips = []
    for i, (h, w) in enumerate(sizes):
        frames = [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(3 * 10)]  # 3 s at 10 fps
        path = tmp_path / f"clip{i}.mp4"
        write_mp4(path, frames, 10, 0.1 * rng.standard_normal(3 * 16000).astype(np.float32), 16000)
        clips.append(SimpleNamespace(clip_id=f"c{i}", path=str(path)))
    params = {"extract": {"backbone": "standin", "batch_size": 5, "audio_frontend": "vggish"},
              "data": {"videos": "data/sample"}}
    extract(clips, modality("visual", params), tmp_path / "visual", shard_size=4, log=lambda m: None)
    rows, skipped, _ = read_shards(tmp_path / "visual")
    assert not skipped
    expected = [(len(decode_frames_1fps(c.path)[0]), 2048) for c in clips]  # one row per whole second
    assert [rows[c.clip_id].shape for c in clips] == expected
    times, frames = decode_frames_1fps(clips[3].path, size=299)
    assert frames.shape == (expected[3][0], 299, 299, 3)


def test_decode_side_never_imports_tensorflow():
    """Ray decode tasks and the Ray driver build the modalities without weights; importing
    TensorFlow there would cost each of those processes ~10 s for nothing."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from pipeline.settings.backbones import modality\n"
            "from pipeline.settings.params import load_params\n"
            "import extract.ray_engine\n"
            "params = load_params()\n"
            "for name in ('audio', 'visual'):\n"
            "    modality(name, params, True, False)\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_a_clip_replaced_in_place_under_a_csv_changes_only_its_shards_stamp(tmp_path):
    """The manifest records each clip's content digest and a shard's stamp holds its clips' digests: a clip
    replaced under the same name re-runs the extraction of its shard only (DVC sees the replacement through
    data.clips_root, a dependency of `manifest`)."""
    from extract.shards import plan_shards
    from pipeline.stages.manifest import check_watched, probed

    clips_dir = tmp_path / "clips"
    (clips_dir / "a").mkdir(parents=True)
    for i in range(4):
        write_mp4(clips_dir / "a" / f"c{i}.mp4", frames_for(2, 10), Fraction(10), tone(2, 400 + 100 * i), 22050)
    listing = tmp_path / "list.csv"
    listing.write_text("path,label,split\n" + "".join(f"clips/a/c{i}.mp4,a,train\n" for i in range(4)))
    modality = Modality("visual", "standin-visual", None, None, settings="s")

    def stamps():
        manifest = probed(build_manifest(listing, (0.7, 0.1, 0.2), 1))
        check_watched(manifest, str(clips_dir))
        return plan_shards(manifest, modality, tmp_path / "shards", 2).stamps

    before = stamps()
    write_mp4(clips_dir / "a" / "c3.mp4", frames_for(2, 10), Fraction(10), tone(2, 900), 22050)  # same name
    after = stamps()
    assert before[0] == after[0] and before[1] != after[1]
    from pipeline.stage import StageError

    with pytest.raises(StageError, match="lies outside"):
        check_watched(probed(build_manifest(listing, (0.7, 0.1, 0.2), 1)), str(tmp_path / "elsewhere"))


def test_a_shard_made_by_other_row_making_code_is_extracted_again(tmp_path, monkeypatch):
    """A shard's stamp holds a digest of the code that makes rows, so an edit to decoding, the front end
    or a backbone re-extracts finished shards instead of resuming with rows the new code would not make."""
    from types import SimpleNamespace

    import h5py

    import pipeline.code_listing
    from extract.shards import plan_shards, shard_path
    from pipeline.code_listing import project_closure
    from pipeline.settings.backbones import ROW_CODE, modality

    covered = {p.name for name in ROW_CODE for p in project_closure(name)}
    assert {"decode.py", "audio_frontend.py", "backbones.py", "standin.py", "rows.py", "shards.py"} <= covered
    params = {"extract": {"backbone": "standin", "batch_size": 4, "audio_frontend": "vggish"},
              "data": {"videos": "data/sample"}}
    clips = [SimpleNamespace(clip_id=f"c{i}", path=f"c{i}.mp4") for i in range(3)]
    for name in ("audio", "visual"):
        plan = plan_shards(clips, modality(name, params, load_backbone=False), tmp_path / name, 2)
        for k, stamp in enumerate(plan.stamps):  # as if both shards had been written by this code
            with h5py.File(shard_path(tmp_path / name, k), "w") as f:
                f.attrs["fingerprint"] = stamp
        assert plan_shards(clips, modality(name, params, load_backbone=False), tmp_path / name, 2).todo == []
    real_hash = pipeline.code_listing.code_hash
    monkeypatch.setattr(pipeline.code_listing, "code_hash",
                        lambda path: "edited" if path.name == "decode.py" else real_hash(path))
    for name in ("audio", "visual"):
        assert plan_shards(clips, modality(name, params, load_backbone=False), tmp_path / name, 2).todo == [0, 1]
