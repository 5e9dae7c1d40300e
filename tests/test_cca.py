import numpy as np
import pytest

from model.linear_cca import LinearCCA, fit_linear_cca


def paired(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    x = np.c_[z[:, 0], rng.standard_normal(n), z[:, 1] + 0.5 * rng.standard_normal(n)] @ rng.standard_normal((3, 3))
    y = np.c_[z[:, 0] + 0.2 * rng.standard_normal(n), z[:, 1], rng.standard_normal((n, 2))] @ rng.standard_normal(
        (4, 4)
    )
    return x, y


def test_recovers_known_canonical_correlations():
    x, y = paired()
    cca = fit_linear_cca(x, y, dim=2, ridge=0.0)
    # true correlations: corr(z0, z0 + 0.2e) = 1/sqrt(1.04); corr(z1 + 0.5e, z1) = 1/sqrt(1.25)
    np.testing.assert_allclose(cca.correlations, [1 / np.sqrt(1.04), 1 / np.sqrt(1.25)], atol=0.02)


def test_projections_are_white_and_paired():
    x, y = paired()
    cca = fit_linear_cca(x, y, dim=2, ridge=0.0)
    px, py = cca.transform_x(x), cca.transform_y(y)
    np.testing.assert_allclose(np.cov(px.T), np.eye(2), atol=1e-8)
    np.testing.assert_allclose(np.cov(py.T), np.eye(2), atol=1e-8)
    cross = (px - px.mean(0)).T @ (py - py.mean(0)) / (len(x) - 1)
    np.testing.assert_allclose(cross, np.diag(cca.correlations), atol=1e-8)


def test_save_rounds_once_to_float32_and_round_trips(tmp_path):
    x, y = paired(200)
    cca = fit_linear_cca(x, y, dim=2, ridge=1e-3)
    cca.save(tmp_path / "f.npz")
    back = LinearCCA.load(tmp_path / "f.npz")
    for name in ("mean_x", "mean_y", "w_x", "w_y", "correlations"):
        np.testing.assert_array_equal(getattr(back, name), getattr(cca, name).astype(np.float32))
    np.testing.assert_allclose(back.transform_x(x), cca.transform_x(x), rtol=1e-5, atol=1e-6)
    back.save(tmp_path / "again.npz")  # a loaded fusion saves to the same bytes: nothing left to round
    assert (tmp_path / "again.npz").read_bytes() == (tmp_path / "f.npz").read_bytes()


def test_rejects_bad_shapes():
    with pytest.raises(ValueError, match="paired"):
        fit_linear_cca(np.ones((5, 2)), np.ones((6, 2)), 1, ridge=1e-3)
    with pytest.raises(ValueError, match="exceeds"):
        fit_linear_cca(np.ones((50, 2)), np.ones((50, 2)), 3, ridge=1e-3)
