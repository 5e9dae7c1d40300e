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
  differences between core types;
- NumPy's AVX-512 versions of exp, log and the like are switched off: their float64 results
  differ in the last bits from the AVX2 versions every x86-64-v3 CPU runs (measured on
  librosa's mel filterbank), so every AVX2 CPU now takes the same code.

Below AVX2 (x86-64 CPUs from before 2013-2015) the bytes still differ: FFmpeg's resampler and
glibc's libm pick other code there (measured on an emulated Opteron G5: other waveforms).

Checked by running stages as other machines and on an emulated CPU (`tests/test_videos_e2e.py`).
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
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
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
