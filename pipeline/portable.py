"""Pinned numerics: what makes a stage write the same bytes on any x86-64 machine.

Floating-point results depend on the kernels a library picks at run time: oneDNN (inside
TensorFlow) by instruction set, OpenBLAS by core type, and every threaded reduction by how
many threads share it. So:

- the networks train and run in float64 (`model.precision`): TensorFlow's float64 products
  are Eigen code compiled into the wheel, not oneDNN's per-CPU kernels, so the instruction
  set no longer matters; oneDNN's graph rewrites are off all the same;
- TensorFlow's thread partition is fixed (2 intra-op threads, 1 inter-op) and BLAS/OpenMP get
  one thread, whatever the machine has or the user sets;
- the NumPy stages compute in float64 and round once to float32 (stand-in backbones, PCA,
  clip means, fusion) or snap similarities to a grid, which hides OpenBLAS's last-bit
  differences between core types.

Checked by running stages on emulated CPUs of other families (`tests/test_other_cpu.py`).
The one exception is the extract stages with pretrained backbones, where InceptionV3 on a
large collection needs the fast float32 kernels: `release_for_pretrained_backbones` restores
the environment the user started with before TensorFlow is imported, and such features may
differ between machines in their last bits.

Applied when the `pipeline` package is imported, before NumPy or TensorFlow load.
"""
from __future__ import annotations

import os

PINNED = {
    "TF_ENABLE_ONEDNN_OPTS": "0",
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
    for key in ("TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        if _user_values[key] is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = _user_values[key]
