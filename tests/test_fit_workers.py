"""Fit workers are processes Ray reuses: one gives way to a fresh one after a quota of tasks."""
import os

import pytest

pytestmark = pytest.mark.ray


def test_a_worker_process_is_replaced_after_its_quota_of_tasks(ray_runtime):
    """TensorFlow and Keras may keep something from every fit for the life of a process, so a worker gives
    way to a fresh one after a quota of tasks (FITS_PER_WORKER in the stages): 7 tasks at a quota of 3 on
    one worker see three processes, running 3, 3 and 1 of them."""
    from pipeline.fitting.fanout import FanOut, run_tasks, session

    def pid(job, shared):
        return os.getpid()

    pids = []
    fanout = FanOut(address="", workers=1, threads=1, gpus_per_fit=0.0)
    with session(fanout) as ready:
        run_tasks(pid, list(range(7)), {}, fanout, lambda job, result: pids.append(result) or [], ready,
                  tasks_per_worker=3)
    assert [pids.count(p) for p in dict.fromkeys(pids)] == [3, 3, 1]
