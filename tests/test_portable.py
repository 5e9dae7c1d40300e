"""pipeline.portable: the environment every stage process runs under, whatever the user or the CPU offers."""
import os
import subprocess
import sys

from tests.project_copy import ROOT

PRINT_STATE = """
import os
import pipeline  # a stage's first import
from numpy._core._multiarray_umath import __cpu_features__ as cpu
print(cpu["X86_V4"], cpu["AVX512_SKX"], cpu["AVX512_ICL"])
print(os.environ["OMP_NUM_THREADS"], os.environ["TF_NUM_INTRAOP_THREADS"])
"""


def test_a_stage_process_takes_numpys_avx2_code_and_the_pinned_threads():
    """NumPy's AVX-512 exp/log give other last bits than the AVX2 ones (measured on librosa's mel filterbank):
    a stage process dispatches none of them, and the thread counts a user asks for are pinned back."""
    env = dict(os.environ, OMP_NUM_THREADS="3", TF_NUM_INTRAOP_THREADS="7", PYTHONPATH=str(ROOT))
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    done = subprocess.run([sys.executable, "-c", PRINT_STATE], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False", "1", "2"]
