"""Run a stage's main(): every failure ends with one line on stderr and exit code 2,

    error: <stage>: <what> (<where>)

instead of a traceback. Expected failures (bad params, bad input files, divergence) say
what to do; anything else also names its exception type and the innermost project line it
came from. Set AVCMR_DEBUG=1 to get the full traceback as well.
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of stage logs

from extract.feature_store import FeatureFileError  # noqa: E402
from pipeline.params import ParamsError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class StageError(RuntimeError):
    """A stage cannot go on; the message says why and what to do."""


EXPECTED = (ParamsError, FeatureFileError, StageError)


def stage_name(main) -> str:
    name = main.__module__.rsplit(".", 1)[-1]
    if name == "__main__":
        name = Path(sys.argv[0]).stem
    return " ".join([name] + sys.argv[1:2])


def where(err: BaseException) -> str:
    """file:line of the innermost traceback frame inside this project (else the innermost one)."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(ROOT) and ".venv" not in f.filename]
    frame = (ours or frames)[-1] if frames else None
    if frame is None:
        return "no traceback"
    path = Path(frame.filename).resolve()
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{frame.lineno}"


def one_line(text: str) -> str:
    return " ".join(str(text).split()) or "(no message)"


def exit_now() -> None:
    """End a stage that succeeded without the interpreter's teardown.

    Every output is already written (atomically) and closed when main() returns; tearing
    down TensorFlow's modules then costs about 2 s per stage process, some 30 stages per
    `dvc repro`. A process that started Ray exits normally, so Ray stops what it started.
    """
    if "ray" in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run(main) -> None:
    try:
        main()
        exit_now()
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - every failure becomes one line
        if isinstance(err, SystemExit) and err.code in (0, None):
            raise
        if os.environ.get("AVCMR_DEBUG") == "1":
            traceback.print_exc()
        if isinstance(err, SystemExit):
            message = f"exited with {err.code}"
        elif isinstance(err, EXPECTED):
            message = one_line(err)
        else:
            message = f"{type(err).__name__}: {one_line(err)} ({where(err)})"
        print(f"error: {stage_name(main)}: {message}", file=sys.stderr)
        sys.exit(2)
