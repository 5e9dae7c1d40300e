"""The Ray engine of the extract stages: the local engine's shards, built as a Ray Data pipeline.

    shards of manifest rows ─► decode (CPU tasks, `cpus_per_decoder` each, streaming)
                            ─► backbone (an actor pool of `workers`; each actor loads the
                                weights once, on `gpus_per_worker` GPUs when > 0)
                            ─► the driver writes each shard file atomically as soon as it
                                arrives (no prefetching: a finished shard is never held back)

The unit of work is the shard: the same clips, the same `prepare` and the same inference call
as the local engine (`extract.shards.prepare_shard` / `infer_shard`), so the rows are the same
bytes whichever engine made them, and the fingerprints and resume rule are shared: shards
already complete are not sent. Clips that fail to decode go to the skip list. An actor that
dies is restarted by Ray and its shard retried (`max_restarts` / `max_task_retries`); Ray Data
bounds how many decoded shards wait in the object store (streaming backpressure).

The video files and the repository must be readable at the same paths on every node.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from extract.shards import Modality, Progress, infer_shard, plan_shards, prepare_shard, write_shard

FAULT_MARKER_ENV = (
    "AVCMR_RAY_FAULT_MARKER"  # tests only: while the file it names exists, one actor call removes it and dies
)
RETRIES = 3
# the stage process's numerics environment (pinned by pipeline.portable, or released for pretrained backbones),
# given to every worker so a shard is computed as the local engine computes it, on any node
FORWARDED = ("TF_CPP_MIN_LOG_LEVEL", "OPENCV_FFMPEG_LOGLEVEL", "TF_ENABLE_ONEDNN_OPTS",
             "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
             "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NPY_DISABLE_CPU_FEATURES")


@dataclass
class RaySettings:
    address: str          # "" = a local runtime with this machine's cores; "auto" or "ray://host:port" = a cluster
    workers: int          # backbone actors
    gpus_per_worker: float
    cpus_per_decoder: float
    cpus_per_worker: float = 1.0  # CPUs reserved per backbone actor


class RayCapacityError(RuntimeError):
    """The actors would take every CPU and no decode task could ever run."""


def start_ray(address: str) -> None:
    """Join `address`, or start a local runtime with this machine's cores (reused when already up)."""
    import ray

    if ray.is_initialized():
        return
    root = str(Path(__file__).resolve().parents[1])
    env = {"PYTHONPATH": os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    env.update({k: v for k, v in os.environ.items() if k.startswith("AVCMR_") or k in FORWARDED})
    common = dict(runtime_env={"env_vars": env}, log_to_driver=False, configure_logging=False)
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, **common)  # never a running cluster


def _decode(row: dict, prepare_only: Callable[[], Modality]) -> dict:
    """Decode task: one shard's clips through the modality's `prepare` (no weights loaded)."""
    clips = pickle.loads(row["clips"])
    return {"shard": row["shard"], "payload": pickle.dumps(prepare_shard(prepare_only(), clips), protocol=5)}


class _Backbone:
    """Backbone actor: the weights are loaded once, in the constructor; each call infers one shard."""

    def __init__(self, make_modality: Callable[[], Modality]):
        # Ray limits a worker's OpenMP threads to its CPU reservation; the backbone should use the
        # node's cores as the local engine does (decode tasks are light beside it). Set before
        # make_modality imports TensorFlow.
        os.environ["OMP_NUM_THREADS"] = str(os.cpu_count())
        try:  # Ray starts workers at nice 15, below its driver and raylet; the backbone is the job's main work
            os.setpriority(os.PRIO_PROCESS, 0, 0)
        except OSError:  # raising a priority needs privileges on most clusters: then it stays as Ray set it
            pass
        self.modality = make_modality()

    def __call__(self, row: dict) -> dict:
        marker = os.environ.get(FAULT_MARKER_ENV)
        if marker:
            try:
                os.remove(marker)  # whoever removes the marker dies: exactly one fault per marker
            except FileNotFoundError:
                pass
            else:
                os._exit(1)  # the whole actor process dies, as on a lost node or an out-of-memory kill
        prepared, skipped = pickle.loads(row["payload"])
        rows = infer_shard(self.modality, prepared)
        kept = [(clip, starts, None) for clip, starts, _ in prepared]  # the inputs need not travel back
        return {"shard": row["shard"], "payload": pickle.dumps((kept, rows, skipped), protocol=5)}


def _bounded_retries() -> dict:
    """A dead actor is restarted and its shard retried, but not forever (Ray Data's default)."""
    return {"max_restarts": RETRIES, "max_task_retries": RETRIES}


def extract_with_ray(
    clips,
    modality: Modality,
    make_modality: Callable[[], Modality],
    prepare_only: Callable[[], Modality],
    out_dir: str | Path,
    shard_size: int,
    settings: RaySettings,
    log=print,
) -> None:
    """Write every missing or outdated shard of `clips` under out_dir with Ray Data.

    `modality` (loaded in the driver) names the backbone for the fingerprints; `make_modality`
    builds it again inside each actor, `prepare_only` builds its decoding side in decode tasks
    (both picklable, e.g. functools.partial of a module-level function)."""
    plan = plan_shards(clips, modality, out_dir, shard_size)
    progress = Progress(plan, modality.name, log)
    if not plan.todo:
        return
    import ray

    start_ray(settings.address)
    cpus = ray.cluster_resources().get("CPU", 0)
    if settings.workers * settings.cpus_per_worker + settings.cpus_per_decoder > cpus:
        raise RayCapacityError(
            f"{settings.workers} backbone actor(s) x {settings.cpus_per_worker} CPU + "
            f"{settings.cpus_per_decoder} CPU for one decode task exceeds the {cpus:g} CPUs of the Ray cluster; "
            "lower extract.ray.workers or cpus_per_worker"
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    items = [{"shard": k, "clips": pickle.dumps(plan.shards[k])} for k in plan.todo]
    dataset = (
        ray.data.from_items(items, override_num_blocks=len(items))
        .map(_decode, fn_kwargs={"prepare_only": prepare_only}, num_cpus=settings.cpus_per_decoder)
        .map(_Backbone, fn_constructor_kwargs={"make_modality": make_modality},
             compute=ray.data.ActorPoolStrategy(size=settings.workers), num_cpus=settings.cpus_per_worker,
             num_gpus=settings.gpus_per_worker or None,
             ray_remote_args_fn=_bounded_retries)
    )
    # Without prefetching, each shard is written as soon as its actor call returns; Ray Data's
    # default prefetch of one block held every finished shard back until the next one was done
    # (a killed run lost one more shard than needed, and the progress line lagged a shard behind).
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
        for k, payload in zip(batch["shard"], batch["payload"]):
            prepared, rows, skipped = pickle.loads(payload)
            write_shard(plan, int(k), modality, prepared, rows, skipped)
            progress.shard_written(int(k), len(skipped))
