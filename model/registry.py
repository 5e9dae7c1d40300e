"""The compared methods: one line each, literal values only; `model.methods` derives everything
else from it (names, groups, the modules `fit_method` imports, the `methods` stage's code listing).

    display     the name the report's tables and figures show
    module      the module under model/baselines/ whose fit() trains the method
    builds_on   a module it reuses (itself if none); both are in the `methods` stage's code listing
    kind        closed_form (NumPy/SciPy, no TensorFlow) or neural (trained by model.training)
    tables      the paper tables it belongs to: 2 (compared methods), 4 (ablations)
    supervised  (compared methods) whether it trains on the labels; the report checks that the
                explicit-only variant beats the unsupervised ones
    claim       (ablations) the paper's claim the variant tests: EICS is above it

Groups, each one kind of stage: RANDOM (chance level, no knobs), BASELINES (stage
tuned on validation with `tuning.grids.<name>`, knobs in `baselines`),
EICS_FAMILY (tuned the same way, reading `model`, `train` and `fusion`)
and ABLATIONS (EICS variants of model/eics/variants.py,
tuned over EICS's grid with its budget). Adding a method: its module and one line here (plus its
knobs and tuning grid in params.yaml).
"""

RANDOM = {
    "random": {"display": "Random", "module": "random", "builds_on": "random", "kind": "closed_form", "tables": [2, 4]},
}

BASELINES = {  # in the order of the paper's Table 2
    "cca": {"display": "CCA", "module": "cca", "builds_on": "cca",
        "kind": "closed_form", "tables": [2], "supervised": False},
    "kcca": {"display": "KCCA", "module": "kcca", "builds_on": "kcca",
        "kind": "closed_form", "tables": [2], "supervised": False},
    "dcca": {"display": "DCCA", "module": "dcca", "builds_on": "dcca",
        "kind": "neural", "tables": [2], "supervised": True},
    "c_cca": {"display": "C-CCA", "module": "c_cca", "builds_on": "c_cca",
        "kind": "closed_form", "tables": [2], "supervised": True},
    "c_dcca": {"display": "C-DCCA", "module": "c_dcca", "builds_on": "dcca",
        "kind": "neural", "tables": [2], "supervised": True},
    "ugach": {"display": "UGACH", "module": "ugach", "builds_on": "ugach",
        "kind": "neural", "tables": [2], "supervised": False},
    "agah": {"display": "AGAH", "module": "agah", "builds_on": "agah",
        "kind": "neural", "tables": [2], "supervised": True},
    "ucal": {"display": "UCAL", "module": "ucal", "builds_on": "ucal",
        "kind": "neural", "tables": [2], "supervised": False},
    "acmr": {"display": "ACMR", "module": "acmr", "builds_on": "acmr",
        "kind": "neural", "tables": [2], "supervised": True},
    "dscmr": {"display": "DSCMR", "module": "dscmr", "builds_on": "dscmr",
        "kind": "neural", "tables": [2], "supervised": True},
    "tnn_c_cca": {"display": "TNN-C-CCA", "module": "tnn_c_cca", "builds_on": "c_cca",
        "kind": "neural", "tables": [2], "supervised": True},
    "dclma": {"display": "DCLMA (no attention)", "module": "dclma", "builds_on": "dclma",
        "kind": "neural", "tables": [2], "supervised": True},
}

EICS_FAMILY = {  # EICS last: every table ends with it
    "eics_literal": {"display": "EICS (literal losses)", "kind": "neural", "tables": [4]},
    "eics": {"display": "EICS (ours)", "kind": "neural", "tables": [2, 4]},
}

ABLATIONS = {  # in the order of the paper's Table 4
    "explicit_only": {"display": "Explicit-space", "kind": "neural", "tables": [4],
                      "claim": "Explicit-space (L_corr and L_cons, no label loss) is below EICS"},
    "implicit_only": {"display": "Implicit-space", "kind": "neural", "tables": [4],
                    "claim": "Implicit-space (L_dis and L_cons, no correlation loss) is below EICS"},
    "ex_im_share": {"display": "Ex-Im-share", "kind": "neural", "tables": [4],
                    "claim": "Ex-Im-share (one trunk per modality for both spaces) is below EICS"},
    "eics_no_cons": {"display": "EICS without L_cons", "kind": "neural", "tables": [4],
                    "claim": "L_cons contributes: EICS without L_cons is below EICS"},
    "eics_no_im_im": {"display": "EICS without im-im term", "kind": "neural", "tables": [4],
                    "claim": "The implicit audio-visual term of L_cons contributes: EICS without it is below EICS"},
}
