"""The bootstrap interval of a mean against the normal approximation it must approach."""
import numpy as np
import pytest

from attnviz.bootstrap import bootstrap_mean


def test_interval_matches_the_normal_approximation():
    values = np.random.default_rng(5).normal(3.0, 2.0, size=400)
    mean, low, high = bootstrap_mean(values, samples=4000, seed=1)
    half = 1.96 * values.std() / np.sqrt(values.size)                        # ≈ 0.196
    assert mean == pytest.approx(values.mean())
    assert low == pytest.approx(mean - half, abs=0.15 * half) and high == pytest.approx(mean + half, abs=0.15 * half)
    assert bootstrap_mean(values, samples=4000, seed=1) == (mean, low, high)
    assert bootstrap_mean(np.full(7, 2.5)) == (2.5, 2.5, 2.5)
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_mean(np.array([]))
