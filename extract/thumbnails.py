"""What a person sees and hears of a clip on a results page: a small JPEG of the frame at a
given second, and the first seconds of its sound as a 16-bit mono WAV."""
from __future__ import annotations

import io
import wave

import cv2
import numpy as np

from extract.constants import EXCERPT_SAMPLE_RATE, THUMBNAIL_QUALITY
from extract.decode import DecodeError, decode_audio


def thumbnail_jpeg(path, at_seconds: float | str, width: int, quality: int = THUMBNAIL_QUALITY) -> bytes:
    """JPEG bytes of the frame nearest `at_seconds` (the last frame if the clip is shorter), or of
    the middle frame with "middle" (where most clips show their subject, not a fade-in), scaled
    to `width` pixels wide with the clip's aspect ratio. Reads frames in order (no seeking), like
    the decoder of the extract stages."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DecodeError("no readable video stream")
    chosen = None
    middle = at_seconds == "middle"
    target = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) // 2 if middle else None
    frames = []  # only when the container does not say how many frames it has
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            chosen = frame
            if middle and not target:
                frames.append(frame)
            elif middle and capture.get(cv2.CAP_PROP_POS_FRAMES) > target:
                break
            elif not middle and capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 >= at_seconds:
                break
        if frames:
            chosen = frames[len(frames) // 2]
    finally:
        capture.release()
    if chosen is None:
        raise DecodeError("no video frames")
    height = max(1, round(chosen.shape[0] * width / chosen.shape[1]))
    small = cv2.resize(chosen, (width, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise DecodeError("cannot encode the thumbnail")
    return encoded.tobytes()


def audio_excerpt_wav(path, seconds: float, sample_rate: int = EXCERPT_SAMPLE_RATE) -> bytes:
    """WAV bytes of the clip's first `seconds` of sound (mono, 16-bit, `sample_rate` Hz)."""
    waveform = decode_audio(path, sample_rate)[: int(seconds * sample_rate)]
    pcm = (np.clip(waveform, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
