"""CCA (Hotelling 1936): closed-form linear CCA with a ridge on the raw features."""
from model.embedder import Embedder
from model.linear_cca import fit_linear_cca


def fit(train, val, n_classes, seed, dim: int, ridge: float):
    cca = fit_linear_cca(train.audio, train.visual, dim, ridge)
    return Embedder(cca.transform_x, cca.transform_y)
