"""C-DCCA, deep cluster CCA (Yu et al., 2019): DCCA whose correlation objective runs over
all same-label audio-visual pairs in the batch (cluster correspondences), as C-CCA does in
closed form. Implemented by dcca.fit(cluster=True)."""
from model.baselines import dcca


def fit(train, val, n_classes, seed, options, ridge: float, corr_ridge: float):
    """ridge, corr_ridge: as for DCCA (params baselines.knobs.c_dcca)."""
    return dcca.fit(train, val, n_classes, seed, options, ridge, corr_ridge, cluster=True)
