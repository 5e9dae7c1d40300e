"""KCCA: kernel CCA with an RBF kernel, approximated by Nystroem features.

Each modality is standardised, mapped to `components` Nystroem features of the RBF
kernel exp(-gamma ||x - y||^2) with gamma = 1 / (median squared distance) on a training
sample (the median heuristic), and linear CCA with a ridge is fitted on those features.
"""
import numpy as np
from sklearn.kernel_approximation import Nystroem
from sklearn.preprocessing import StandardScaler

from model.embedder import Embedder
from model.linear_cca import fit_linear_cca


def _kernel_map(x, components, seed):
    """In float64: float32 Nystroem features differ between BLAS kernels (machines) far above their last bit."""
    x = np.asarray(x, np.float64)
    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    rng = np.random.default_rng(seed)
    sample = z[rng.choice(len(z), size=min(len(z), 1000), replace=False)]
    sq = ((sample[:, None, :] - sample[None, :, :]) ** 2).sum(-1)
    gamma = 1.0 / np.median(sq[np.triu_indices(len(sample), 1)])
    nystroem = Nystroem(gamma=gamma, n_components=min(components, len(x)), random_state=seed).fit(z)
    return lambda a: nystroem.transform(scaler.transform(np.asarray(a, np.float64)))


def fit(train, val, n_classes, seed, dim: int, ridge: float, components: int):
    map_a = _kernel_map(train.audio, components, seed)
    map_v = _kernel_map(train.visual, components, seed + 1)
    cca = fit_linear_cca(map_a(train.audio), map_v(train.visual), dim, ridge)
    return Embedder(lambda a: cca.transform_x(map_a(a)), lambda v: cca.transform_y(map_v(v)))
