"""Visual extraction throughput on sample clips with the real InceptionV3 architecture
(random weights, weights=None: the same compute as the pretrained network).

Prints, from one run on the same clips:
- the two engines as the extract stage runs them: each run is a fresh Python process (imports,
  weight loading and extraction all timed, as `dvc repro` pays them), the local engine
  (decoding in a background thread, frames batched across clips, shards written) against the
  Ray engine joining a Ray runtime that is already up and has run a Ray Data job before, as
  on a cluster in use (decode tasks, one backbone actor that imports TensorFlow and loads the
  weights in its own process);
- the local engine with its weights already loaded against backbone-only inference on the
  same already-decoded frames; a one-frame-at-a-time loop;
- the peak memory of the Ray engine for 12 and 48 clips (each in a fresh process).
Each engine's whole-run time splits into a fixed start-up (whole run minus its steady
seconds per shard times the shards) and the steady rate; the ratio at any collection size
follows from those two numbers, and the printed projection says where Ray overtakes local.
Run: python -m benchmarks.extract_speed [clips per class, default 16: 96 clips]
"""
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

CLASSES = ("siren", "drum", "bird", "engine", "bell", "gong")
SHARD, BATCH = 8, 32
PER_CLASS = 16  # 96 clips, 12 shards: about two minutes of backbone work here
# Each engine runs once per round, the order alternating so that a machine getting slower or
# faster during the benchmark favours neither; the best run of each counts (identical runs of
# one engine differed by up to 12 % on this shared machine).
ROUNDS = (("local", "ray"), ("ray", "local"), ("local", "ray"))


def inception_modality(load_backbone: bool = True):
    """The visual stage's Modality with InceptionV3 (random weights); module level so Ray can ship it."""
    from extract.backbones import compiled_embedding
    from extract.constants import IMAGE_SIZE
    from extract.decode import decode_frames_1fps
    from extract.shards import Modality

    embed = None
    if load_backbone:
        import keras

        embed = compiled_embedding(keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None))
        embed(__import__("numpy").zeros((BATCH, IMAGE_SIZE, IMAGE_SIZE, 3), "uint8"))  # warm-up (graph building)
    return Modality(
        "visual", "inceptionv3 (random weights)", partial(decode_frames_1fps, size=IMAGE_SIZE), embed, BATCH
    )


def clips_in(root, per_class):
    from extract.manifest import build_manifest
    from extract.sample import write_sample
    from pipeline.settings.params import load_params

    if not root.exists():
        write_sample(root, CLASSES, per_class, seed=0)
    data = load_params()["data"]  # params.yaml's split shares and seed
    clips = build_manifest(root, tuple(data["split_fractions"]), data["split_seed"])
    return [c for c in clips if int(Path(c.path).stem.rsplit("_", 1)[1]) < per_class]


class ShardClock:
    """Log callback that notes when each shard is written: whole-run and steady-state timings."""

    def __init__(self):
        self.started, self.marks = time.perf_counter(), []

    def __call__(self, message):
        if "clips/s" in message:
            self.marks.append(time.perf_counter())

    def seconds(self):
        return self.marks[-1] - self.started

    def steady_seconds_per_shard(self):
        """From the first shard written to the last: the start-up (weights, first decode) left out."""
        return (self.marks[-1] - self.marks[0]) / (len(self.marks) - 1)


def local_run(clips, out, modality=None):
    """As the stage runs it: the backbone is loaded (and warmed up) inside the timing, as the Ray
    actor's is; with a `modality` already loaded, the extraction alone (against backbone-only)."""
    from extract.shards import extract

    clock = ShardClock()
    extract(clips, modality or inception_modality(), out, shard_size=SHARD, log=clock)
    return clock


def ray_run(clips, out, address=""):
    from extract.ray_engine import RaySettings, extract_with_ray

    clock = ShardClock()
    extract_with_ray(
        clips,
        inception_modality(False),
        inception_modality,
        partial(inception_modality, False),
        out,
        SHARD,
        RaySettings(address, 1, 0, 1, cpus_per_worker=1),
        log=clock,
    )
    return clock


