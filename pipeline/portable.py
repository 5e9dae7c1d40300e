"""Pinned numerics: what makes a stage write the same bytes on any x86-64 machine.

Floating-point results depend on the kernels a library picks at run time: oneDNN (inside
TensorFlow) by instruction set, OpenBLAS by core type, and every threaded reduction by how
many threads share it. Every `pipeline` entry therefore runs with

- TensorFlow's oneDNN kernels off (its Eigen kernels are compiled into the wheel, the same
  code on every CPU) and a fixed thread partition (2 intra-op threads, 1 inter-op);
- one BLAS/OpenMP thread;

and the NumPy stages compute in float64 and round once to float32 (stand-in backbones,
PCA, clip means, fusion), which hides the remaining float64 kernel differences. The one
exception is the extract stages with pretrained backbones, where InceptionV3 on a large
collection needs the fast kernels: `release_for_pretrained_backbones` restores the
environment the user started with before TensorFlow is imported, and such features may
differ between machines in their last bits.

Applied when the `pipeline` package is imported, before NumPy or TensorFlow load.
"""
from __future__ import annotations

import os

PINNED = {
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "TF_NUM_INTRAOP_THREADS": "2",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_user_values = {key: os.environ.get(key) for key in PINNED}


def pin() -> None:
    os.environ.update(PINNED)


def release_for_pretrained_backbones() -> None:
    """Give TensorFlow back the user's settings (fast, machine-dependent kernels). Only
    effective before TensorFlow is imported."""
    for key in ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        if _user_values[key] is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = _user_values[key]
