"""The precision every network in this package trains and runs in: float64.

Importing this module sets Keras's default float type, so each layer built afterwards keeps
float64 weights and computes in float64; the training loop, the losses and inference feed it
float64 tensors (`DTYPE`).

Why not float32: TensorFlow's float32 matrix products go through oneDNN, which picks its
kernels by the CPU's instruction set, so the last bits of every product, and after a few
hundred optimiser steps the trained model, differ between CPU families. Its float64
products are Eigen code compiled into the wheel: the same bits on every x86-64 CPU given the
same thread partition (pinned by `pipeline.portable`). Measured with one script of float32
and float64 products (K up to 1024) natively on an AMD EPYC with AVX-512 and emulated as
Haswell, EPYC-Rome, Opteron G5 and Sandy Bridge: every float32 product shape differed
between some of them, no float64 one did. The pretrained backbones (`extract`) never import
this package and keep float32.
"""
from __future__ import annotations

import keras

DTYPE = "float64"
keras.config.set_floatx(DTYPE)
