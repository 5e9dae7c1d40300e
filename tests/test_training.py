from dataclasses import replace

import numpy as np
import pytest

from evaluate.metrics import bidirectional_map
from model.eics.embedding import fused_embeddings
from model.eics.network import build_eics
from model.eics.training import train_eics
from model.training import seed_everything
from pipeline.settings.eics import train_config
from pipeline.settings.params import load_params
from tests.synthetic_data import synthetic_features

N_CLASSES = 4


@pytest.fixture(scope="module")
def data():
    return synthetic_features({"train": 400, "val": 120, "test": 200}, n_classes=N_CLASSES,
                                   audio_dim=16, visual_dim=32, latent_dim=6, noise=0.5, seed=0)


def run(data, **overrides):
    seed_everything(0)
    model = build_eics(16, 32, N_CLASSES, [32], [48], explicit_dim=4, activation="relu", dropout=0.0)
    small = {
        "epochs": 8,
        "batch_size": 100,
        "learning_rate": 1e-2,
        "weight_decay": 0.0,
        "fusion_dim": 4,
        "patience": 100,
    }
    cfg = replace(train_config(load_params()), **{**small, **overrides})
    return train_eics(model, data.splits["train"], data.splits["val"], N_CLASSES, cfg), cfg


def test_learns_above_chance_and_keeps_best_validation_epoch(data):
    result, cfg = run(data)
    val_history = [h["val_map_average"] for h in result.history]
    assert result.best_epoch == 1 + int(np.argmax(val_history))
    assert result.best_val_map["average"] == pytest.approx(max(val_history))
    test = data.splits["test"]
    scores = bidirectional_map(
        *fused_embeddings(result.model, result.fusion, test.audio, test.visual, cfg.fusion_heads), test.labels
    )
    assert scores["average"] > 1 / N_CLASSES + 0.12
    assert {"loss_corr", "loss_dis", "loss_cons", "loss_total"} <= set(result.history[0])
    assert result.seconds > 0


def test_training_is_deterministic(data):
    a, _ = run(data)
    b, _ = run(data)
    assert [h["loss_total"] for h in a.history] == [h["loss_total"] for h in b.history]
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_shared_trunk_variant_has_fewer_weights():
    separate = build_eics(16, 32, N_CLASSES, [32], [48], explicit_dim=4, activation="relu", dropout=0.0)
    shared = build_eics(16, 32, N_CLASSES, [32], [48], explicit_dim=4, activation="relu", dropout=0.0,
                        shared_trunk=True)
    assert shared.count_params() < separate.count_params()
    assert shared.output_names == separate.output_names


def test_early_stopping_stops_after_patience_validations_without_improvement(data):
    result, _ = run(data, epochs=60, patience=2, min_steps=0)
    val_history = [h["val_map_average"] for h in result.history]
    assert result.epochs_run == len(val_history) < 60
    assert result.epochs_run == result.best_epoch + 2  # two checks without a better validation MAP, then stop
    assert max(val_history[result.best_epoch:]) <= result.best_val_map["average"]


@pytest.mark.parametrize("form", ["reference", "literal"])
def test_both_loss_forms_train(data, form):
    result, _ = run(data, loss_form=form)
    assert np.isfinite([h["loss_total"] for h in result.history]).all()
    assert result.best_val_map["average"] > 1 / N_CLASSES


def test_early_stopping_waits_for_min_steps(data):
    # 400 training clips at batch 100: 4 steps per epoch, so 60 steps are 15 epochs
    result, _ = run(data, epochs=60, patience=2, min_steps=60)
    assert 15 <= result.epochs_run < 60
    unconstrained, _ = run(data, epochs=60, patience=2, min_steps=0)
    assert unconstrained.epochs_run < 15  # without the floor the same run stops earlier


def test_traced_inference_matches_the_eager_call_and_traces_once_for_any_batch_size():
    from model.eics.embedding import embed
    from model.inference import _TRACED

    seed_everything(0)
    model = build_eics(16, 32, N_CLASSES, [32], [48], explicit_dim=4, activation="relu", dropout=0.0)
    rng = np.random.default_rng(0)
    for n in (7, 50, 3):
        audio, visual = rng.standard_normal((n, 16)).astype("float32"), rng.standard_normal((n, 32)).astype("float32")
        eager = model({"audio": audio, "visual": visual}, training=False)
        traced = embed(model, audio, visual)
        assert set(traced) == set(eager)
        for head, value in eager.items():
            np.testing.assert_allclose(traced[head], value.numpy(), rtol=1e-5, atol=1e-6)
        assert _TRACED[model].experimental_get_tracing_count() == 1


def test_each_fit_builds_its_layers_in_its_own_precision():
    """Two fits in one process in different precisions: each network's weights are in its own type
    (Keras keeps a global layer type it creates once; `fitting_precision` must move it too)."""
    from model.eics.network import build_eics
    from model.precision import fitting_precision

    kinds = []
    for precision in ("float64", "float32", "float64"):
        with fitting_precision(precision):
            network = build_eics(4, 6, 3, [5], [5], explicit_dim=2, activation="relu", dropout=0.0)
        kinds.append({w.dtype for w in network.weights})
    assert kinds == [{"float64"}, {"float32"}, {"float64"}]


def test_a_fit_leaves_no_model_or_traced_step_behind(data):
    """A Ray worker runs hundreds of fits in one process: once a fit's results are dropped, neither its
    network (kept alive by the inference cache before) nor its traced training step (kept by TensorFlow's
    gradient registry through Keras's all-reduce) may stay in memory."""
    import gc
    import weakref

    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.framework.func_graph import FuncGraph

    def custom_gradients():
        return [k for k in tf_ops._gradient_registry._registry if k.startswith("CustomGradient")]

    registered = custom_gradients()
    result, _ = run(data, epochs=2)
    assert custom_gradients() == registered
    network = weakref.ref(result.model)
    steps = [weakref.ref(g) for g in gc.get_objects()  # type(): the heap may hold proxies of dead objects
             if issubclass(type(g), FuncGraph) and g.name.startswith("step")]
    del result
    gc.collect()
    assert network() is None
    assert steps and all(step() is None for step in steps)
