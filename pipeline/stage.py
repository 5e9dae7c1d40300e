"""Run a stage's main(): expected failures (bad params, bad input files, divergence) end
with one line on stderr and exit code 2 instead of a traceback."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of stage logs

from extract.feature_store import FeatureFileError  # noqa: E402
from pipeline.params import ParamsError  # noqa: E402


class StageError(RuntimeError):
    """A stage cannot go on; the message says why and what to do."""


EXPECTED = (ParamsError, FeatureFileError, StageError)


def run(main) -> None:
    try:
        main()
    except EXPECTED as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
