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

PRESETS = {
    "vggish": {"n_fft": 512, "win_length": 400, "hop_length": 160},
    "paper": {"n_fft": 2048, "win_length": 2048, "hop_length": 512},
}
N_MELS, FMIN, FMAX, LOG_OFFSET, EXAMPLE_FRAMES = 64, 125.0, 7500.0, 0.01, 96


def log_mel(waveform: np.ndarray, sample_rate: int = 16000, preset: str = "vggish") -> np.ndarray:
    """(frames, 64) log-mel spectrogram."""
    p = PRESETS[preset]
    spectrum = np.abs(librosa.stft(waveform, n_fft=p["n_fft"], hop_length=p["hop_length"], win_length=p["win_length"],
                                   window="hann", center=False))
    mel_basis = librosa.filters.mel(sr=sample_rate, n_fft=p["n_fft"], n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=True)
    return np.log(mel_basis @ spectrum + LOG_OFFSET).T.astype(np.float32)


def examples(waveform: np.ndarray, sample_rate: int = 16000, preset: str = "vggish") -> tuple[np.ndarray, np.ndarray]:
    """(start_seconds, examples): non-overlapping (n, 96, 64) examples and each one's start time."""
    frames = log_mel(waveform, sample_rate, preset)
    n = len(frames) // EXAMPLE_FRAMES
    hop_s = PRESETS[preset]["hop_length"] / sample_rate
    starts = np.arange(n) * EXAMPLE_FRAMES * hop_s
    return starts, frames[: n * EXAMPLE_FRAMES].reshape(n, EXAMPLE_FRAMES, N_MELS)
