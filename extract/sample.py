"""The bundled sample: short labelled clips written as real mp4 files (H.264 + AAC, PyAV).

Each class has its own family of sound (pitch, rhythm, timbre) and of picture (shape,
colour, motion). Every clip draws its own pitch, tempo, size, position and speed, sits on
a noisy background with background sound, and uses one of several frame rates (odd ones
included) and audio sample rates. `bell` and `gong` are a deliberately confusable pair:
similar decaying tones and similar green flashing shapes.
"""
from __future__ import annotations

import itertools
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT = 128, 96
FRAME_RATES = (Fraction(15), Fraction(24), Fraction(25, 2), Fraction(30000, 1001))
SAMPLE_RATES = (16000, 22050, 44100)
CLASSES = ("siren", "drum", "bird", "engine", "bell", "gong")


# ---- sound families -------------------------------------------------------------------
def _tone(t, freq):
    return np.sin(2 * np.pi * np.cumsum(np.broadcast_to(freq, t.shape)) / _tone.rate)


def _sound(label, t, rng):
    """One clip's class sound at times t (seconds), before background noise."""
    if label == "siren":  # pitch sweeping up and down
        centre, depth, speed = rng.uniform(600, 900), rng.uniform(150, 300), rng.uniform(0.3, 0.8)
        return 0.5 * _tone(t, centre + depth * np.sin(2 * np.pi * speed * t))
    if label == "drum":  # noise bursts on a beat
        beat = rng.uniform(1.5, 3.5)
        envelope = np.exp(-((t * beat) % 1.0) * 18)
        return 0.8 * envelope * rng.standard_normal(len(t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 90 * t))
    if label == "bird":  # short high chirps gliding up
        rate_chirp = rng.uniform(2, 5)
        phase = (t * rate_chirp) % 1.0
        freq = rng.uniform(2500, 3500) + 1500 * phase
        return 0.4 * (phase < 0.3) * _tone(t, freq)
    if label == "engine":  # low harmonic hum with a slow throb
        base = rng.uniform(70, 140)
        hum = sum(_tone(t, base * k) / k for k in range(1, 6))
        return 0.3 * hum * (0.7 + 0.3 * np.sin(2 * np.pi * rng.uniform(4, 9) * t))
    if label in ("bell", "gong"):  # decaying partials struck about once a second
        base = rng.uniform(650, 900) if label == "bell" else rng.uniform(480, 640)
        period = rng.uniform(0.8, 1.3)
        decay = np.exp(-(t % period) * (5 if label == "bell" else 3))
        partials = (1, 2.4, 3.9) if label == "bell" else (1, 1.9, 2.8)
        return 0.5 * decay * sum(_tone(t, base * p) / (i + 1) for i, p in enumerate(partials))
    raise ValueError(f"unknown class {label}")


# ---- picture families -----------------------------------------------------------------
def _picture(label, time_s, params, background):
    """One RGB frame at time_s for a clip with per-clip drawn params."""
    img = background.copy()
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    size, speed, x0, y0 = params["size"], params["speed"], params["x0"], params["y0"]
    if label == "siren":  # red disc moving left and right
        cx, cy, colour = x0 + 35 * np.sin(speed * time_s), y0, (220, 30, 30)
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < size ** 2
    elif label == "drum":  # blue square pulsing in size
        s = size * (0.6 + 0.4 * abs(np.sin(speed * time_s * 2)))
        cx, cy, colour = x0, y0, (30, 60, 220)
        mask = (abs(xx - cx) < s) & (abs(yy - cy) < s)
    elif label == "bird":  # yellow triangle bouncing up and down
        cx, cy, colour = x0, y0 + 25 * abs(np.sin(speed * time_s)), (230, 210, 40)
        mask = (yy - (cy - size) > 0) & (yy - (cy - size) < 2 * size) & (abs(xx - cx) < (yy - (cy - size)) / 2)
    elif label == "engine":  # grey bar shaking
        cx, cy, colour = x0 + 3 * np.sin(40 * time_s), y0, (140, 140, 140)
        mask = (abs(xx - cx) < 2 * size) & (abs(yy - cy) < size / 2)
    else:  # bell / gong: green shapes flashing
        on = (time_s * speed) % 1.0 < 0.5
        colour = (40, 200, 70) if label == "bell" else (60, 170, 90)
        if label == "bell":
            mask = (xx - x0) ** 2 + (yy - y0) ** 2 < size ** 2
        else:
            mask = ((xx - x0) / 1.6) ** 2 + (yy - y0) ** 2 < size ** 2
        if not on:
            return img
    img[mask] = colour
    return img


def _write_clip(path: Path, label: str, rng: np.random.Generator) -> None:
    duration = rng.uniform(3.0, 8.0)
    fps = FRAME_RATES[rng.integers(len(FRAME_RATES))]
    sample_rate = SAMPLE_RATES[rng.integers(len(SAMPLE_RATES))]
    _tone.rate = sample_rate
    t = np.arange(int(duration * sample_rate)) / sample_rate
    sound = _sound(label, t, rng) + rng.uniform(0.02, 0.15) * rng.standard_normal(len(t))
    sound = np.clip(sound, -1, 1).astype(np.float32)
    params = {
        "size": rng.uniform(8, 16),
        "speed": rng.uniform(1.0, 3.0),
        "x0": rng.uniform(35, 93),
        "y0": rng.uniform(30, 66),
    }
    background = (rng.uniform(0, 80, (HEIGHT, WIDTH, 3)) + rng.uniform(0, 60, 3)).astype(np.uint8)

    frames = (_picture(label, float(i / fps), params, background) for i in range(int(duration * fps)))
    write_mp4(path, frames, fps, sound, sample_rate)


def write_mp4(path, frames, fps, sound, sample_rate) -> None:
    """Write an mp4 atomically: H.264 frames (RGB uint8 arrays; None = no video stream) and
    AAC mono audio (float32 in [-1, 1]; None = no audio track)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.mp4")
    with av.open(str(tmp), "w") as container:
        video = audio = None
        if frames is not None:
            frames = iter(frames)
            first = next(frames)
            frames = itertools.chain([first], frames)
            video = container.add_stream("libx264", rate=fps)
            video.height, video.width = first.shape[:2]  # any size (even width and height for yuv420p)
            video.pix_fmt = "yuv420p"
            video.options = {"preset": "ultrafast", "crf": "23", "threads": "1"}
        if sound is not None:
            audio = container.add_stream("aac", rate=sample_rate, layout="mono")
        for image in frames if video else ():
            container.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        for start in range(0, len(sound) if audio else 0, 1024):
            chunk = av.AudioFrame.from_ndarray(sound[None, start:start + 1024], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts = sample_rate, start
            container.mux(audio.encode(chunk))
        for stream in (video, audio):
            if stream is not None:
                container.mux(stream.encode(None))
    os.replace(tmp, path)


def write_sample(root: str | os.PathLike, classes, clips_per_class: int, seed: int) -> list[Path]:
    """Write <root>/<class>/<class>_NN.mp4 deterministically; existing clips are kept."""
    root = Path(root)
    written = []
    for c, label in enumerate(classes):
        (root / label).mkdir(parents=True, exist_ok=True)
        for k in range(clips_per_class):
            path = root / label / f"{label}_{k:02d}.mp4"
            rng = np.random.default_rng([seed, c, k])
            if not path.exists():
                _write_clip(path, label, rng)
            written.append(path)
    return written
