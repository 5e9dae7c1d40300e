"""The floating-point precision networks train and run in, chosen by the caller.

Nothing happens at import. A fit runs inside `fitting_precision("float64")` (or "float32"):
Keras builds every layer in that type while the block runs, and the training loop, the losses
and the inputs follow the type of the model they feed (`dtype()`, `model_dtype`). The stages
take the precision from params.yaml (`fits.precision_train` for `train` and `make grid`,
`fits.precision_report` for the method stages and `protocol`).

float64: TensorFlow's float64 products are Eigen code compiled into the wheel, the same bits
on every x86-64 CPU with AVX2 given the same thread partition (measured natively and on
emulated Haswell, EPYC-Rome, Opteron G5 and Sandy Bridge). float32: its products go through
oneDNN, whose kernels follow the CPU's instruction set, so the last bits (and, after a few
hundred optimiser steps, the trained model) differ between CPU families; it is several times
faster (benchmarks/train_speed.py). The pretrained backbones (`extract`) never import this
module and keep float32.
"""
from __future__ import annotations

from contextlib import contextmanager

from model.terms import PRECISIONS


def dtype() -> str:
    """The float type layers are built in now (Keras's floatx)."""
    import keras

    return keras.config.floatx()


@contextmanager
def fitting_precision(name: str):
    """Build, train and run networks in `name` ("float64" or "float32") inside the block."""
    import keras

    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; choose from {list(PRECISIONS)}")
    from keras.src.backend.common import global_state

    before, policy_before = keras.config.floatx(), global_state.get_global_attribute("dtype_policy")
    # Layers take their type from the global dtype policy, which Keras creates from floatx once,
    # at the first layer of the process, and keeps: set both, or a second fit in another
    # precision would build its layers in the first one's.
    keras.config.set_floatx(name)
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_floatx(before)
        global_state.set_global_attribute("dtype_policy", policy_before)


def model_dtype(model) -> str:
    """The float type a built Keras model takes as input (its first input's)."""
    return model.inputs[0].dtype
