"""EICS, the paper's method: config, network, training, embedding and its variants (ablations)."""
