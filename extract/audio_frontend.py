"""Log-mel examples for VGGish, computed with librosa.

VGGish front end (the default): 16 kHz mono, 25 ms Hann window, 10 ms hop, magnitude
STFT, 64 mel bands from 125 to 7500 Hz (HTK mel), log(mel + 0.01), non-overlapping
examples of 96 frames (0.96 s) x 64 bands. The paper's own setting (librosa n_fft 2048,
hop 512) is the `paper` preset. A clip shorter than one example yields zero examples; the
extract stage skips such clips (the decoder already refuses clips under 1 s).
"""
from __future__ import annotations

import librosa
import numpy as np
from threadpoolctl import threadpool_limits

from extract.constants import (
    EXAMPLE_CONTEXT,
    EXAMPLE_FRAMES,
    EXAMPLE_SAMPLES,
    EXAMPLE_SECONDS,
    LOG_OFFSET,
    MEL_MAX_HZ,
    MEL_MIN_HZ,
    N_MELS,
    SAMPLE_RATE,
    STFT_HOP,
    STFT_WINDOW,
)

PRESETS = {
    "vggish": {"n_fft": 512, "win_length": STFT_WINDOW, "hop_length": STFT_HOP},
    "paper": {"n_fft": 2048, "win_length": 2048, "hop_length": 512},  # the paper's librosa setting
}


def log_mel(waveform: np.ndarray, sample_rate: int, preset: str) -> np.ndarray:
    """(frames, 64) log-mel spectrogram, computed in float64 and rounded once to float32."""
    p = PRESETS[preset]
    spectrum = np.abs(librosa.stft(np.asarray(waveform, np.float64), n_fft=p["n_fft"], hop_length=p["hop_length"],
                                   win_length=p["win_length"], window="hann", center=False))
    mel_basis = librosa.filters.mel(sr=sample_rate, n_fft=p["n_fft"], n_mels=N_MELS, fmin=MEL_MIN_HZ, fmax=MEL_MAX_HZ,
                                     htk=True,
                                     dtype=np.float64)
    return np.log(mel_basis @ spectrum + LOG_OFFSET).T.astype(np.float32)


def examples(waveform: np.ndarray, preset: str, sample_rate: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """(start_seconds, examples): non-overlapping (n, 96, 64) examples and each one's start time.

    The mel projection runs on one BLAS thread: with more, the summation order (and the last
    bits) would depend on the machine's core count and on the engine's worker settings."""
    with threadpool_limits(1, "blas"):
        frames = log_mel(waveform, sample_rate, preset)
    n = len(frames) // EXAMPLE_FRAMES
    hop_s = PRESETS[preset]["hop_length"] / sample_rate
    starts = np.arange(n) * EXAMPLE_FRAMES * hop_s
    return starts, frames[: n * EXAMPLE_FRAMES].reshape(n, EXAMPLE_FRAMES, N_MELS)


def vggish_input(waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start seconds, the clip's waveform cut or zero-padded to n x 15360 + 240 samples); see extract.backbones."""
    n = len(waveform) // EXAMPLE_SAMPLES
    padded = np.zeros(n * EXAMPLE_SAMPLES + EXAMPLE_CONTEXT, np.float32) if n else np.zeros(0, np.float32)
    take = min(len(waveform), len(padded))
    padded[:take] = waveform[:take]
    return np.arange(n) * EXAMPLE_SECONDS, padded
