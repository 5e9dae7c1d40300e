"""Independent fits run concurrently on Ray workers: one per core of this machine by default,
or on a running cluster (`fits.address`).

Each fit is one Ray task reserving `fits.threads` CPUs (and `fits.gpus_per_fit` GPUs; a
fraction lets several small fits share one GPU). Every worker process starts with the pinned
environment of `pipeline.portable.worker_env`: `fits.threads` TensorFlow threads, one BLAS
thread, oneDNN's rewrites and NumPy's AVX-512 code off. So a fit computes the same bytes
whichever worker, node or neighbour it has; how many run at once (`fits.workers`) changes
only the wall time. The shared inputs (the feature splits, the params) go to the object store
once. A worker process is replaced after `FITS_PER_WORKER` fits, which bounds what any library keeps
from each. A task whose worker or node is lost is retried on another (`RETRIES`); the driver hands
each result to `on_result` as it arrives, so a caller can save it before the next one.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

RETRIES = 3
# A worker process is replaced after this many fits: a backstop against memory a library keeps from
# each fit. (Two such leaks are fixed: the synthetic report's two workers had reached 13.7 and 7.6 GB
# after about 180 fits each when Ray killed one; `model.training.step_gradients_released`.) A fresh
# worker costs about 6 s here (process, TensorFlow and the project's imports): 1.3 % of 100 fits at
# the dev file's size (4.5 s each), 0.2 % at the synthetic data's.
FITS_PER_WORKER = 100


@dataclass(frozen=True)
class FanOut:
    """params.yaml `fits`: where and how many fits run at once."""

    address: str        # "" = a local Ray runtime with this machine's cores; "auto" or ray://host:port = a cluster
    workers: int        # fits at once; 0 = as many as the CPUs allow at `threads` each
    threads: int        # CPUs reserved per fit = TensorFlow threads inside it
    gpus_per_fit: float

    @classmethod
    def from_params(cls, fits: dict) -> "FanOut":
        return cls(fits["address"], fits["workers"], fits["threads"], fits["gpus_per_fit"])


@contextmanager
def session(fanout: FanOut):
    """Ray for the block, started only when a first task is submitted (a run whose fits are all saved
    starts nothing): join the cluster or start a local runtime, stopped at the end. A runtime this
    process already had is used as it is."""
    import ray

    started = []

    def ready():
        if not ray.is_initialized():
            _start(fanout)
            started.append(True)

    try:
        yield ready
    finally:
        if started:
            ray.shutdown()


def _start(fanout: FanOut) -> None:
    import ray

    from pipeline.portable import worker_env

    common = dict(runtime_env={"env_vars": worker_env(fanout.threads)}, log_to_driver=False,
                  configure_logging=False)
    if fanout.address:
        ray.init(address=fanout.address, **common)
    else:
        cpus = fanout.workers * fanout.threads if fanout.workers else max(os.cpu_count() or 1, fanout.threads)
        ray.init(address="local", num_cpus=cpus, include_dashboard=False, **common)  # never a running cluster


def run_tasks(function: Callable, jobs: list, shared: dict, fanout: FanOut,
              on_result: Callable[[object, dict], list], ready: Callable,
              tasks_per_worker: int = FITS_PER_WORKER) -> None:
    """`function(job, shared)` on a worker for every job; `on_result(job, result)` runs in this
    process as each finishes (in the order they finish) and returns further jobs, which go to
    the front of the queue. At most `fanout.workers` run at once (0: as many as the cluster's
    CPUs take at `fanout.threads` each). `ready`: what `session` yields (starts Ray if needed).
    A worker process gives way to a fresh one after `tasks_per_worker` tasks."""
    import ray

    queue = list(jobs)
    if not queue:
        return
    ready()
    shared_ref = ray.put(shared)
    remote = ray.remote(max_calls=tasks_per_worker)(function).options(
        num_cpus=fanout.threads, num_gpus=fanout.gpus_per_fit, max_retries=RETRIES)
    # as many in flight as can run (Ray would queue the rest in submission order, where jobs added later
    # could not go first)
    resources = ray.cluster_resources()
    fit_at_once = resources.get("CPU", 1) // fanout.threads
    if fanout.gpus_per_fit:
        fit_at_once = min(fit_at_once, resources.get("GPU", 0) // fanout.gpus_per_fit)
    limit = fanout.workers or max(1, int(fit_at_once))
    pending = {}
    while queue or pending:
        while queue and len(pending) < limit:
            job = queue.pop(0)
            pending[remote.remote(job, shared_ref)] = job
        done, _ = ray.wait(list(pending), num_returns=1)
        queue[:0] = on_result(pending.pop(done[0]), ray.get(done[0]))
