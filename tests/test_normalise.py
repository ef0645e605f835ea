import numpy as np
import pytest

from attnviz.normalise import is_signed, normalise


def test_row_max_abs_scales_each_row_and_keeps_signs():
    scores = np.array([[2.0, -4.0, 1.0], [0.0, 0.0, 0.0], [0.5, 0.25, 0.0]])
    out = normalise(scores)
    np.testing.assert_allclose(out, [[0.5, -1.0, 0.25], [0, 0, 0], [1.0, 0.5, 0.0]])
    np.testing.assert_allclose(normalise(scores, sign="absolute"), np.abs(out))
    np.testing.assert_allclose(normalise(scores, mode="none", sign="absolute"), np.abs(scores))
    np.testing.assert_array_equal(normalise(scores, mode="none"), scores)


def test_bad_options_and_sign_detection():
    with pytest.raises(ValueError, match="normalisation must be one of"):
        normalise(np.ones((1, 2)), mode="l2")
    with pytest.raises(ValueError, match="sign must be one of"):
        normalise(np.ones((1, 2)), sign="positive")
    assert is_signed(np.array([[0.1, -0.1]])) and not is_signed(np.array([[0.0, 0.3]]))
