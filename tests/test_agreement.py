import numpy as np
import pytest
from scipy import stats

from attnviz.agreement import agreement_rows, spearman_rows


def test_spearman_rows_equal_scipy_with_ties_and_nan_for_constant_rows():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, size=(6, 9)).astype(float)     # many ties
    b = rng.normal(size=(6, 9))
    a[2] = 1.0                                            # constant: no ranking
    rho = spearman_rows(a, b)
    for t in range(6):
        if t == 2:
            assert np.isnan(rho[t])
        else:
            np.testing.assert_allclose(rho[t], stats.spearmanr(a[t], b[t]).statistic, rtol=1e-12)


def test_rankings_compare_magnitudes_by_default():
    reference = np.array([[0.7, 0.2, 0.1]])
    other = np.array([[-3.0, 1.0, 0.5]])                  # largest in magnitude first, like the reference
    assert agreement_rows(reference, other)["spearman_rho"][0] == 1.0
    assert agreement_rows(reference, other, absolute=False)["spearman_rho"][0] < 0


def test_every_metric_equals_a_direct_computation_with_ties():
    import math

    from scipy.spatial.distance import jensenshannon

    from attnviz.agreement import METRICS, agreement_rows

    rng = np.random.default_rng(1)
    a = rng.integers(-3, 4, size=(5, 30)).astype(float)   # many ties, signed
    b = rng.normal(size=(5, 30))
    rows = agreement_rows(a, b)
    assert set(rows) == set(METRICS)
    for t in range(5):
        x, y = np.abs(a[t]), np.abs(b[t])
        np.testing.assert_allclose(rows["kendall_tau_b"][t], stats.kendalltau(x, y, variant="b").statistic, rtol=1e-12)
        np.testing.assert_allclose(rows["spearman_rho"][t], stats.spearmanr(x, y).statistic, rtol=1e-12)
        for key, k in (("top5_overlap", 5), ("top10pct_overlap", math.ceil(0.1 * 30))):
            top_x = sorted(range(30), key=lambda j: (-x[j], j))[:k]           # ties: earlier position first
            top_y = sorted(range(30), key=lambda j: (-y[j], j))[:k]
            assert rows[key][t] == len(set(top_x) & set(top_y)) / k
        np.testing.assert_allclose(rows["js_distance"][t], jensenshannon(x / x.sum(), y / y.sum(), base=2), rtol=1e-12)


def test_agreement_matrix_is_symmetric_with_perfect_self_agreement():
    from attnviz.agreement import agreement_matrices

    rng = np.random.default_rng(2)
    scores = {"a": rng.normal(size=(4, 12)), "b": rng.normal(size=(4, 12)), "c": rng.normal(size=(4, 12))}
    for metric, self_value in (("spearman_rho", 1.0), ("top5_overlap", 1.0), ("js_distance", 0.0)):
        m = agreement_matrices(scores)[metric]
        np.testing.assert_allclose(m, m.T)
        np.testing.assert_allclose(np.diag(m), self_value, atol=1e-7)


def test_js_distance_of_nearly_equal_rows_is_a_small_number_not_nan():
    """scipy's jensenshannon gives NaN for about half of such pairs (a divergence rounded below 0)."""
    import warnings

    from attnviz.agreement import js_distance_rows

    rng = np.random.default_rng(5)
    a = rng.random((200, 300)) ** 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distances = js_distance_rows(a, a * (1 + 1e-12))
    assert np.isfinite(distances).all() and (distances >= 0).all() and distances.max() < 1e-6


def test_all_zero_rows_give_nan_not_errors():
    from attnviz.agreement import agreement_rows, nanmean

    rows = agreement_rows(np.zeros((2, 6)), np.ones((2, 6)))
    assert np.isnan(rows["js_distance"]).all() and np.isnan(rows["spearman_rho"]).all()
    assert np.isnan(nanmean(rows["spearman_rho"]))


def test_head_agreement_finds_the_head_that_matches_a_method():
    from attnviz.agreement import head_agreement
    from attnviz.plots import head_agreement_figure

    rng = np.random.default_rng(3)
    layers = rng.dirichlet(np.ones(9), size=(2, 3, 4))                        # (L=2, H=3, T=4, S=9)
    scores = -3.0 * layers[1, 2] + 0.0                                         # magnitudes rank as head (1, 2)
    rho = head_agreement(layers, scores, "spearman_rho")
    assert rho.shape == (2, 3) and rho[1, 2] == pytest.approx(1.0)
    assert np.nanargmax(rho) == 1 * 3 + 2 and (np.delete(rho.ravel(), 5) < 0.99).all()
    js = head_agreement(layers, scores, "js_distance")
    assert js[1, 2] == pytest.approx(0.0, abs=1e-7) and np.nanargmin(js) == 5
    outline = head_agreement_figure(rho, "lime", "spearman_rho").layout.shapes[0]
    assert (outline.x0, outline.y0) == (1.5, 0.5)                             # head 2 of layer 1
    with pytest.raises(ValueError, match="unknown metric"):
        head_agreement(layers, scores, "cosine")
