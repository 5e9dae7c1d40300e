"""Small synthetic feature sets for the tests: `extract.synthetic.make_synthetic_features` with
the knobs the tests were written for (a test names the ones it cares about). These are test
data, not defaults: the pipeline passes params.yaml's `synthetic` section."""
from extract.synthetic import make_synthetic_features

TEST_KNOBS = {"n_classes": 10, "audio_dim": 128, "visual_dim": 1024, "latent_dim": 16, "class_separation": 1.0,
              "clip_spread": 1.0, "nuisance": 1.0, "noise": 0.5, "seed": 0}


def synthetic_features(sizes: dict, **knobs):
    return make_synthetic_features(sizes, **{**TEST_KNOBS, **knobs})
