import numpy as np
import pytest

from extract.feature_store import Split
from model.eics.network import build_eics
from model.input_scaling import fit_input_scaler
from model.methods import fit_method
from pipeline.settings.methods import method_options
from pipeline.settings.params import load_params
from tests.synthetic_data import synthetic_features


def split(audio, visual):
    return Split(audio, visual, np.zeros(len(audio), int), np.arange(len(audio)).astype(str))


def test_global_scaling_centres_each_dimension_and_sets_mean_std_to_one():
    rng = np.random.default_rng(0)
    audio = 5.0 + rng.normal(size=(200, 3)) * np.array([0.01, 0.02, 0.03])  # offset 5, stds averaging 0.02
    visual = rng.normal(size=(200, 2)) * np.array([4.0, 0.0])                 # one constant dimension
    scaler = fit_input_scaler(split(audio, visual), "global")
    assert scaler.audio_scale == pytest.approx(audio.std(0).mean())
    scaled = scaler.audio(audio)
    np.testing.assert_allclose(scaled.mean(0), 0, atol=1e-5)
    assert scaled.std(0).mean() == pytest.approx(1.0, rel=1e-5)
    # relative sizes survive: dimension 3 still varies three times as much as dimension 1
    assert scaled.std(0)[2] / scaled.std(0)[0] == pytest.approx(audio.std(0)[2] / audio.std(0)[0], rel=1e-4)
    assert np.isfinite(scaler.visual(visual)).all() and scaler.visual(visual)[:, 1].max() == 0


def test_constant_input_and_none_mode():
    constant = np.ones((10, 4))
    scaler = fit_input_scaler(split(constant, constant), "global")
    assert scaler.audio_scale == 1.0 and np.all(scaler.audio(constant) == 0)
    raw = np.arange(12.0).reshape(3, 4)
    assert fit_input_scaler(split(raw, raw), "none").audio(raw) is raw
    with pytest.raises(ValueError, match="unknown input scaling 'zscore'"):
        fit_input_scaler(split(raw, raw), "zscore")


def test_scaling_inside_eics_equals_scaling_the_inputs():
    rng = np.random.default_rng(1)
    audio, visual = (
        rng.normal(3, 0.1, size=(50, 6)).astype(np.float32),
        rng.normal(0, 9, size=(50, 5)).astype(np.float32),
    )
    scaler = fit_input_scaler(split(audio, visual), "global")
    inside = build_eics(6, 5, 3, [8], [8], explicit_dim=2, activation="relu", dropout=0.0, scaler=scaler)
    plain = build_eics(6, 5, 3, [8], [8], explicit_dim=2, activation="relu", dropout=0.0)
    plain.set_weights(
        [w for layer in inside.layers if not layer.name.startswith("scale_") for w in layer.get_weights()]
    )
    raw_out = inside({"audio": audio, "visual": visual})
    scaled_out = plain({"audio": scaler.audio(audio), "visual": scaler.visual(visual)})
    for key in raw_out:
        np.testing.assert_allclose(raw_out[key].numpy(), scaled_out[key].numpy(), rtol=1e-4, atol=1e-4)


def test_neural_baseline_with_global_scaling_ignores_the_features_offset_and_unit():
    data = synthetic_features({"train": 200, "val": 60, "test": 100}, n_classes=3, audio_dim=8, visual_dim=12,
                                   latent_dim=4, noise=0.5, seed=0)
    params = load_params()
    params["fusion"]["dim"] = 3
    point = {"hidden": [16], "epochs": 3, "batch_size": 100, "learning_rate": 1e-2, "input_scaling": "global"}
    options = method_options("dcca", params, point)

    def embeddings(offset, unit):
        moved = {
            k: Split(s.audio * unit + offset, s.visual * unit - offset, s.labels, s.ids) for k, s in data.splits.items()
        }
        emb = fit_method("dcca", moved["train"], moved["val"], 3, 0, **options)
        return emb.embed_audio(moved["test"].audio)

    np.testing.assert_allclose(embeddings(0.0, 1.0), embeddings(50.0, 0.01), rtol=1e-3, atol=1e-3)
