"""Pinned numerics: what makes a stage write the same bytes on any x86-64 machine.

Floating-point results depend on the kernels a library picks at run time: oneDNN (inside
TensorFlow) by instruction set, OpenBLAS by core type, and every threaded reduction by how
many threads share it. So:

- the networks train and run in float64 (`model.precision`): TensorFlow's float64 products
  are Eigen code compiled into the wheel, not oneDNN's per-CPU kernels, so the instruction
  set no longer matters; oneDNN's graph rewrites are off all the same;
- TensorFlow's thread partition is fixed (1 inter-op thread; 2 intra-op threads for inference,
  `fits.threads` for a fit, set before TensorFlow loads) and BLAS/OpenMP get one thread, whatever
  the machine has or the user sets; Ray fit workers start with the same variables (`worker_env`);
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

Applied by a stage's entry point (`pipeline.stage.run` calls `enter_pinned` first), never at
import: importing a module of the project leaves the environment alone. Benchmarks, tests and
notebooks choose for themselves.
"""
from __future__ import annotations

import json
import os
import sys

PINNED = {
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_NUM_INTRAOP_THREADS": "2",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
FIT_THREADS = "AVCMR_FIT_THREADS"  # set in fit workers: their TensorFlow intra-op threads (params fits.threads)
USER_VALUES = "AVCMR_USER_ENV"  # what the user had set for the pinned keys, carried across enter_pinned's restart
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2",  # a stage's defaults: TensorFlow's start-up chatter out of its log,
         "OPENCV_FFMPEG_LOGLEVEL": "-8"}  # and OpenCV's ffmpeg messages ("moov atom not found")


def pinned_values() -> dict:
    return {**PINNED, **({"TF_NUM_INTRAOP_THREADS": os.environ[FIT_THREADS]} if os.environ.get(FIT_THREADS) else {})}


def pin() -> None:
    """Set the pinned variables in this process (effective for NumPy and TensorFlow only if they
    have not loaded yet; `enter_pinned` makes sure of that)."""
    if USER_VALUES not in os.environ:
        os.environ[USER_VALUES] = json.dumps({key: os.environ.get(key) for key in PINNED})
    os.environ.update(pinned_values())
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)


def enter_pinned() -> None:
    """The first call of a stage's entry point: this process runs under the pinned environment. When
    NumPy or TensorFlow already loaded under another one (the entry module imports them), the process
    starts again with the same command line and the pinned variables, before anything else happens."""
    if all(os.environ.get(k) == v for k, v in pinned_values().items()):
        return
    loaded = any(m in sys.modules for m in ("numpy", "tensorflow"))
    pin()
    if loaded:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def pin_fit_threads(threads: int) -> None:
    """This process fits networks with `threads` TensorFlow threads (params fits.threads). Takes
    effect before TensorFlow starts its thread pools, as in every stage process; a process that
    already ran TensorFlow (a test, a notebook) keeps the pools it has."""
    os.environ[FIT_THREADS] = str(threads)
    pin()
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        except RuntimeError:  # the runtime is already up: its pools are fixed
            pass


def worker_env(threads: int) -> dict:
    """The environment every fit worker starts with, on this machine or any node of a cluster:
    the pinned variables above, `threads` TensorFlow threads, and this repository on PYTHONPATH."""
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    env = {**PINNED, "TF_NUM_INTRAOP_THREADS": str(threads), FIT_THREADS: str(threads),
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
           "PYTHONPATH": os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    env.update({k: v for k, v in os.environ.items() if k.startswith("AVCMR_") and k != FIT_THREADS})
    return env


def release_for_pretrained_backbones() -> None:
    """Give TensorFlow back the user's settings (fast, machine-dependent kernels). Only
    effective before TensorFlow is imported."""
    user = json.loads(os.environ.get(USER_VALUES, "{}"))
    for key in ("TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        if user.get(key) is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = user[key]
