import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ray_runtime(tmp_path_factory):
    """One local Ray runtime (2 CPUs) shared by every test marked `ray`. Its workers get
    AVCMR_RAY_FAULT_MARKER, naming a file that a test creates to make one backbone actor die."""
    import ray

    from extract.ray_engine import FAULT_MARKER_ENV, start_ray

    marker = tmp_path_factory.mktemp("ray") / "kill_one_actor"
    os.environ[FAULT_MARKER_ENV] = str(marker)
    start_ray("")
    yield marker
    ray.shutdown()
    del os.environ[FAULT_MARKER_ENV]


@pytest.fixture(autouse=True)
def restore_environment():
    """A stage's main() run in process may set what its own process needs (its pinned thread counts): no
    test leaves that behind for the next one or its subprocesses."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
