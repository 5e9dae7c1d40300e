"""Run a stage's main(): every failure ends with one line on stderr and exit code 2,

    error: <stage>: <what> (<where>)

instead of a traceback. Expected failures (bad params, bad input files, divergence) say
what to do; anything else also names its exception type and the innermost project line it
came from. Set AVCMR_DEBUG=1 to get the full traceback as well.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from pipeline.settings.params import ParamsError

ROOT = Path(__file__).resolve().parents[1]


class StageError(RuntimeError):
    """A stage cannot go on; the message says why and what to do."""




def expected(err: BaseException) -> bool:
    """A failure whose message already says what to do: bad params, a stage's own error, or a bad
    feature file. The last is looked up only if the stage loaded the feature store, so this module
    imports nothing from extract/ (the early stages depend on their own code only)."""
    feature_store = sys.modules.get("extract.feature_store")
    return isinstance(err, (ParamsError, StageError)) or (
        feature_store is not None and isinstance(err, feature_store.FeatureFileError))


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
    down TensorFlow's modules then costs seconds per stage process, in every stage of a
    `dvc repro` (docs/findings.md, "What a pipeline run costs"). A process that started Ray
    exits normally, so Ray stops what it started.
    """
    if "ray" in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line (`error: <prog>: <what>`), exit code 2."""

    def error(self, message: str):
        print(f"error: {self.prog}: {one_line(message)} (see --help)", file=sys.stderr)
        sys.exit(2)


def described(reads: tuple[str, ...]) -> list[str]:
    """`key (default): meaning` from the params schema for each key read (free-text entries are left out)."""
    from pipeline.settings.schema import Params, describe, section_keys

    out = []
    for key in reads:
        try:
            out.append(describe(key))
        except KeyError:
            continue  # a note such as "extract (to extract a new clip ...)" rather than a key
        if key in Params.model_fields:  # a whole section: each of its keys too
            out += [f"  {describe(f'{key}.{k}')}" for k in section_keys(key)]
    return out


def parse_cli(module: str, doc: str | None, reads: tuple[str, ...], arguments=(), argv=None) -> argparse.Namespace:
    """The entry's arguments; `-h/--help` prints what the entry does, the params.yaml keys it
    reads and its options, then exits 0 before anything is read or written."""
    reads_text = ", ".join(reads) if reads else "nothing"
    meanings = "".join(f"\n  {line}" for line in described(reads))
    parser = OneLineParser(prog=f"python -m {module}", description=(doc or "").strip(),
                           epilog=f"params.yaml read: {reads_text}{meanings}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    for flags, options in arguments:
        parser.add_argument(*([flags] if isinstance(flags, str) else flags), **options)
    return parser.parse_args(sys.argv[1:] if argv is None else argv)


def run(main, reads: tuple[str, ...] = (), arguments=()) -> None:
    """Run a stage entry: parse its command line (see parse_cli), then main() -- or main(args)
    when the entry takes arguments -- turning every failure into one line."""
    from pipeline.portable import enter_pinned

    enter_pinned()  # may start this process again, pinned (pipeline/portable.py)
    module = main.__module__
    if module == "__main__":  # run with python -m: the dotted name it was started by
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec else "pipeline." + Path(sys.argv[0]).stem
    args = parse_cli(module, sys.modules[main.__module__].__doc__, reads, arguments)
    try:
        from pipeline.code_listing import stale_listing

        stale = stale_listing(module)
        if stale:  # DVC decided to run or skip this stage from the listing: it must describe this code
            raise StageError(f"its code changed since `make deps` wrote {stale}; run `make deps` (make repro does)")
        main(args) if arguments else main()
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
        elif expected(err):
            message = one_line(err)
        else:
            message = f"{type(err).__name__}: {one_line(err)} ({where(err)})"
        name = stage_name(main)
        if len(sys.argv) > 1 and sys.argv[1] in message:  # the message names the argument itself
            name = name.split(" ")[0]
        print(f"error: {name}: {message}", file=sys.stderr)
        sys.exit(2)
