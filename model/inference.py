"""Batched inference through a traced graph, for any Keras model (EICS's heads, the baselines'
projectors): bounded memory, one graph per model, float64 results."""
from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from model.precision import model_dtype

_TRACED = weakref.WeakKeyDictionary()
INFERENCE_BATCH = 4096  # rows per forward pass at inference: bounds memory, not results


def inference(model: keras.Model, inputs):
    """`model(inputs, training=False)`, traced into one graph for any batch size once per model.

    Training loops score the validation split after every epoch; an eager Keras call runs
    each layer from Python (on the bundled sample, a large share of an EICS fit), the traced
    graph is a single function call. `inputs` is an array or a dict of them, cast to the model's
    input type (`model.precision.model_dtype`).
    """
    traced = _TRACED.get(model)
    if traced is None:
        spec = tf.nest.map_structure(lambda x: tf.TensorSpec((None, *x.shape[1:]), model_dtype(model)), inputs)
        # The graph reaches the model through a weak reference: a value that held the model itself would
        # keep its key alive, and every model a process ever scored (a Ray worker runs hundreds of fits)
        # would stay in memory with its weights.
        model_ref = weakref.ref(model)
        traced = tf.function(lambda x: model_ref()(x, training=False), input_signature=[spec], autograph=False)
        _TRACED[model] = traced
    return traced(inputs)


def infer_in_batches(model: keras.Model, inputs):
    """`model`'s outputs for `inputs` (an array, or a dict of arrays with the same rows), run
    INFERENCE_BATCH rows at a time through the traced graph, as float64 NumPy arrays."""
    rows = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    kind, parts = model_dtype(model), []
    for start in range(0, rows, INFERENCE_BATCH):
        chunk = tf.nest.map_structure(lambda x: np.asarray(x[start:start + INFERENCE_BATCH], kind), inputs)
        parts.append(tf.nest.map_structure(lambda t: t.numpy(), inference(model, chunk)))
    return tf.nest.map_structure(lambda *xs: np.concatenate(xs).astype(np.float64), *parts)
