"""Stability of sampling methods over seeds: spread, rank τ between seeds, agreement with attention ± noise."""
from __future__ import annotations

import numpy as np
import pytest

from attnviz.errors import InputError
from attnviz.explain import METHODS
from attnviz.explanation import Explanation
from attnviz.models.base import DecodingSettings
from attnviz.pipeline import check_seeds, explain_text
from attnviz.stability import stability, within_noise

TEXT = "zz101 w3 zz202 w8 w9 w1 w7 w2 w4 w5 w6 w10"
SAMPLING = {"lime": {"n_samples": 60}, "kernel_shap": {"n_samples": 60}}


@pytest.fixture(scope="module")
def generation(copy_summarizer):
    return copy_summarizer.summarize(TEXT, DecodingSettings(beam_size=1, min_len=3, max_len=3))


@pytest.mark.parametrize("method", list(SAMPLING))
def test_the_same_seed_gives_the_same_scores_and_other_seeds_spread(copy_summarizer, generation, method):
    runs = [METHODS[method](copy_summarizer.scorer(generation), **SAMPLING[method], seed=s).scores for s in (5, 5, 6, 7)]
    np.testing.assert_array_equal(runs[0], runs[1])
    result = stability(method, [5, 6, 7], runs[1:], generation.attention)
    assert result.std.max() > 1e-4 and result.mean_rank_tau < 1
    assert result.with_attention["spearman_rho"].std() > 0


@pytest.mark.parametrize("method", ["occlusion", "integrated_gradients", "attention", "partition_shap"])
def test_a_deterministic_method_has_no_spread(copy_summarizer, generation, method):
    """Partition SHAP's seed only breaks ties in shap's priority queue: without ties it does not vary."""
    seeds = [{"seed": s} if METHODS[method].samples else {} for s in range(3)]
    runs = [METHODS[method](copy_summarizer.scorer(generation), **seed).scores for seed in seeds]
    result = stability(method, [0, 1, 2], runs, generation.attention)
    assert result.std.max() == 0
    np.testing.assert_allclose(result.rank_tau[np.isfinite(result.rank_tau)], 1.0, atol=1e-12)


def test_stability_figures_by_hand():
    a = np.array([[1.0, 2.0, 3.0, 4.0]])
    b = np.array([[1.0, 3.0, 2.0, 4.0]])
    result = stability("m", [0, 1], [a, b])
    np.testing.assert_allclose(result.std, np.abs(a - b) / 2)
    np.testing.assert_allclose(result.rank_tau, [4 / 6])            # one discordant pair of six: τ = (5 − 1) / 6
    assert within_noise(0.50, 0.53, [0.02, None]) and not within_noise(0.50, 0.60, [0.02, 0.01])
    assert not within_noise(0.5, 0.6, [None, 0.0])
    with pytest.raises(ValueError):
        stability("m", [0], [a])


def test_explain_with_seeds_fills_stability_for_sampling_methods_only(copy_summarizer):
    explanation = explain_text(copy_summarizer, TEXT, "occlusion,lime,kernel_shap", seeds=3, with_faithfulness=False,
                               params={"lime": {"n_samples": 60}, "kernel_shap": {"n_samples": 60}},
                               decoding=DecodingSettings(beam_size=1, min_len=3, max_len=3))
    assert set(explanation.stability) == {"lime", "kernel_shap"}
    assert explanation.stability["lime"].seeds == (0, 1, 2)
    np.testing.assert_allclose(explanation.stability["lime"].mean.shape, explanation.scores["lime"].shape)
    again = Explanation.loads(explanation.dumps())
    np.testing.assert_allclose(again.stability["kernel_shap"].std, explanation.stability["kernel_shap"].std, atol=1e-6)
    for bad in (0, 21, 2.5, True):
        with pytest.raises(InputError, match="seeds"):
            check_seeds(bad)
