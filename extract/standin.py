"""The stand-in backbones: small random CNNs with VGGish's and InceptionV3's interfaces, for
tests and the bundled sample only.

They are written in NumPy and computed in float64, rounded once to float32 at the output,
so the features they give are the same bytes on every x86-64 machine: float64 rounding
differences between BLAS kernels (core type, thread count) lie some 2^-29 below float32's
last bit. The weights are Glorot-uniform draws from `numpy.random.default_rng(seed)`, one
seed per layer. Convolutions have no padding ('valid'), as Keras's default.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def glorot_uniform(shape: tuple[int, ...], fan_in: int, fan_out: int, seed: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(seed).uniform(-limit, limit, shape)


class Conv:
    """A 'valid' 2-D convolution with a square kernel, a stride and a ReLU, on (N, H, W, C)."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int, stride: int, seed: int):
        self.kernel, self.stride = kernel, stride
        self.weights = glorot_uniform((channels_in, kernel, kernel, channels_out),
                                      kernel * kernel * channels_in, kernel * kernel * channels_out, seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        k, s = self.kernel, self.stride
        patches = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]  # N, H', W', C, k, k
        return np.maximum(np.tensordot(patches, self.weights, axes=([3, 4, 5], [0, 1, 2])), 0.0)


class Dense:
    def __init__(self, size_in: int, size_out: int, seed: int, relu: bool):
        self.weights, self.relu = glorot_uniform((size_in, size_out), size_in, size_out, seed), relu

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.weights
        return np.maximum(y, 0.0) if self.relu else y


def average_pool(x: np.ndarray, size: int) -> np.ndarray:
    """Non-overlapping size x size mean pooling, 'valid' (a partial last window is dropped)."""
    n, h, w, c = x.shape
    h, w = h // size, w // size
    return x[:, :h * size, :w * size].reshape(n, h, size, w, size, c).mean(axis=(2, 4))


class StandinAudioNet:
    """(N, frames, mels) log-mel examples -> N x out_dim, no final ReLU (like VGGish's embedding)."""

    def __init__(self, out_dim: int):
        self.conv1, self.conv2 = Conv(1, 16, 3, 2, seed=1), Conv(16, 32, 3, 2, seed=2)
        self.dense = Dense(32, out_dim, seed=3, relu=False)

    def __call__(self, examples: np.ndarray) -> np.ndarray:
        x = np.asarray(examples, np.float64)[..., None]
        x = self.conv2(self.conv1(x)).mean(axis=(1, 2))
        return self.dense(x).astype(np.float32)


class StandinVisualNet:
    """(N, H, W, 3) uint8 RGB frames -> N x out_dim, ReLU'd (like InceptionV3's pooled features).
    Pixels are scaled to [-1, 1] as InceptionV3's preprocess_input does."""

    def __init__(self, out_dim: int):
        self.conv1, self.conv2 = Conv(3, 16, 5, 2, seed=4), Conv(16, 32, 3, 2, seed=5)
        self.dense = Dense(32, out_dim, seed=6, relu=True)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        x = np.asarray(frames, np.float64) / 127.5 - 1.0
        x = self.conv2(self.conv1(average_pool(x, 4))).mean(axis=(1, 2))
        return self.dense(x).astype(np.float32)
