import numpy as np

from evaluate.metrics import bidirectional_map
from model.linear_cca import fit_linear_cca
from tests.synthetic_data import synthetic_features


def test_shapes_balance_and_determinism():
    sizes = {"train": 200, "val": 50, "test": 100}
    a = synthetic_features(sizes, seed=3)
    b = synthetic_features(sizes, seed=3)
    for name, n in sizes.items():
        s = a.splits[name]
        assert s.audio.shape == (n, 128) and s.visual.shape == (n, 1024)
        assert s.audio.dtype == np.float32 and np.isfinite(s.audio).all()
        assert np.bincount(s.labels, minlength=10).max() - np.bincount(s.labels, minlength=10).min() <= 1
        np.testing.assert_array_equal(s.visual, b.splits[name].visual)
    assert not np.array_equal(a.splits["train"].audio, synthetic_features(sizes, seed=4).splits["train"].audio)


def test_retrieval_is_between_chance_and_perfect():
    fs = synthetic_features({"train": 2000, "val": 10, "test": 600}, noise=1.0)
    tr, te = fs.splits["train"], fs.splits["test"]
    cca = fit_linear_cca(tr.audio, tr.visual, 10, 1e-3)
    avg = bidirectional_map(cca.transform_x(te.audio), cca.transform_y(te.visual), te.labels)["average"]
    assert 0.2 < avg < 0.8
    raw = bidirectional_map(te.audio[:, :10], te.visual[:, :10], te.labels)["average"]
    assert raw < 0.15  # unprojected features are not comparable across modalities
