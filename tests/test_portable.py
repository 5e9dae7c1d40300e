"""pipeline.portable: the environment every stage process runs under, whatever the user or the CPU offers."""
import os
import subprocess
import sys

from tests.project_copy import ROOT

ENTRY = """
import os
import numpy  # loaded before the entry point pins: the process must start again, pinned
from pipeline.stage import run


def main():
    from numpy._core._multiarray_umath import __cpu_features__ as cpu
    print(cpu["X86_V4"], cpu["AVX512_SKX"], cpu["AVX512_ICL"])
    print(os.environ["OMP_NUM_THREADS"], os.environ["TF_NUM_INTRAOP_THREADS"], os.environ["TF_CPP_MIN_LOG_LEVEL"])


if __name__ == "__main__":
    run(main)
"""


def test_a_stage_process_takes_numpys_avx2_code_and_the_pinned_threads(tmp_path):
    """NumPy's AVX-512 exp/log give other last bits than the AVX2 ones (measured on librosa's mel filterbank):
    a stage's entry point dispatches none of them, and the thread counts a user asks for are pinned back."""
    env = dict(os.environ, OMP_NUM_THREADS="3", TF_NUM_INTRAOP_THREADS="7", PYTHONPATH=str(ROOT))
    for key in ("NPY_DISABLE_CPU_FEATURES", "TF_CPP_MIN_LOG_LEVEL"):
        env.pop(key, None)
    (tmp_path / "entry.py").write_text(ENTRY)
    done = subprocess.run([sys.executable, str(tmp_path / "entry.py")], env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["False", "False", "False", "1", "2", "2"], done.stderr[-2000:]


IMPORT_EVERYTHING = """
import os, pkgutil, importlib, keras
before, floatx = dict(os.environ), keras.config.floatx()
for package in ("extract", "model", "evaluate", "pipeline", "benchmarks"):
    for module in pkgutil.walk_packages([package], prefix=package + "."):
        importlib.import_module(module.name)
print(sorted(set(os.environ.items()) ^ set(before.items())), keras.config.floatx() == floatx)
"""


def test_importing_any_module_leaves_the_environment_and_keras_alone():
    """Pinning and precision are the entry points' and the fits' business: importing every module of the
    project (stages, model, benchmarks) changes no environment variable and not Keras's float type."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], env=dict(env, PYTHONPATH=str(ROOT)), cwd=ROOT,
                          capture_output=True, text=True)
    assert done.stdout.split("\n")[0] == "[] True", done.stdout[-2000:] + done.stderr[-2000:]
