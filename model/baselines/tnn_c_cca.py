"""TNN-C-CCA (Zeng et al., 2020): cluster-CCA projections refined by a triplet network.

C-CCA (closed form, c_cca.py) is fitted on the training split; its audio and visual
projections feed one small MLP each, trained with a cross-modal triplet loss on cosine
similarity: the anchor's own pair is the positive and the hardest in-batch item of another
class is the negative, in both directions. Validation MAP selects the epoch.
"""
import numpy as np
import tensorflow as tf

from extract.feature_store import Split
from model.baselines import c_cca
from model.baselines.neural import NeuralOptions, cross_modal_triplet, l2_rows, mlp, predict, train_with_validation
from model.embedder import Embedder
from model.training import seed_everything


def fit(train, val, n_classes, seed, options: NeuralOptions, cca_ridge: float):
    """cca_ridge: ridge of the C-CCA stage (params baselines.knobs.tnn_c_cca)."""
    cca = c_cca.fit(train, val, n_classes, seed, dim=options.dim, ridge=cca_ridge)

    def project(split):
        return Split(cca.embed_audio(split.audio).astype(np.float32), cca.embed_visual(split.visual).astype(np.float32),
                     split.labels, split.ids)

    ptrain = project(train)  # validation is scored on raw features through the embedder
    seed_everything(seed)
    width = ptrain.audio.shape[1]
    f = mlp(width, options.hidden, options.dim, "audio", options.activation)
    g = mlp(width, options.hidden, options.dim, "visual", options.activation)

    def loss_fn(a, v, y):
        same = tf.matmul(y, y, transpose_b=True) > 0.5
        return cross_modal_triplet(l2_rows(f(a, training=True)), l2_rows(g(v, training=True)), same, options.margin)

    def make_embedder():
        return Embedder(lambda x: predict(f, cca.embed_audio(x).astype(np.float32)),
                        lambda x: predict(g, cca.embed_visual(x).astype(np.float32)))

    return train_with_validation([f, g], loss_fn, make_embedder, ptrain, val, n_classes, seed, options)