def stage_run(engine, root, per_class, out):
    """Child process: one engine's extraction, as the stage runs it. Prints the steady-state
    seconds per shard (the parent times the whole process)."""
    clips = clips_in(root, per_class)
    if engine == "local":
        clock = local_run(clips, out)
    else:
        from extract.ray_engine import start_ray

        start_ray("auto")
        clock = ray_run(clips, out, "auto")
    print(clock.steady_seconds_per_shard())


def timed_stage(engine, root, per_class, out):
    """Wall seconds of a fresh process running `engine`, and its steady-state seconds per shard."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.extract_speed", "--stage", engine, str(root), str(per_class), str(out)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{engine} run failed: {done.stderr[-2000:]}")
    return seconds, float(done.stdout.split()[-1])


class _Identity:
    def __call__(self, row):
        return row


def warm_up_cluster():
    """Child process: one tiny Ray Data job with an actor pool against the running runtime,
    joined as the extract stage joins it. The first such job on a cluster starts Ray Data's
    long-lived helper actors and sets up the job's runtime environment (5 to 7 s of extra
    start-up on this machine); a cluster in use has done that already."""
    import ray

    from extract.ray_engine import start_ray

    start_ray("auto")
    ray.data.DataContext.get_current().enable_progress_bars = False
    assert ray.data.range(2).map(_Identity, compute=ray.data.ActorPoolStrategy(size=1)).count() == 2


def memory_probe(root, per_class):
    """Peak of the summed resident memory of the driver and every Ray process, sampled every 0.1 s."""
    import threading

    import psutil  # installed with ray

    from extract.ray_engine import start_ray

    start_ray("")
    clips = clips_in(root, per_class)
    peak, done = [0], threading.Event()

    def sample():
        me = psutil.Process()
        while not done.is_set():
            total = 0  # proportional set size: pages shared by processes (the object store) counted once
            for process in [me] + me.children(recursive=True):
                try:
                    total += process.memory_full_info().pss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            done.wait(0.1)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    with tempfile.TemporaryDirectory() as out:
        ray_run(clips, out)
    done.set()
    watcher.join()
    print(peak[0])


def main(per_class=PER_CLASS):
    import numpy as np

    from extract.decode import decode_frames_1fps

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "clips"
        clips = clips_in(root, per_class)
        # a runtime that is already up, as on a cluster: the Ray run joins it with address auto
        ray_cli = str(Path(sys.executable).with_name("ray"))  # the venv's, also when it is not on PATH
        subprocess.run([ray_cli, "start", "--head", f"--num-cpus={os.cpu_count()}", "--include-dashboard=false",
                        "--disable-usage-stats"], check=True, capture_output=True)
        try:
            subprocess.run(
                [sys.executable, "-m", "benchmarks.extract_speed", "--warm-up"],
                check=True,
                capture_output=True,
                env=dict(os.environ, PYTHONPATH=os.getcwd()),
            )
            timings = {}
            for attempt, order in enumerate(ROUNDS):  # interleaved, alternating order: the machine is shared and drifts
                for engine in order:
                    timings.setdefault(engine, []).append(
                        timed_stage(engine, root, per_class, Path(tmp) / f"{engine}{attempt}")
                    )
        finally:
            subprocess.run([ray_cli, "stop", "--force"], capture_output=True)
        modality = inception_modality()
        preloaded = local_run(clips, Path(tmp) / "preloaded", modality).seconds()
        frames = [decode_frames_1fps(c.path, size=299)[1] for c in clips]
        n_frames = sum(len(f) for f in frames)
        stacked = np.concatenate(frames)
        started = time.perf_counter()
        for i in range(0, len(stacked), BATCH):
            modality.infer(stacked[i:i + BATCH])
        backbone_only = time.perf_counter() - started
        started = time.perf_counter()
        for clip in clips[:12]:
            for frame in decode_frames_1fps(clip.path, size=299)[1]:
                modality.infer(frame[None])
        frames_12 = sum(len(f) for f in frames[:12])
        one_at_a_time = (time.perf_counter() - started) * n_frames / frames_12
        peaks = []
        for per_class in (2, 8):
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.extract_speed", "--memory", str(root), str(per_class)],
                capture_output=True,
                text=True,
                check=True,
                env=dict(os.environ, PYTHONPATH=os.getcwd()),
            )
            peaks.append(int(out.stdout.split()[-1]) / 2 ** 20)
    local, local_steady = (min(t[i] for t in timings["local"]) for i in (0, 1))
    ray_time, ray_steady = (min(t[i] for t in timings["ray"]) for i in (0, 1))
    print(f"{len(clips)} clips, {n_frames} frames at 1 fps, shards of {SHARD} clips, batches of {BATCH} frames")
    print(f"backbone only:        {len(clips) / backbone_only:6.2f} clips/s ({n_frames / backbone_only:.1f} frames/s)")
    print(
        f"local engine:         {len(clips) / preloaded:6.2f} clips/s  "
        f"-> {backbone_only / preloaded:.0%} of backbone-only "
        f"(weights loaded beforehand, as for backbone-only)"
    )
    print(
        f"local engine, as a stage: {len(clips) / local:6.2f} clips/s "
        f"({local:.1f} s: fresh process, imports, weights, extraction)"
    )
    print(
        f"ray engine, as a stage:   {len(clips) / ray_time:6.2f} clips/s "
        f"({ray_time:.1f} s: fresh driver joining a running "
        f"runtime, actor process importing TensorFlow and loading the weights, extraction)"
    )
    round_ratios = sorted(timings["local"][i][0] / timings["ray"][i][0] for i in range(len(ROUNDS)))
    print(
        f"ray/local = {local / ray_time:.2f}  (target >= 0.90; best of {len(ROUNDS)} runs each in alternating order; "
        f"all runs: local {', '.join(f'{t[0]:.1f}' for t in timings['local'])} s, "
        f"ray {', '.join(f'{t[0]:.1f}' for t in timings['ray'])} s; "
        f"ratio within each round {', '.join(f'{r:.2f}' for r in round_ratios)}, "
        f"median {round_ratios[len(round_ratios) // 2]:.2f})"
    )
    print(f"steady state (first to last shard written, start-up left out): ray/local = {local_steady / ray_steady:.2f} "
          f"({SHARD / local_steady:.2f} vs {SHARD / ray_steady:.2f} clips/s; the Ray actor at "
          f"{SHARD / ray_steady / (len(clips) / backbone_only):.0%} of backbone-only)")
    shards = -(-len(clips) // SHARD)
    local_fixed, ray_fixed = local - shards * local_steady, ray_time - shards * ray_steady
    print(
        f"fixed start-up (whole run minus {shards} shards at the steady rate): "
        f"local {local_fixed:.1f} s, ray {ray_fixed:.1f} s"
    )
    for n in (48, 96, 480, 28000):
        projected = (local_fixed + n / SHARD * local_steady) / (ray_fixed + n / SHARD * ray_steady)
        print(f"  projected ray/local at {n:>6} clips: {projected:.2f}")
    print(
        f"one frame at a time:  {len(clips) / one_at_a_time:6.2f} clips/s  "
        f"-> the local engine (weights loaded) is {one_at_a_time / preloaded:.1f}x faster"
    )
    print(f"ray engine peak memory (driver + all Ray processes): {peaks[0]:.0f} MiB for {2 * len(CLASSES)} clips, "
          f"{peaks[1]:.0f} MiB for {8 * len(CLASSES)} clips (ratio {peaks[1] / peaks[0]:.2f})")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: its start-up chatter off
    if sys.argv[1:] == ["--warm-up"]:
        warm_up_cluster()
    elif len(sys.argv) == 4 and sys.argv[1] == "--memory":
        memory_probe(Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "--stage":
        stage_run(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) == 2 else PER_CLASS)
