import numpy as np
from scipy import stats

from attnviz.compare import rank_agreement, spearman_rows


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


def test_rank_agreement_compares_magnitudes():
    reference = np.array([[0.7, 0.2, 0.1]])
    other = np.array([[-3.0, 1.0, 0.5]])                  # largest in magnitude first, like the reference
    assert rank_agreement(reference, {"m": other})["m"][0] == 1.0
    assert rank_agreement(reference, {"m": other}, absolute=False)["m"][0] < 0
