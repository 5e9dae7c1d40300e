"""Probe a video file before anything decodes it: one short reason per unusable clip.

The reasons, in the order they are checked: missing file, empty file, not a media file (no
container signature ffmpeg can open), truncated or corrupt container (a known container
signature that does not open, e.g. an mp4 cut before its index), no video stream, no audio
stream, too short. ffmpeg's own message is kept as the detail, never printed by the library.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from extract.decode import MIN_SECONDS

# The first bytes of the containers data.videos accepts (ISO base media: mp4/mov; Matroska: mkv/webm; RIFF: avi).
SIGNATURES = {"mp4/mov": lambda head: head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"),
              "matroska/webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
              "avi": lambda head: head[:4] == b"RIFF" and head[8:12] == b"AVI "}


@dataclass(frozen=True)
class Unusable:
    reason: str  # one of the fixed phrases above, with the numbers that explain it
    detail: str = ""  # the library's own message, for the log

    def __str__(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


def container_kind(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(12)
    return next((kind for kind, matches in SIGNATURES.items() if matches(head)), None)


def probe(path: str | Path) -> Unusable | None:
    """None when the clip has a video and an audio stream and lasts at least MIN_SECONDS by its
    container's header; otherwise why not. Reads headers only (no decoding)."""
    path = Path(path)
    if not path.is_file():
        return Unusable("missing file")
    if path.stat().st_size == 0:
        return Unusable("empty file")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as err:
        kind = container_kind(path)
        detail = f"ffmpeg: {getattr(err, 'strerror', None) or err}"
        if kind is None:
            return Unusable("not a media file", detail)
        return Unusable(f"truncated or corrupt {kind} container", detail)
    with container:
        if not container.streams.video:
            return Unusable("no video stream")
        if not container.streams.audio:
            return Unusable("no audio stream")
        if container.duration is not None and container.duration / av.time_base < MIN_SECONDS:
            return Unusable(f"too short ({container.duration / av.time_base:.2f} s; at least {MIN_SECONDS:g} s)")
    return None
