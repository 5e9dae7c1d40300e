"""Decoding: audio with PyAV (resampled once, to mono float32), frames with OpenCV read
sequentially (no seeking), one frame per second picked by timestamp.

Every failure a video file can cause is raised as `DecodeError` with a short reason, which
the extract stages record in the skip list instead of stopping.
"""
from __future__ import annotations

import math

import av
import cv2
import numpy as np

from extract.constants import SAMPLE_RATE

MIN_SECONDS = 1.0


class DecodeError(Exception):
    """A clip that cannot be used; str(err) is the reason written to the skip list."""


def decode_audio(path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 waveform in [-1, 1] at `sample_rate` (libswresample via PyAV, one pass)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise DecodeError("no audio track")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            chunks = []
            for frame in container.decode(audio=0):
                chunks += [r.to_ndarray().ravel() for r in resampler.resample(frame)]
            chunks += [r.to_ndarray().ravel() for r in resampler.resample(None)]
    except DecodeError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise DecodeError(f"unreadable audio ({type(err).__name__}: {str(err)[:80]})") from None
    waveform = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if not np.isfinite(waveform).all():
        raise DecodeError("audio decodes to non-finite samples")
    if len(waveform) < MIN_SECONDS * sample_rate:
        raise DecodeError(f"shorter than {MIN_SECONDS:g} s ({len(waveform) / sample_rate:.2f} s of audio)")
    return waveform


def decode_frames_1fps(path, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(times, frames): for each whole second k from 0 to the last frame's time, the RGB frame
    whose timestamp is nearest k. Works for odd and variable frame rates since it never seeks.

    With `size`, every frame is resized to size x size (area interpolation) right here, per
    clip, so clips of any resolution or orientation batch together. Aspect rule: the whole
    frame is scaled to the square (no crop, no letterbox), the same resize the backbone's
    own preprocessing would apply; portrait and landscape frames are squeezed alike."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DecodeError("no readable video stream")
    best: dict[int, tuple[float, np.ndarray]] = {}
    last = -1.0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            last = max(last, t)
            k = int(math.floor(t + 0.5))
            if k not in best or abs(t - k) < best[k][0]:
                best[k] = (abs(t - k), frame)
    finally:
        capture.release()
    if not best:
        raise DecodeError("no video frames")
    if last < MIN_SECONDS - 0.5:
        raise DecodeError(f"shorter than {MIN_SECONDS:g} s of video")
    seconds = sorted(k for k in best if k <= last + 0.5)
    picked = [cv2.cvtColor(best[k][1], cv2.COLOR_BGR2RGB) for k in seconds]
    if size is not None:
        picked = [cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in picked]
    frames = np.stack(picked)
    return np.asarray(seconds, dtype=np.float64), frames
