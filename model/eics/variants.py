"""EICS and its ablations (paper Table 4 and section 5.2.2), each trained by `model.eics.training`.

    eics            all three loss terms, fusion of both heads
    eics_literal    the same with the losses exactly as the paper prints them (model.loss_form)
    explicit_only   L_corr + L_cons, fusion of the explicit heads only
    implicit_only   L_dis + L_cons, fusion of the implicit heads only
    ex_im_share     one hidden trunk per modality feeding both heads, full loss
    eics_no_cons    L_corr + alpha L_dis (beta = 0 in effect)
    eics_no_im_im   L_cons without the implicit-audio / implicit-visual term

With the losses exactly as the paper prints them (eics_literal, or model.loss_form:
literal), L_dis (an un-squared norm divided by n) is orders of magnitude smaller than L_cons
(a squared norm of an n-sample product); see model/losses.py for the reference forms.
"""
from dataclasses import replace

import numpy as np

from model.eics.config import TrainConfig
from model.eics.embedding import embed, stacked_heads
from model.eics.training import train_network
from model.embedder import Embedder

VARIANTS = {  # name: (TrainConfig fields it overrides, whether it shares one trunk per modality regardless)
    "eics": ({}, False),
    "eics_literal": ({"loss_form": "literal"}, False),
    "explicit_only": ({"loss_terms": ("corr", "cons"), "fusion_heads": ("ex",)}, False),
    "implicit_only": ({"loss_terms": ("dis", "cons"), "fusion_heads": ("im",)}, False),
    "ex_im_share": ({}, True),
    "eics_no_cons": ({"loss_terms": ("corr", "dis")}, False),
    "eics_no_im_im": ({"constraint_pairs": ("ex_im_audio", "ex_im_visual")}, False),
}


def fit(name, train, val, n_classes, seed, config: TrainConfig, network: dict, shared_trunk: bool,
        watch: dict | None = None):
    """`config`, `network` (build_eics keyword arguments) and `shared_trunk` come from params.yaml;
    ex_im_share shares the trunk whatever model.shared_trunk says. `watch`: see train_eics."""
    overrides, forces_sharing = VARIANTS[name]
    cfg = replace(config, seed=seed, **overrides)
    result = train_network(train, val, n_classes, cfg, network, forces_sharing or shared_trunk, watch=watch)

    def embed_pair(audio, visual):
        return stacked_heads(embed(result.model, audio, visual), cfg.fusion_heads)

    # The heads of one modality never read the other modality's input, so zeros stand in for it.
    return Embedder(
        lambda a: result.fusion.transform_x(embed_pair(a, np.zeros((len(a), train.visual.shape[1]), np.float64))[0]),
        lambda v: result.fusion.transform_y(embed_pair(np.zeros((len(v), train.audio.shape[1]), np.float64), v)[1]),
        result.history,
    )
