"""Names of the compared methods (no TensorFlow import, so params validation can use them)."""

CLOSED_FORM = ("random", "cca", "kcca", "c_cca")
NEURAL = ("dcca", "c_dcca", "dscmr", "tnn_c_cca", "acmr", "ucal", "ugach", "agah", "dclma")
EICS_VARIANTS = (
    "eics",
    "eics_literal",
    "explicit_only",
    "implicit_only",
    "ex_im_share",
    "eics_no_cons",
    "eics_no_im_im",
)
METHODS = CLOSED_FORM + NEURAL + EICS_VARIANTS
