"""Names of the EICS loss terms and constraint pairs (no TensorFlow import, so params
validation can use them cheaply)."""

LOSS_TERMS = ("corr", "dis", "cons")

CONSTRAINT_PAIRS = {
    "ex_im_audio": ("ex_audio", "im_audio"),
    "ex_im_visual": ("ex_visual", "im_visual"),
    "im_im": ("im_audio", "im_visual"),
}

FUSION_HEADS = ("ex", "im")

LOSS_FORMS = ("reference", "literal")

OPTIMIZERS = ("sgd", "adam")

INPUT_SCALINGS = ("none", "global")

ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "elu")

PRECISIONS = ("float64", "float32")  # model.precision: what a network is built, trained and run in
