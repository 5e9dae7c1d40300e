"""C-CCA, cluster canonical correlation analysis (Rasiwasia et al., 2014).

Every audio-visual pair of clips from the same class is a correspondence (not only the
pairs from one video). The covariances over all those pairs are formed in closed form from
class sums, without listing the pairs: with n_c clips in class c, s_c and t_c the class
sums of audio and visual rows and M = sum_c n_c^2,

    S_av = sum_c s_c t_c^T / M,   S_aa = sum_c n_c * (sum_{i in c} a_i a_i^T) / M,

(each audio row appears in n_c pairs), all after centring with the pair-weighted means.
Then CCA with a ridge as usual.
"""
import numpy as np
from scipy import linalg

from model.embedder import Embedder
from model.linear_cca import LinearCCA, inverse_sqrt


def fit(train, val, n_classes, seed, dim: int, ridge: float):
    a, v, y = train.audio.astype(np.float64), train.visual.astype(np.float64), train.labels
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weights = counts[y]  # each row takes part in n_c pairs
    total = (counts ** 2).sum()
    mean_a = (weights[:, None] * a).sum(0) / total
    mean_v = (weights[:, None] * v).sum(0) / total
    ac, vc = a - mean_a, v - mean_v
    sums_a = np.zeros((n_classes, a.shape[1]))
    sums_v = np.zeros((n_classes, v.shape[1]))
    np.add.at(sums_a, y, ac)
    np.add.at(sums_v, y, vc)
    s_av = sums_a.T @ sums_v / total
    s_aa = (weights[:, None] * ac).T @ ac / total
    s_vv = (weights[:, None] * vc).T @ vc / total
    s_aa += ridge * np.trace(s_aa) / len(s_aa) * np.eye(len(s_aa))
    s_vv += ridge * np.trace(s_vv) / len(s_vv) * np.eye(len(s_vv))
    ka, kv = inverse_sqrt(s_aa), inverse_sqrt(s_vv)
    u, s, vt = linalg.svd(ka @ s_av @ kv)
    dim = min(dim, n_classes - 1, len(s))  # the cross-covariance has rank < number of classes
    cca = LinearCCA(mean_a, mean_v, ka @ u[:, :dim], kv @ vt[:dim].T, s[:dim])
    return Embedder(cca.transform_x, cca.transform_y)
